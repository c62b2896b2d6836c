#pragma once
// The crypto primitives' error codes (category "crypto"). The Result type
// itself is in crypto/result.hpp, included here for the primitives' callers.
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::crypto {

enum class Errc {
  invalid_argument = 1,  // a caller passed something of the wrong shape
  bad_length,            // a key, nonce or message has the wrong size
  bad_encoding,          // hex or base64url that does not parse
  low_order_point,       // an X25519 public key whose shared secret is all zero
  auth_failed,           // an AEAD tag or MAC did not verify
  limit_exceeded,        // a sequence number or output length ran out
  internal,              // the crypto library itself failed
  invalid_point,         // a ristretto255 encoding that does not decode, or the identity (CPace)
};

[[nodiscard]] const std::error_category& error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

}  // namespace qrlogin::crypto

template <>
struct std::is_error_code_enum<qrlogin::crypto::Errc> : std::true_type {};
