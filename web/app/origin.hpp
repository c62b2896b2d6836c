#pragma once
// The application's own origin (--origin): scheme, host and port, written
// the way browsers write the Origin header (lower-case, no default port,
// no path), so a request's Origin is compared with it as a string.
#include <cstdint>
#include <string>
#include <string_view>

#include "crypto/result.hpp"

namespace qrlogin::app {

struct Origin {
  std::string text;     // e.g. "https://app.example" or "http://127.0.0.1:8090"
  bool secure = false;  // https: cookies get Secure and the __Host- prefix
};

// Accepts http:// or https://, a host (name, IPv4, or [IPv6]), an optional
// port and an optional trailing "/". Errors: bad_flag saying what is wrong.
Result<Origin> parse_origin(std::string_view url);

}  // namespace qrlogin::app
