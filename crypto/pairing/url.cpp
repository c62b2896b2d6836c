#include "crypto/pairing/url.hpp"

#include <cctype>

namespace qrlogin::pairing {

namespace {
bool is_forbidden(char c) {
  auto u = static_cast<unsigned char>(c);
  return u <= 0x20 || u == 0x7f || u >= 0x80 || c == '\\' || c == '"' || c == '<' || c == '>' || c == '`' ||
         c == '{' || c == '}' || c == '|' || c == '^';
}

int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

Error url_error(std::string what) { return make_error(Errc::bad_url, std::move(what)); }
}  // namespace

Result<Url> parse_url(std::string_view text) {
  for (char c : text)
    if (is_forbidden(c)) return url_error("the URL contains a space, a control character or a character URLs may not carry");
  if (text.find('#') != std::string_view::npos) return url_error("the URL must not contain a fragment here");
  auto sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0) return url_error("the URL has no scheme (expected https://...)");
  Url url;
  for (char c : text.substr(0, sep)) {
    if (!std::isalpha(static_cast<unsigned char>(c))) return url_error("the URL scheme is malformed");
    url.scheme.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  }
  std::string_view rest = text.substr(sep + 3);
  auto end = rest.find_first_of("/?");
  std::string_view authority = rest.substr(0, end);
  rest = end == std::string_view::npos ? std::string_view{} : rest.substr(end);
  if (authority.empty()) return url_error("the URL has no host");
  if (authority.find('@') != std::string_view::npos) return url_error("the URL must not contain a user name or password");

  std::string_view port;
  if (authority.front() == '[') {
    auto close = authority.find(']');
    if (close == std::string_view::npos) return url_error("the URL's IPv6 address is missing its ']'");
    url.host = std::string(authority.substr(0, close + 1));
    auto after = authority.substr(close + 1);
    if (!after.empty()) {
      if (after.front() != ':') return url_error("the URL has characters after its IPv6 address");
      port = after.substr(1);
    }
  } else {
    auto colon = authority.find(':');
    url.host = std::string(authority.substr(0, colon));
    if (colon != std::string_view::npos) port = authority.substr(colon + 1);
    for (auto& c : url.host) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  if (url.host.empty() || url.host == "[]") return url_error("the URL has no host");
  if (!port.empty() || authority.back() == ':') {
    if (port.empty() || port.size() > 5) return url_error("the URL's port is not a number from 1 to 65535");
    unsigned long value = 0;
    for (char c : port) {
      if (!std::isdigit(static_cast<unsigned char>(c))) return url_error("the URL's port is not a number from 1 to 65535");
      value = value * 10 + static_cast<unsigned long>(c - '0');
    }
    if (value == 0 || value > 65535) return url_error("the URL's port is not a number from 1 to 65535");
    url.port = std::string(port);
  }
  auto q = rest.find('?');
  url.path = std::string(rest.substr(0, q));
  if (q != std::string_view::npos) url.query = std::string(rest.substr(q + 1));
  return url;
}

namespace {
// application/x-www-form-urlencoded decoding, as a browser's URLSearchParams
// does it ('+' is a space), so both sides read a link the same way.
Result<std::string> form_decode(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '+') {
      out.push_back(' ');
    } else if (raw[i] != '%') {
      out.push_back(raw[i]);
    } else {
      int hi = i + 2 < raw.size() ? hex_digit(raw[i + 1]) : -1;
      int lo = i + 2 < raw.size() ? hex_digit(raw[i + 2]) : -1;
      if (hi < 0 || lo < 0) return url_error("bad %-escape");
      out.push_back(static_cast<char>((hi << 4) | lo));
      i += 2;
    }
  }
  return out;
}
}  // namespace

Result<QueryParam> query_param(std::string_view query, std::string_view name) {
  QueryParam result;
  while (!query.empty()) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = pair.find('=');
    auto key = form_decode(pair.substr(0, eq));
    if (!key) return url_error("the URL's query has a bad %-escape");
    if (*key != name) continue;
    if (result.found) return url_error("the URL gives the '" + std::string(name) + "' parameter twice");
    auto value = form_decode(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (!value) return url_error("the URL's '" + std::string(name) + "' parameter has a bad %-escape");
    result.found = true;
    result.value = std::move(value).value();
  }
  return result;
}

std::string percent_encode(std::string_view text) {
  static constexpr char kHex[] = "0123456789ABCDEF";
  std::string out;
  for (char c : text) {
    auto u = static_cast<unsigned char>(c);
    if (std::isalnum(u) || c == '-' || c == '.' || c == '_' || c == '~') {
      out.push_back(c);
    } else {
      out.push_back('%');
      out.push_back(kHex[u >> 4]);
      out.push_back(kHex[u & 15]);
    }
  }
  return out;
}

}  // namespace qrlogin::pairing
