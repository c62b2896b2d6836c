#include "crypto/pairing/url.hpp"

#include <cctype>

#include "crypto/bytes.hpp"

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

// Only what every resolver reads the same way: a browser would percent-decode
// or re-encode anything else, and the CLI would look it up as written.
bool is_name_host(std::string_view host) {
  for (char c : host)
    if (!std::isalnum(static_cast<unsigned char>(c)) && c != '-' && c != '.' && c != '_') return false;
  return true;
}

bool is_ipv6_literal(std::string_view bracketed) {
  auto inside = bracketed.substr(1, bracketed.size() - 2);
  if (inside.find(':') == std::string_view::npos) return false;
  for (char c : inside)
    if (hex_digit(c) < 0 && c != ':' && c != '.') return false;
  return true;
}
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
  if (url.host.front() == '[' ? !is_ipv6_literal(url.host) : !is_name_host(url.host))
    return url_error(url.host.front() == '['
                         ? "the URL's IPv6 address may hold only hex digits, ':' and '.'"
                         : "the URL's host may hold only letters, digits, '-', '.' and '_'");
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

std::vector<std::string_view> query_values(std::string_view query, std::string_view name) {
  std::vector<std::string_view> values;
  for (;;) {
    auto amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    auto eq = pair.find('=');
    if (pair.substr(0, eq) == name)
      values.push_back(eq == std::string_view::npos ? std::string_view{} : pair.substr(eq + 1));
    if (amp == std::string_view::npos) return values;
    query = query.substr(amp + 1);
  }
}

Result<std::string> percent_decode(std::string_view raw) {
  std::string out;
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] != '%') {
      out.push_back(raw[i]);
      continue;
    }
    int hi = i + 2 < raw.size() ? hex_digit(raw[i + 1]) : -1;
    int lo = i + 2 < raw.size() ? hex_digit(raw[i + 2]) : -1;
    if (hi < 0 || lo < 0) return url_error("a '%' is not followed by two hex digits");
    out.push_back(static_cast<char>((hi << 4) | lo));
    i += 2;
  }
  if (!is_valid_utf8(as_bytes(out))) return url_error("its %-escapes do not decode to UTF-8 text");
  return out;
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
