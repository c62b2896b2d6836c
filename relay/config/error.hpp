#pragma once
// The configuration's error codes (category "relay.config"): what
// parse_config and ensure_file_limit refuse.
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::relay {

enum class ConfigErrc {
  bad_flag = 1,  // an unknown flag or variable, or a value that does not parse or is out of range
  unsafe,        // well formed but refused as unsafe (every interface without --public-url, a proxy
                 // range wider than /8, a password on the command line, the bench profile from the environment)
  file_limit,    // the open-file limit cannot hold --max-connections
};

[[nodiscard]] const std::error_category& config_error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(ConfigErrc code) noexcept {
  return {static_cast<int>(code), config_error_category()};
}

}  // namespace qrlogin::relay

template <>
struct std::is_error_code_enum<qrlogin::relay::ConfigErrc> : std::true_type {};
