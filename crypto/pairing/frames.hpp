#pragma once
// Building and opening the six end-to-end messages. A frame is one type byte
// followed by the body; sealed bodies use that one byte as AAD.
#include <optional>
#include <string>

#include "crypto/hpke.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/error.hpp"

namespace qrlogin::pairing {

Bytes make_hello(ByteView enc, ByteView commit);

// type || seal(aad = type, plaintext), with an HPKE context (sender to
// receiver) or the response AEAD (receiver to sender).
Result<Bytes> seal_frame(hpke::Context& ctx, MessageType type, ByteView plaintext);
Result<Bytes> seal_frame(hpke::SequencedAead& aead, MessageType type, ByteView plaintext);
Result<Secret> open_frame(hpke::Context& ctx, ByteView frame);
Result<Secret> open_frame(hpke::SequencedAead& aead, ByteView frame);

// The first byte of a frame as a known type; nullopt for empty or unknown.
std::optional<MessageType> frame_type(ByteView frame) noexcept;

// RESULT and ABORT bodies (docs/protocol.md): compact JSON, keys in this
// order, then spaces (0x20) up to exactly kStatusBodyBytes. A reason too
// long to fit is cut at a character boundary; invalid UTF-8 in it becomes
// U+FFFD.
Bytes result_body(bool accepted, std::string_view reason);
Bytes abort_body(std::string_view reason);

struct ResultBody {
  bool accepted = false;
  std::string reason;
};
// Errors (bad_frame), checked in this order: not exactly 128 bytes; the
// text before the trailing spaces breaks the JSON rule (strict_json.hpp);
// it is not a JSON object with nothing around it; "accepted" is not a
// boolean or "reason" not a string.
Result<ResultBody> parse_result_body(ByteView body);
// The reason code, or the errors of parse_result_body but for "reason" not a
// string or missing.
Result<std::string> parse_abort_body(ByteView body);

// The reason code an ABORT frame carries, or "unreadable" when the frame is
// not kStatusFrameBytes long, does not open, or its body is not valid.
inline constexpr std::string_view kUnreadableAbort = "unreadable";
std::string read_abort_code(hpke::Context& ctx, ByteView frame);
std::string read_abort_code(hpke::SequencedAead& aead, ByteView frame);

}  // namespace qrlogin::pairing
