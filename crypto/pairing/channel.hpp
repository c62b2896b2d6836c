#pragma once
// Values both sides derive from the receiver's public key and the HELLO:
// the channel id, the HPKE info, the commitment and the response direction.
#include <array>
#include <string>

#include "crypto/hash.hpp"
#include "crypto/hpke.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/error.hpp"

namespace qrlogin::pairing {

struct ChannelId {
  std::array<std::uint8_t, kCidRawBytes> raw;
  std::string text;  // base64url, 22 characters
};

// cid_raw = SHA-256("qrlogin/v1 channel" || pkR)[0..16)
ChannelId channel_id(ByteView receiver_public_key);
// info = "qrlogin/v1" || cid_raw
Bytes hpke_info(const ChannelId& cid);
// commit = SHA-256("qrlogin/v1 commit" || cid_raw || enc || Ns)
Sha256Digest commitment(const ChannelId& cid, ByteView enc, ByteView sender_nonce);

// The receiver-to-sender direction: key and base nonce exported from the
// HPKE context; message i uses nonce_r XOR I2OSP(i, 12).
Result<hpke::SequencedAead> response_aead(const hpke::Context& ctx);

}  // namespace qrlogin::pairing
