#pragma once
// What both sides of a code pairing derive and send (docs/protocol.md,
// "Pairing by a typed code"): CPace's channel identifier and associated
// data, the HPKE info and psk_id, and the three plain frames.
#include <optional>
#include <string_view>

#include "crypto/cpace.hpp"
#include "crypto/pairing/channel.hpp"

namespace qrlogin::pairing {

// CI = lv_cat("qrlogin/v1 code", app, cid_raw): binds the application's
// origin and the channel into g, so a code typed into another application's
// page, or moved to another channel, fails as a wrong code.
Bytes code_ci(std::string_view app, const ChannelId& cid);
// ADa = "qrlogin/v1 R" || pkR;  ADb = "qrlogin/v1 S" || enc.
Bytes code_ad_receiver(ByteView receiver_public_key);
Bytes code_ad_sender(ByteView enc);
// info = "qrlogin/v1 code" || cid_raw;  psk_id = "qrlogin/v1 code".
Bytes code_hpke_info(const ChannelId& cid);
ByteView code_psk_id() noexcept;

struct PakeR {
  ByteView sid, ya, receiver_public_key;
};
struct PakeS {
  ByteView yb, enc, tag;
};
Bytes make_pake_r(ByteView sid, ByteView ya, ByteView receiver_public_key);
Bytes make_pake_s(ByteView yb, ByteView enc, ByteView tag);
Bytes make_confirm_r(ByteView tag);
// The fields of a frame of exactly the right size (views into it), or
// nullopt; the caller has checked the type byte.
std::optional<PakeR> split_pake_r(ByteView frame) noexcept;
std::optional<PakeS> split_pake_s(ByteView frame) noexcept;
std::optional<ByteView> split_confirm_r(ByteView frame) noexcept;

}  // namespace qrlogin::pairing
