#pragma once
// X25519 (RFC 7748) on libsodium. Shared secrets that come out all zero —
// the public key was a low-order point — are rejected (RFC 9180 §7.1.4).
#include <array>
#include <cstddef>
#include <cstdint>

#include "crypto/bytes.hpp"
#include "crypto/error.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::x25519 {

inline constexpr std::size_t kPublicKeyBytes = 32;
inline constexpr std::size_t kSecretKeyBytes = 32;
inline constexpr std::size_t kSharedSecretBytes = 32;

using PublicKey = std::array<std::uint8_t, kPublicKeyBytes>;

struct KeyPair {
  Secret secret_key;  // kSecretKeyBytes
  PublicKey public_key;
};

// A fresh key pair from the system's CSPRNG.
KeyPair generate();
// The key pair of a given secret key (a stored static key, a derived one).
Result<KeyPair> from_secret(ByteView secret_key);
// DH(sk, pk). Errors: bad_length, low_order_point.
Result<Secret> shared_secret(ByteView secret_key, ByteView public_key);

}  // namespace qrlogin::x25519
