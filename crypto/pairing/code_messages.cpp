#include "crypto/pairing/code_messages.hpp"

#include "crypto/pairing/constants.hpp"

namespace qrlogin::pairing {
namespace {
Bytes typed(MessageType type, std::initializer_list<ByteView> parts) {
  Bytes frame{static_cast<std::uint8_t>(type)};
  for (auto part : parts) frame.insert(frame.end(), part.begin(), part.end());
  return frame;
}
}  // namespace

Bytes code_ci(std::string_view app, const ChannelId& cid) {
  return cpace::lv_cat({as_bytes(kLabelCode), as_bytes(app), cid.raw});
}

Bytes code_ad_receiver(ByteView receiver_public_key) {
  return concat({as_bytes(kLabelCodeReceiver), receiver_public_key});
}

Bytes code_ad_sender(ByteView enc) { return concat({as_bytes(kLabelCodeSender), enc}); }

Bytes code_hpke_info(const ChannelId& cid) { return concat({as_bytes(kLabelCode), cid.raw}); }

ByteView code_psk_id() noexcept { return as_bytes(kLabelCode); }

Bytes make_pake_r(ByteView sid, ByteView ya, ByteView receiver_public_key) {
  return typed(MessageType::pake_r, {sid, ya, receiver_public_key});
}

Bytes make_pake_s(ByteView yb, ByteView enc, ByteView tag) { return typed(MessageType::pake_s, {yb, enc, tag}); }

Bytes make_confirm_r(ByteView tag) { return typed(MessageType::confirm_r, {tag}); }

std::optional<PakeR> split_pake_r(ByteView frame) noexcept {
  if (frame.size() != kPakeRFrameBytes) return std::nullopt;
  return PakeR{frame.subspan(1, kSidBytes), frame.subspan(1 + kSidBytes, cpace::kPointBytes),
               frame.subspan(1 + kSidBytes + cpace::kPointBytes)};
}

std::optional<PakeS> split_pake_s(ByteView frame) noexcept {
  if (frame.size() != kPakeSFrameBytes) return std::nullopt;
  return PakeS{frame.subspan(1, cpace::kPointBytes), frame.subspan(1 + cpace::kPointBytes, hpke::kEncBytes),
               frame.subspan(1 + cpace::kPointBytes + hpke::kEncBytes)};
}

std::optional<ByteView> split_confirm_r(ByteView frame) noexcept {
  if (frame.size() != kConfirmRFrameBytes) return std::nullopt;
  return frame.subspan(1);
}

}  // namespace qrlogin::pairing
