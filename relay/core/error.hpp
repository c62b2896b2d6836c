#pragma once
// The relay's error codes (category "relay"): its configuration, addresses,
// requests and control messages.
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::relay {

enum class Errc {
  bad_config = 1,       // a flag, variable or file of the configuration that cannot be used
  bad_certificate,      // a TLS certificate or key that cannot be loaded
  bad_address,          // text that is not an IP address or a CIDR block
  bad_request,          // a request target or header that is not what the protocol allows
  bad_control,          // a control message that is not what the protocol allows
  listen_failed,        // a listening socket that cannot be opened
  internal,             // the system refused something that cannot fail
};

[[nodiscard]] const std::error_category& error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

}  // namespace qrlogin::relay

template <>
struct std::is_error_code_enum<qrlogin::relay::Errc> : std::true_type {};
