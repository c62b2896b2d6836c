#pragma once
// HPKE (RFC 9180), mode_base and mode_psk, KEM DHKEM(X25519, HKDF-SHA256),
// KDF HKDF-SHA256, generic over the AEAD (AES-128-GCM, AES-256-GCM).
#include <array>
#include <cstdint>
#include <utility>

#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"
#include "crypto/error.hpp"
#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"

namespace qrlogin {
class Rng;
namespace hpke {
class EphemeralKey;
}
namespace internal {
hpke::EphemeralKey hpke_ephemeral_key(Rng& rng);
}
}  // namespace qrlogin

namespace qrlogin::hpke {

inline constexpr std::uint16_t kKemX25519Sha256 = 0x0020;
inline constexpr std::uint16_t kKdfHkdfSha256 = 0x0001;
inline constexpr std::size_t kEncBytes = x25519::kPublicKeyBytes;
inline constexpr std::uint8_t kModeBase = 0x00;
inline constexpr std::uint8_t kModePsk = 0x01;
inline constexpr std::size_t kMinPskBytes = 32;

using Enc = std::array<std::uint8_t, kEncBytes>;

// A key, a base nonce and a sequence number: the AEAD half of an HPKE
// context, also used on its own for qrlogin's receiver-to-sender direction.
// The sequence advances only when a seal or open succeeds, so a forged
// message never desynchronises the two sides.
class SequencedAead {
 public:
  // invalid_argument unless the key has the algorithm's size and the base
  // nonce is exactly aead::kNonceBytes (never truncated or zero-filled).
  static Result<SequencedAead> create(aead::Algorithm alg, Secret key, Secret base_nonce);
  SequencedAead(SequencedAead&&) noexcept = default;
  SequencedAead& operator=(SequencedAead&&) noexcept = default;

  Result<Bytes> seal(ByteView aad, ByteView plaintext);
  Result<Secret> open(ByteView aad, ByteView ciphertext);
  [[nodiscard]] std::uint64_t sequence() const noexcept { return seq_; }
  [[nodiscard]] aead::Algorithm algorithm() const noexcept { return alg_; }

 private:
  SequencedAead(aead::Algorithm alg, Secret key, Secret base_nonce)
      : alg_(alg), key_(std::move(key)), base_nonce_(std::move(base_nonce)) {}
  Result<std::array<std::uint8_t, aead::kNonceBytes>> next_nonce() const;

  aead::Algorithm alg_;
  Secret key_;
  Secret base_nonce_;  // aead::kNonceBytes
  std::uint64_t seq_ = 0;
};

class Context {
 public:
  Context(SequencedAead aead, Secret exporter_secret) : aead_(std::move(aead)), exporter_(std::move(exporter_secret)) {}

  Result<Bytes> seal(ByteView aad, ByteView plaintext) { return aead_.seal(aad, plaintext); }
  Result<Secret> open(ByteView aad, ByteView ciphertext) { return aead_.open(aad, ciphertext); }
  // Secret export (RFC 9180 §5.3). Errors: limit_exceeded for L > 8160.
  Result<Secret> export_secret(ByteView exporter_context, std::size_t length) const;
  [[nodiscard]] std::uint64_t sequence() const noexcept { return aead_.sequence(); }

 private:
  SequencedAead aead_;
  Secret exporter_;
};

struct SenderSetup {
  Enc enc;
  Context context;
};

// SetupBaseS with a fresh ephemeral key from the system's CSPRNG.
Result<SenderSetup> setup_base_sender(aead::Algorithm alg, ByteView pk_receiver, ByteView info);
Result<Context> setup_base_receiver(aead::Algorithm alg, ByteView enc, ByteView sk_receiver, ByteView info);

// The sender's ephemeral key pair for mode_psk, drawn before SetupPSKS
// because its public half (enc) is needed first: the code mode sends enc in
// PAKE_S, whose MAC key SetupPSKS's psk comes from. Always fresh from the
// system's CSPRNG (qrlogin's own machines draw it from their Rng, which only
// tests replace); move-only and consumed by setup_psk_sender, so used once.
class EphemeralKey {
 public:
  static EphemeralKey generate();
  [[nodiscard]] const Enc& enc() const noexcept { return pair_.public_key; }

 private:
  explicit EphemeralKey(x25519::KeyPair pair) : pair_(std::move(pair)) {}
  friend EphemeralKey internal::hpke_ephemeral_key(Rng& rng);
  friend struct EphemeralKeyUse;
  x25519::KeyPair pair_;
};

// SetupPSKS / SetupPSKR (mode_psk). Errors: invalid_argument unless psk
// and psk_id are both given and psk has at least kMinPskBytes (RFC 9180
// §5.1.2); bad_length and low_order_point as in mode_base.
Result<SenderSetup> setup_psk_sender(aead::Algorithm alg, EphemeralKey ephemeral, ByteView pk_receiver, ByteView info,
                                     ByteView psk, ByteView psk_id);
Result<Context> setup_psk_receiver(aead::Algorithm alg, ByteView enc, ByteView sk_receiver, ByteView info,
                                   ByteView psk, ByteView psk_id);

// DeriveKeyPair (RFC 9180 §7.1.3) for DHKEM(X25519).
Result<x25519::KeyPair> derive_key_pair(ByteView ikm);

}  // namespace qrlogin::hpke
