#include "web/app/origin.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "web/app/error.hpp"

namespace qrlogin::app {

Result<Origin> parse_origin(std::string_view url) {
  auto bad = [&](std::string_view why) {
    return make_error(AppErrc::bad_flag, "--origin " + std::string(url) + ": " + std::string(why));
  };
  Origin origin;
  std::string_view rest;
  if (url.starts_with("https://")) {
    origin.secure = true;
    rest = url.substr(8);
  } else if (url.starts_with("http://")) {
    rest = url.substr(7);
  } else {
    return bad("must start with http:// or https://");
  }
  if (rest.ends_with('/')) rest.remove_suffix(1);
  if (rest.empty()) return bad("has no host");
  if (rest.find_first_of("/?#@") != std::string_view::npos) return bad("must be scheme://host[:port], nothing else");
  std::string_view host = rest;
  std::string_view port;
  if (rest.front() == '[') {
    auto close = rest.find(']');
    if (close == std::string_view::npos) return bad("has an unclosed [");
    host = rest.substr(0, close + 1);
    auto after = rest.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return bad("has something after the IPv6 address");
      port = after.substr(1);
    }
  } else if (auto colon = rest.rfind(':'); colon != std::string_view::npos) {
    host = rest.substr(0, colon);
    port = rest.substr(colon + 1);
  }
  auto host_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == '[' || c == ']' || c == ':';
  };
  if (host.empty() || !std::all_of(host.begin(), host.end(), host_char)) return bad("has a malformed host");
  std::string lower(host);
  std::transform(lower.begin(), lower.end(), lower.begin(),
                 [](char c) { return static_cast<char>(std::tolower(static_cast<unsigned char>(c))); });
  origin.text = (origin.secure ? "https://" : "http://") + lower;
  if (!port.empty()) {
    unsigned value = 0;
    auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
    if (ec != std::errc{} || end != port.data() + port.size() || value == 0 || value > 65535)
      return bad("has a malformed port");
    if (value != (origin.secure ? 443U : 80U)) origin.text += ":" + std::to_string(value);
  }
  return origin;
}

}  // namespace qrlogin::app
