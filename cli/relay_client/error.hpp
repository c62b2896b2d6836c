#pragma once
// The relay client's error codes (category "relay_client"). Socket and HTTP
// failures are passed on with Asio's or Beast's own codes.
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::relay_client {

enum class Errc {
  timeout = 1,     // no completion or event within the timeout
  tls,             // a TLS context or CA file that cannot be set up
  connect_failed,  // resolving, TCP connecting or the TLS handshake failed
  tls_untrusted,   // http_request: the server's certificate is not trusted (or names another host)
  too_large,       // http_request: an answer over HttpRequest::max_body_bytes
};

[[nodiscard]] const std::error_category& error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

}  // namespace qrlogin::relay_client

template <>
struct std::is_error_code_enum<qrlogin::relay_client::Errc> : std::true_type {};
