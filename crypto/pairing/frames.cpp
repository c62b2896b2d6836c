#include "crypto/pairing/frames.hpp"

#include <nlohmann/json.hpp>

namespace qrlogin::pairing {

namespace {
template <class Sealer>
Result<Bytes> seal_with(Sealer& sealer, MessageType type, ByteView plaintext) {
  const auto type_byte = static_cast<std::uint8_t>(type);
  auto sealed = sealer.seal(ByteView(&type_byte, 1), plaintext);
  if (!sealed) return sealed.error();
  Bytes frame;
  frame.reserve(1 + sealed->size());
  frame.push_back(type_byte);
  frame.insert(frame.end(), sealed->begin(), sealed->end());
  return frame;
}

template <class Opener>
Result<Secret> open_with(Opener& opener, ByteView frame) {
  if (frame.empty()) return make_error(Errc::bad_frame, "empty frame");
  return opener.open(frame.first(1), frame.subspan(1));
}

// Status bodies are tiny; a large one is refused before parsing.
Result<nlohmann::json> parse_status(ByteView body) {
  if (body.size() > kMaxStatusJsonBytes) return make_error(Errc::bad_frame, "status message is too large");
  auto j = nlohmann::json::parse(as_chars(body), nullptr, false);
  if (j.is_discarded() || !j.is_object()) return make_error(Errc::bad_frame, "status message is not a JSON object");
  return j;
}
}  // namespace

Bytes make_hello(ByteView enc, ByteView commit) {
  const std::uint8_t type = static_cast<std::uint8_t>(MessageType::hello);
  return concat({ByteView(&type, 1), enc, commit});
}

Result<Bytes> seal_frame(hpke::Context& ctx, MessageType type, ByteView plaintext) {
  return seal_with(ctx, type, plaintext);
}
Result<Bytes> seal_frame(hpke::SequencedAead& aead, MessageType type, ByteView plaintext) {
  return seal_with(aead, type, plaintext);
}
Result<Secret> open_frame(hpke::Context& ctx, ByteView frame) { return open_with(ctx, frame); }
Result<Secret> open_frame(hpke::SequencedAead& aead, ByteView frame) { return open_with(aead, frame); }

std::optional<MessageType> frame_type(ByteView frame) noexcept {
  if (frame.empty() || frame[0] < 0x01 || frame[0] > 0x06) return std::nullopt;
  return static_cast<MessageType>(frame[0]);
}

std::string result_json(bool accepted, std::string_view reason) {
  nlohmann::ordered_json j;
  j["accepted"] = accepted;
  if (!accepted) j["reason"] = std::string(reason);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

std::string abort_json(std::string_view reason) {
  nlohmann::ordered_json j;
  j["reason"] = std::string(reason);
  return j.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
}

Result<ResultBody> parse_result_json(ByteView body) {
  auto j = parse_status(body);
  if (!j) return j.error();
  auto accepted = j->find("accepted");
  if (accepted == j->end() || !accepted->is_boolean())
    return make_error(Errc::bad_frame, "RESULT has no boolean \"accepted\"");
  ResultBody out{accepted->get<bool>(), {}};
  if (auto reason = j->find("reason"); reason != j->end()) {
    if (!reason->is_string()) return make_error(Errc::bad_frame, "RESULT's \"reason\" is not a string");
    out.reason = reason->get<std::string>();
  }
  return out;
}

Result<std::string> parse_abort_json(ByteView body) {
  auto j = parse_status(body);
  if (!j) return j.error();
  auto reason = j->find("reason");
  if (reason == j->end() || !reason->is_string())
    return make_error(Errc::bad_frame, "ABORT has no string \"reason\"");
  return reason->get<std::string>();
}

namespace {
template <class Opener>
std::string read_abort_code_with(Opener& opener, ByteView frame) {
  if (frame.size() > 1 + kMaxStatusJsonBytes + aead::kTagBytes) return std::string(kUnreadableAbort);
  auto body = open_frame(opener, frame);
  if (!body) return std::string(kUnreadableAbort);
  auto reason = parse_abort_json(body->view());
  return reason ? std::move(reason).value() : std::string(kUnreadableAbort);
}
}  // namespace

std::string read_abort_code(hpke::Context& ctx, ByteView frame) { return read_abort_code_with(ctx, frame); }
std::string read_abort_code(hpke::SequencedAead& aead, ByteView frame) { return read_abort_code_with(aead, frame); }

std::string_view message_name(MessageType type) noexcept {
  switch (type) {
    case MessageType::hello: return "HELLO";
    case MessageType::ready: return "READY";
    case MessageType::reveal: return "REVEAL";
    case MessageType::credential: return "CREDENTIAL";
    case MessageType::result: return "RESULT";
    case MessageType::abort: return "ABORT";
  }
  return "UNKNOWN";
}

}  // namespace qrlogin::pairing
