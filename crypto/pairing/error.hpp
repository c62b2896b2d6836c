#pragma once
// The pairing layer's error codes (category "pairing"): URLs, frames,
// credentials. A link's own faults have their own codes (link_error.hpp).
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::pairing {

enum class Errc {
  bad_url = 1,               // a URL that is not scheme://host[:port][/path][?query]
  bad_frame,                 // a frame or status message of the wrong size or shape
  bad_credential,            // a credential that is not valid text or JSON of the allowed shape
  credential_too_large,      // more than 65536 bytes of credential JSON
  invalid_argument,          // a caller passed something of the wrong shape
  internal,                  // a primitive failed where it cannot
};

[[nodiscard]] const std::error_category& error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

}  // namespace qrlogin::pairing

template <>
struct std::is_error_code_enum<qrlogin::pairing::Errc> : std::true_type {};
