#include "web/app/cookies.hpp"

namespace qrlogin::app {
namespace {

std::string attributes(const Origin& origin) {
  std::string text = "; Path=/; HttpOnly; SameSite=Strict";
  if (origin.secure) text += "; Secure";
  return text;
}

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

}  // namespace

std::string session_cookie_name(const Origin& origin) {
  return origin.secure ? "__Host-qrlogin_session" : "qrlogin_session";
}

std::string session_cookie(const Origin& origin, std::string_view session_id, long max_age_seconds) {
  return session_cookie_name(origin) + "=" + std::string(session_id) + attributes(origin) +
         "; Max-Age=" + std::to_string(max_age_seconds);
}

std::string cleared_session_cookie(const Origin& origin) {
  return session_cookie_name(origin) + "=" + attributes(origin) + "; Max-Age=0";
}

std::optional<std::string_view> find_cookie(std::string_view header, std::string_view name) {
  while (!header.empty()) {
    auto end = header.find(';');
    auto pair = trim(header.substr(0, end));
    header = end == std::string_view::npos ? std::string_view{} : header.substr(end + 1);
    auto eq = pair.find('=');
    if (eq != std::string_view::npos && pair.substr(0, eq) == name) return pair.substr(eq + 1);
  }
  return std::nullopt;
}

}  // namespace qrlogin::app
