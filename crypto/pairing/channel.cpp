#include "crypto/pairing/channel.hpp"

#include <algorithm>

namespace qrlogin::pairing {

ChannelId channel_id(ByteView receiver_public_key) {
  auto digest = sha256({as_bytes(kLabelChannel), receiver_public_key});
  ChannelId cid{};
  std::copy_n(digest.begin(), kCidRawBytes, cid.raw.begin());
  cid.text = base64url_encode(cid.raw);
  return cid;
}

Bytes hpke_info(const ChannelId& cid) { return concat({as_bytes(kLabelInfo), cid.raw}); }

Sha256Digest commitment(const ChannelId& cid, ByteView enc, ByteView sender_nonce) {
  return sha256({as_bytes(kLabelCommit), cid.raw, enc, sender_nonce});
}

Result<hpke::SequencedAead> response_aead(const hpke::Context& ctx) {
  auto key = ctx.export_secret(as_bytes(kLabelResponseKey), aead::key_bytes(kAead));
  auto nonce = ctx.export_secret(as_bytes(kLabelResponseNonce), aead::kNonceBytes);
  if (!key || !nonce) return make_error(Errc::internal, "cannot export the response keys");
  return hpke::SequencedAead::create(kAead, std::move(key).value(), std::move(nonce).value());
}

}  // namespace qrlogin::pairing
