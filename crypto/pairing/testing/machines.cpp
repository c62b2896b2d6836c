#include "crypto/pairing/testing/machines.hpp"

#include <utility>

namespace qrlogin::pairing::testing {

struct MachineAccess {
  static Result<Receiver> receiver(Rng& rng, std::string_view page_url, std::string_view relay_url,
                                   Receiver::Options options) {
    return Receiver::create_drawing_from(rng, page_url, relay_url, options);
  }
  static Result<Sender> sender(Rng& rng, const Link& link, Secret credential_json) {
    return Sender::create_drawing_from(rng, link, std::move(credential_json));
  }
  static Result<Sender> deferred_sender(Rng& rng, const Link& link) {
    return Sender::create_deferred_drawing_from(rng, link);
  }
  static Result<CodeReceiver> code_receiver(Rng& rng, std::string_view page_url) {
    return CodeReceiver::create_drawing_from(rng, page_url);
  }
  static Result<CodeSender> code_sender(Rng& rng, std::string_view page_url, Code code,
                                        std::optional<Secret> credential_json) {
    return CodeSender::create_drawing_from(rng, page_url, std::move(code), std::move(credential_json));
  }
};

Result<Receiver> make_receiver(std::string_view page_url, std::string_view relay_url, Rng& rng,
                               Receiver::Options options) {
  return MachineAccess::receiver(rng, page_url, relay_url, options);
}

Result<Sender> make_sender(const Link& link, Secret credential_json, Rng& rng) {
  return MachineAccess::sender(rng, link, std::move(credential_json));
}

Result<Sender> make_deferred_sender(const Link& link, Rng& rng) { return MachineAccess::deferred_sender(rng, link); }


Result<CodeReceiver> make_code_receiver(std::string_view page_url, Rng& rng) {
  return MachineAccess::code_receiver(rng, page_url);
}

Result<CodeSender> make_code_sender(std::string_view page_url, Code code, Secret credential_json, Rng& rng) {
  return MachineAccess::code_sender(rng, page_url, std::move(code), std::move(credential_json));
}

Result<CodeSender> make_deferred_code_sender(std::string_view page_url, Code code, Rng& rng) {
  return MachineAccess::code_sender(rng, page_url, std::move(code), std::nullopt);
}

}  // namespace qrlogin::pairing::testing
