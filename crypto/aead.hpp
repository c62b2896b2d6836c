#pragma once
// AES-128-GCM and AES-256-GCM (OpenSSL EVP) with 96-bit nonces and 128-bit
// tags, the AEADs of RFC 9180. Ciphertexts carry the tag at the end.
#include <cstddef>
#include <cstdint>

#include "crypto/bytes.hpp"
#include "crypto/error.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::aead {

enum class Algorithm : std::uint16_t {  // RFC 9180 AEAD ids
  aes128_gcm = 0x0001,
  aes256_gcm = 0x0002,
};

inline constexpr std::size_t kNonceBytes = 12;
inline constexpr std::size_t kTagBytes = 16;

std::size_t key_bytes(Algorithm alg) noexcept;

Result<Bytes> seal(Algorithm alg, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext);
// The plaintext comes back as a Secret: it may be a credential.
// Errors: bad_length (key, nonce, ciphertext shorter than a tag), auth_failed.
Result<Secret> open(Algorithm alg, ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext);

}  // namespace qrlogin::aead
