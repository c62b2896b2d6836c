#pragma once
// A deliberately small, strict URL splitter for the few URLs qrlogin handles
// (page, relay). It accepts only scheme://host[:port][/path][?query], with
// no user info, no whitespace or control characters, and no fragment; a
// host is a name of letters, digits, '-', '.' and '_', or an IPv6 address
// in brackets. Queries follow the one rule of docs/protocol.md, "The
// pairing link" (protocol rev. 3), as web/src/url.js does.
#include <string>
#include <string_view>
#include <vector>

#include "crypto/pairing/error.hpp"

namespace qrlogin::pairing {

struct Url {
  std::string scheme;     // lower case
  std::string host;       // as written; IPv6 with brackets
  std::string port;       // digits or empty
  std::string path;       // starts with '/' or is empty
  std::string query;      // without '?'
  std::string authority() const { return port.empty() ? host : host + ":" + port; }
};

Result<Url> parse_url(std::string_view text);

// The raw values of every parameter whose name is exactly `name`, in order.
// Parameters are split at '&', a name ends at the first '='; names are
// compared as written, never decoded ("rel%61y" is not "relay"). A
// parameter without '=' has the empty value.
std::vector<std::string_view> query_values(std::string_view query, std::string_view name);

// A query value percent-decoded: each %XX is one byte, '+' and every other
// character stand for themselves, and the bytes must be UTF-8. Errors
// (bad_url): a '%' without two hex digits after it, or bytes that are not
// UTF-8.
Result<std::string> percent_decode(std::string_view raw);

// Every byte but A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex).
std::string percent_encode(std::string_view text);

}  // namespace qrlogin::pairing
