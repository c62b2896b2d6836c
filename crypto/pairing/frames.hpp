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

// RESULT and ABORT bodies: compact JSON, keys in this order.
std::string result_json(bool accepted, std::string_view reason);
std::string abort_json(std::string_view reason);

struct ResultBody {
  bool accepted = false;
  std::string reason;
};
// Errors: not a JSON object, "accepted" not a boolean, "reason" not a string.
Result<ResultBody> parse_result_json(ByteView body);
// The reason code, or an error when it is not {"reason": "<string>"}.
Result<std::string> parse_abort_json(ByteView body);

// The reason code an ABORT frame carries, or "unreadable" when the frame is
// over 1 + 1024 + 16 bytes, does not open, or holds no reason.
inline constexpr std::string_view kUnreadableAbort = "unreadable";
std::string read_abort_code(hpke::Context& ctx, ByteView frame);
std::string read_abort_code(hpke::SequencedAead& aead, ByteView frame);

}  // namespace qrlogin::pairing
