#pragma once
// CPace (draft-irtf-cfrg-cpace-21), suite CPACE-RISTR255-SHA512, in the
// initiator-responder setting (transcript_ir), with the draft's §10.4 key
// confirmation and qrlogin's psk for HPKE mode_psk. Initiator A is the code
// receiver, responder B the code sender (protocol-code.md, "Cryptography").
//
// A code machine uses four calls:
//   auto share = cpace::start(prs, ci, sid, rng);          // y and Y = y·g
//   auto keys  = cpace::derive_keys(role, share->y.view(), sid, Ya, ADa, Yb, ADb);
//   cpace::tag(keys->mac_key.view(), Y, AD)                 // tag_R: (Ya, ADa); tag_S: (Yb, ADb)
//   cpace::tag_matches(keys->mac_key.view(), Y, AD, received)
// and keys->psk for SetupPSKS / SetupPSKR. The remaining functions are the
// draft's building blocks, public for the test vectors.
//
// Everything that reveals the password to a 10^6 search (gen_str, its hash,
// g) or is key material (y, K, ISK, mac_key, psk) is a Secret. Points that
// fail to decode, and the identity, are refused as invalid_point.
#include <array>
#include <cstddef>
#include <cstdint>
#include <initializer_list>

#include "crypto/bytes.hpp"
#include "crypto/error.hpp"
#include "crypto/random.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::cpace {

inline constexpr std::size_t kPointBytes = 32;   // ristretto255 encoding
inline constexpr std::size_t kScalarBytes = 32;  // little endian
inline constexpr std::size_t kHashBytes = 64;    // SHA-512: gen_str's hash, ISK, mac_key
inline constexpr std::size_t kTagBytes = 64;     // HMAC-SHA-512
inline constexpr std::size_t kPskBytes = 32;

using Point = std::array<std::uint8_t, kPointBytes>;
using Tag = std::array<std::uint8_t, kTagBytes>;

enum class Role { initiator, responder };  // A (code receiver), B (code sender)

// --- The two calls a machine needs ----------------------------------------

struct Share {
  Secret y;  // the scalar, kScalarBytes
  Point Y;   // y·g, sent in PAKE_R (Ya) or PAKE_S (Yb)
};
// Derives g from (PRS, CI, sid), draws y from rng (one draw of 32 bytes) and
// computes Y = y·g; g is erased before returning. invalid_point when g or Y
// is the identity (negligible: R draws a new code, S fails with bad_key).
Result<Share> start(ByteView prs, ByteView ci, ByteView sid, Rng& rng);

struct Keys {
  Secret mac_key;  // kHashBytes
  Secret psk;      // kPskBytes
};
// K = scalar_mult_vfy(y, the peer's Y: Yb for the initiator, Ya for the
// responder), then ISK, mac_key and psk; K and ISK are erased here.
// invalid_point when the peer's Y does not decode or K is the identity.
Result<Keys> derive_keys(Role self, ByteView y, ByteView sid, ByteView ya, ByteView ada, ByteView yb, ByteView adb);

// HMAC-SHA-512(mac_key, lv_cat(Y, AD)).
Tag tag(ByteView mac_key, ByteView Y, ByteView ad);
// The received tag against tag(mac_key, Y, AD), in constant time
// (sodium_memcmp); false for a tag of the wrong size.
[[nodiscard]] bool tag_matches(ByteView mac_key, ByteView Y, ByteView ad, ByteView received);

// --- The draft's building blocks ------------------------------------------

// prepend_len: the LEB128 length, then the bytes (draft A.1.1).
Bytes prepend_len(ByteView data);
Bytes lv_cat(std::initializer_list<ByteView> parts);
// lv_cat(Ya, ADa) || lv_cat(Yb, ADb) (draft A.3.4).
Bytes transcript_ir(ByteView ya, ByteView ada, ByteView yb, ByteView adb);

// lv_cat("CPaceRistretto255", PRS, zero_bytes(len_zpad), CI, sid) for
// SHA-512's 128-byte block (draft §5.1).
Secret generator_string(ByteView prs, ByteView ci, ByteView sid);
// SHA-512(generator_string(...)), kHashBytes.
Secret generator_hash(ByteView prs, ByteView ci, ByteView sid);
// element_derivation(generator_hash(...)) (RFC 9496 §4.3.4), encoded.
// invalid_point when it is the identity.
Result<Secret> generator(ByteView prs, ByteView ci, ByteView sid);

// 32 bytes from rng with byte 31 &= 0x0F: below 2^252 (draft §5.3).
Secret sample_scalar(Rng& rng);
// y·g for an encoded g. invalid_point when g does not decode or the product
// is the identity; bad_length for sizes other than 32.
Result<Point> scalar_mult(ByteView y, ByteView g);
// The draft's scalar_mult_vfy, returning an error where the draft returns
// G.I: invalid_point when X does not decode (not canonical, not a
// ristretto255 point) or y·X is the identity.
Result<Secret> scalar_mult_vfy(ByteView y, ByteView X);

// SHA-512(lv_cat("CPaceRistretto255_ISK", sid, K) || transcript_ir(...)).
Secret isk(ByteView sid, ByteView K, ByteView ya, ByteView ada, ByteView yb, ByteView adb);
// SHA-512("CPaceMac" || sid || ISK) (draft §10.4).
Secret mac_key(ByteView sid, ByteView isk);
// HKDF-SHA256(salt "", IKM ISK, info "qrlogin/v1 code psk", 32).
Secret psk(ByteView isk);

}  // namespace qrlogin::cpace
