#pragma once
// The application's error codes (category "app"). Each is one stable
// machine name that the API answers as {"error": "<name>", "message": ...}
// with the HTTP status http_status() gives; docs/app-api.md lists them.
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::app {

enum class AppErrc {
  bad_request = 1,         // 400: not JSON, a member missing or of the wrong type
  bad_name,                // 400: a name that is empty, too long or holds control characters
  bad_password,            // 400: a password shorter or longer than allowed
  bad_cid,                 // 400: not a 22-character base64url channel id
  body_too_large,          // 413
  unsupported_media_type,  // 415: a body that is not application/json
  origin_refused,          // 403: Origin is not the application's, or missing beside a cookie
  not_authenticated,       // 401: no session, or one the application does not know
  session_ended,           // 401: the session was logged out, revoked or idle too long
  login_failed,            // 401: wrong name or password
  name_taken,              // 409
  rate_limited,            // 429
  cid_registered,          // 409: this cid was registered before
  unknown_cid,             // 404: never registered, or forgotten since it expired
  pairing_expired,         // 410
  pairing_used,            // 409: a grant for this cid was already redeemed
  unknown_grant,           // 404
  grant_expired,           // 410
  grant_used,              // 409: "already used"
  grant_mismatch,          // 403: the grant was minted for another cid
  grant_revoked,           // 410: the device that approved it has logged out or was revoked since
  registration_refused,    // 403: the cid's registration secret is missing or wrong
  unknown_device,          // 404
  other_network_unconfirmed,  // 428: the device asking is on another network; approving needs the deliberate step
  other_network_refused,   // 403: the application refuses logins approved from another network
  too_many_streams,        // 429: too many open notice streams
  not_found,               // 404: no such endpoint
  method_not_allowed,      // 405
  storage_unavailable,     // 503: the database refuses writes (read-only, disk full, I/O error)
  internal,                // 500
  bad_flag,                // startup only: a flag that is unknown or malformed
  state_dir,               // startup only: the state directory or database cannot be used
  listen_failed,           // startup only
  tls,                     // startup only: the certificate or key does not load
};

[[nodiscard]] const std::error_category& app_error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(AppErrc code) noexcept {
  return {static_cast<int>(code), app_error_category()};
}

// The HTTP status an API error is answered with.
[[nodiscard]] unsigned http_status(AppErrc code) noexcept;

}  // namespace qrlogin::app

template <>
struct std::is_error_code_enum<qrlogin::app::AppErrc> : std::true_type {};
