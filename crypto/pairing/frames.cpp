#include "crypto/pairing/frames.hpp"

#include <nlohmann/json.hpp>

#include "crypto/pairing/strict_json.hpp"

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

using nlohmann::json;

constexpr std::string_view kStatusSubject = "the status message";

Error status_error(std::string message) { return make_error(Errc::bad_frame, std::move(message)); }

// The JSON object of a status body: exactly 128 bytes, the trailing spaces
// stripped, the rest one JSON object under the JSON rule with nothing
// around it (so a tab or NUL where the spaces belong is refused).
Result<json> parse_status(ByteView body) {
  if (body.size() != kStatusBodyBytes)
    return status_error(std::string(kStatusSubject) + " is " + std::to_string(body.size()) + " bytes, not 128");
  std::size_t end = body.size();
  while (end > 0 && body[end - 1] == ' ') --end;
  auto text = body.first(end);
  auto j = parse_strict_json(text, Errc::bad_frame, kStatusSubject);
  if (!j) return j.error();
  if (!j->is_object() || text.front() != '{' || text.back() != '}')
    return status_error(std::string(kStatusSubject) + " is not a JSON object followed by spaces");
  return j;
}

// The reason as the inside of a JSON string, cut at a character boundary so
// it takes at most `budget` bytes.
std::string escaped_within(std::string_view reason, std::size_t budget) {
  // Every byte escapes to at least one, so later bytes cannot fit; the 4
  // spare bytes keep the last character that might fit whole.
  std::string quoted = json(std::string(reason.substr(0, budget + 4))).dump(-1, ' ', false, json::error_handler_t::replace);
  std::string_view inside = std::string_view(quoted).substr(1, quoted.size() - 2);
  std::size_t used = 0;
  while (used < inside.size()) {
    auto c = static_cast<unsigned char>(inside[used]);
    std::size_t step = c == '\\' ? (inside[used + 1] == 'u' ? 6 : 2) : c < 0x80 ? 1 : c < 0xe0 ? 2 : c < 0xf0 ? 3 : 4;
    if (used + step > budget) break;
    used += step;
  }
  return std::string(inside.substr(0, used));
}

Bytes padded_status(std::string_view head, std::string_view reason) {
  // The head, the reason, its closing quote and brace, then the spaces.
  std::string text(head);
  text += escaped_within(reason, kStatusBodyBytes - head.size() - 2);
  text += "\"}";
  text.resize(kStatusBodyBytes, ' ');
  return Bytes(text.begin(), text.end());
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
  if (frame.empty() || frame[0] < 0x01 || frame[0] > 0x09) return std::nullopt;
  return static_cast<MessageType>(frame[0]);
}

Bytes result_body(bool accepted, std::string_view reason) {
  if (accepted) {
    std::string text = R"({"accepted":true})";
    text.resize(kStatusBodyBytes, ' ');
    return Bytes(text.begin(), text.end());
  }
  return padded_status(R"({"accepted":false,"reason":")", reason);
}

Bytes abort_body(std::string_view reason) { return padded_status(R"({"reason":")", reason); }

Result<ResultBody> parse_result_body(ByteView body) {
  auto j = parse_status(body);
  if (!j) return j.error();
  auto accepted = j->find("accepted");
  if (accepted == j->end() || !accepted->is_boolean())
    return status_error("RESULT has no boolean \"accepted\"");
  ResultBody out{accepted->get<bool>(), {}};
  if (auto reason = j->find("reason"); reason != j->end()) {
    if (!reason->is_string()) return status_error("RESULT's \"reason\" is not a string");
    out.reason = reason->get<std::string>();
  }
  return out;
}

Result<std::string> parse_abort_body(ByteView body) {
  auto j = parse_status(body);
  if (!j) return j.error();
  auto reason = j->find("reason");
  if (reason == j->end() || !reason->is_string()) return status_error("ABORT has no string \"reason\"");
  return reason->get<std::string>();
}

namespace {
template <class Opener>
std::string read_abort_code_with(Opener& opener, ByteView frame) {
  if (frame.size() != kStatusFrameBytes) return std::string(kUnreadableAbort);
  auto body = open_frame(opener, frame);
  if (!body) return std::string(kUnreadableAbort);
  auto reason = parse_abort_body(body->view());
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
    case MessageType::pake_r: return "PAKE_R";
    case MessageType::pake_s: return "PAKE_S";
    case MessageType::confirm_r: return "CONFIRM_R";
  }
  return "UNKNOWN";
}

}  // namespace qrlogin::pairing
