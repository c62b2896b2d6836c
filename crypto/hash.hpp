#pragma once
// SHA-256, HMAC-SHA256 (RFC 2104) and HKDF-SHA256 (RFC 5869) on libsodium.
#include <array>
#include <cstddef>
#include <cstdint>

#include "crypto/bytes.hpp"
#include "crypto/error.hpp"
#include "crypto/secret.hpp"

namespace qrlogin {

inline constexpr std::size_t kSha256Bytes = 32;
using Sha256Digest = std::array<std::uint8_t, kSha256Bytes>;

Sha256Digest sha256(std::initializer_list<ByteView> parts);

// HMAC-SHA256 over the concatenation of parts; keys of any length.
Sha256Digest hmac_sha256(ByteView key, std::initializer_list<ByteView> parts);
// Verifies a tag, possibly truncated (at least 10 bytes), in constant time.
[[nodiscard]] bool hmac_sha256_verify(ByteView key, ByteView message, ByteView tag);

inline constexpr std::size_t kHkdfMaxOutput = 255 * kSha256Bytes;

Secret hkdf_extract(ByteView salt, ByteView ikm);
// Errors: limit_exceeded when length > 255 * 32.
Result<Secret> hkdf_expand(ByteView prk, ByteView info, std::size_t length);
Result<Secret> hkdf(ByteView salt, ByteView ikm, ByteView info, std::size_t length);

}  // namespace qrlogin
