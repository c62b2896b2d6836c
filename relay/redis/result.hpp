#pragma once
// The Redis layer's error codes (category "redis"). Every command, script
// and parse returns a qrlogin::Result (crypto/result.hpp) whose error has one
// of these codes. Nothing in relay/redis throws across an API edge or a
// completion handler.
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::relay::redis {

enum class Errc {
  unavailable = 1,  // not connected, the queue of pending commands is full, or
                    // the connection was lost before the reply: retry later
  server,           // Redis answered with an error reply (the message is Redis's)
  protocol,         // a reply of a shape the caller did not expect
  bad_url,          // a --redis URL that is not exactly redis://[user:pass@]host[:port][/db]
  bad_config,       // a password file that cannot be read, and the like
  timeout,          // the command's own deadline passed without a reply (Redis
                    // may still run it); the connection itself is fine
};

[[nodiscard]] const std::error_category& error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(Errc code) noexcept {
  return {static_cast<int>(code), error_category()};
}

}  // namespace qrlogin::relay::redis

template <>
struct std::is_error_code_enum<qrlogin::relay::redis::Errc> : std::true_type {};
