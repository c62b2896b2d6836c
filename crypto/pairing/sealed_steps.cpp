#include "crypto/pairing/sealed_steps.hpp"

#include "crypto/pairing/frames.hpp"

namespace qrlogin::pairing::steps {
namespace {

template <class Sealer>
Actions ending_with(Sealer* sealer, Aborted shown, Reason told) {
  Actions actions;
  if (sealer) {
    auto body = abort_body(reason_code(told));
    if (auto frame = seal_frame(*sealer, MessageType::abort, body)) actions.emplace_back(SendFrame{std::move(frame).value()});
  }
  actions.emplace_back(std::move(shown));
  actions.emplace_back(CloseConnection{});
  return actions;
}

}  // namespace

Actions ending(hpke::Context* sealer, Aborted shown, Reason told) { return ending_with(sealer, std::move(shown), told); }
Actions ending(hpke::SequencedAead* sealer, Aborted shown, Reason told) {
  return ending_with(sealer, std::move(shown), told);
}

std::variant<Bytes, Reason> credential_frame(hpke::Context& ctx, ByteView credential_json) {
  auto padded = pad_credential(credential_json);
  if (!padded) return Reason::bad_credential;
  auto frame = seal_frame(ctx, MessageType::credential, padded->view());
  if (!frame) return Reason::bad_message;
  return std::move(frame).value();
}

std::variant<ReceivedCredential, Reason> open_credential(hpke::Context& ctx, ByteView frame) {
  if (frame.size() > kMaxFrameBytes) return Reason::bad_message;
  auto plaintext = open_frame(ctx, frame);
  if (!plaintext) return Reason::bad_message;
  auto credential = unpad_credential(plaintext->view());
  if (!credential) return Reason::bad_credential;
  return std::move(credential).value();
}

Actions result_and_close(hpke::SequencedAead& response, bool accepted, std::string_view reason) {
  Actions actions;
  auto body = result_body(accepted, reason);
  if (auto frame = seal_frame(response, MessageType::result, body)) actions.emplace_back(SendFrame{std::move(frame).value()});
  actions.emplace_back(CloseConnection{});
  return actions;
}

ResultRead read_result(hpke::SequencedAead& response, ByteView frame) {
  if (frame.size() != kStatusFrameBytes) return {};
  auto body = open_frame(response, frame);
  if (!body) return {};
  auto result = parse_result_body(body->view());
  if (!result) return {std::nullopt, Reason::bad_message, false};
  return {ShowResult{result->accepted, result->reason}, Reason::bad_message, true};
}

}  // namespace qrlogin::pairing::steps
