#pragma once
// The application's bearer secrets — session ids, device tokens, grants and
// registration secrets — are 256 random bits, sent as 43 characters of
// base64url and stored only as the SHA-256 of those 32 bytes.
#include <optional>
#include <string_view>

#include "crypto/hash.hpp"
#include "crypto/random.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::app {

inline constexpr std::size_t kSecretBytes = 32;
inline constexpr std::size_t kSecretChars = 43;  // base64url, no padding

struct IssuedSecret {
  SecretString text;  // handed out once, never stored or logged
  Sha256Digest hash;  // what the database keeps
};

[[nodiscard]] IssuedSecret issue_secret(Rng& rng);

// The hash of a secret a client presented; nullopt when the text is not a
// canonical 43-character base64url encoding of 32 bytes.
[[nodiscard]] std::optional<Sha256Digest> hash_presented_secret(std::string_view text);

}  // namespace qrlogin::app
