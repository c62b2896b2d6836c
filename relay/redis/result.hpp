#pragma once
// Errors of the Redis layer as values: every command, script and parse
// returns a Result carrying either its value or an Error with a stable code.
// Nothing in relay/redis throws across an API edge or a completion handler.
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace qrlogin::relay::redis {

enum class Errc {
  unavailable,  // not connected, the queue of pending commands is full, or
                // the connection was lost before the reply: retry later
  server,       // Redis answered with an error reply (the message is Redis's)
  protocol,     // a reply of a shape the caller did not expect
  bad_url,      // a --redis URL that is not exactly redis://[user:pass@]host[:port][/db]
  bad_config,   // a password file that cannot be read, and the like
};

std::string_view errc_name(Errc code) noexcept;

struct Error {
  Errc code;
  std::string message;
};

template <class T>
class [[nodiscard]] Result {
 public:
  Result(T value) : state_(std::in_place_index<0>, std::move(value)) {}  // NOLINT: implicit by design
  Result(Error error) : state_(std::in_place_index<1>, std::move(error)) {}  // NOLINT

  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }

  T& value() & { return std::get<0>(state_); }
  const T& value() const& { return std::get<0>(state_); }
  T&& value() && { return std::get<0>(std::move(state_)); }
  T* operator->() { return &value(); }
  const T* operator->() const { return &value(); }
  T& operator*() & { return value(); }
  const T& operator*() const& { return value(); }

  [[nodiscard]] const Error& error() const { return std::get<1>(state_); }

 private:
  std::variant<T, Error> state_;
};

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace qrlogin::relay::redis
