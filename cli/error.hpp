#pragma once
// The CLI's error codes (category "cli"). Errors of the layers below are
// passed on with their own codes.
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::cli {

enum class Errc {
  usage = 1,                 // options or arguments that are not what the command takes
  file_exists,               // an output file that exists without --force
  io,                        // a file or standard stream that cannot be read or written
  credential_too_large,      // a credential larger than the command accepts
  qr_too_large,              // a link too long for a QR code
  bad_relay_url,             // a relay URL that is not ws:// or wss://
  bad_resume,                // a relay whose resume answer does not match what this client sent
  bad_app_url,               // an application URL that is not http(s)://host[:port]
  credential_refused,        // a received credential this receiver cannot use (not a grant for its application)
  token_file,                // a device token file that is unsafe or unreadable
};

[[nodiscard]] const std::error_category& error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

}  // namespace qrlogin::cli

template <>
struct std::is_error_code_enum<qrlogin::cli::Errc> : std::true_type {};
