#pragma once
// The session cookie. Over https it is "__Host-qrlogin_session" with
// Secure (the prefix makes the browser refuse it unless Secure, Path=/ and
// no Domain, so a sibling subdomain cannot set or shadow it). Browsers
// refuse __Host- without Secure, and Secure needs https, so on plain-http
// development (loopback) it is "qrlogin_session" without Secure. Always
// HttpOnly (no script reads it) and SameSite=Strict (docs/app-api.md says
// why Strict).
#include <optional>
#include <string>
#include <string_view>

#include "web/app/origin.hpp"

namespace qrlogin::app {

[[nodiscard]] std::string session_cookie_name(const Origin& origin);
// Set-Cookie value for a new session, living max_age_seconds.
[[nodiscard]] std::string session_cookie(const Origin& origin, std::string_view session_id, long max_age_seconds);
// Set-Cookie value that removes it.
[[nodiscard]] std::string cleared_session_cookie(const Origin& origin);
// The value of cookie `name` in a Cookie header (the first if repeated).
[[nodiscard]] std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name);

}  // namespace qrlogin::app
