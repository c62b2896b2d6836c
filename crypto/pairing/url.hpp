#pragma once
// A deliberately small, strict URL splitter for the few URLs qrlogin handles
// (page, relay). It accepts only scheme://host[:port][/path][?query], with
// no user info, no whitespace or control characters, and no fragment.
#include <string>
#include <string_view>

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

// The value of a query parameter, percent-decoded; empty optional-like
// result (found=false) when absent. Errors: bad percent-encoding, or the
// parameter given twice.
struct QueryParam {
  bool found = false;
  std::string value;
};
Result<QueryParam> query_param(std::string_view query, std::string_view name);

std::string percent_encode(std::string_view text);

}  // namespace qrlogin::pairing
