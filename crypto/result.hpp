#pragma once
// Errors as values. Every operation that can fail returns a Result carrying
// either its value or an Error: a std::error_code from its module's own enum
// (crypto::Errc, pairing::Errc, relay::Errc, relay::redis::Errc, cli::Errc,
// or a system/Asio code passed on) and a message a person can act on.
// Nothing returning a Result throws across an API edge.
//
// Compare codes with their enum: `r.error().code == crypto::Errc::bad_length`.
// error_name(code) is the stable machine name ("bad_length"); each module's
// category returns it as message().
#include <string>
#include <system_error>
#include <type_traits>
#include <utility>
#include <variant>

namespace qrlogin {

struct Error {
  std::error_code code;
  std::string message;
};

template <class E>
  requires std::is_error_code_enum_v<E>
[[nodiscard]] Error make_error(E code, std::string message) {
  return Error{make_error_code(code), std::move(message)};
}
[[nodiscard]] inline Error make_error(std::error_code code, std::string message) {
  return Error{code, std::move(message)};
}

// The stable machine name of a code: the enumerator's name for qrlogin's own
// categories ("bad_link", "unavailable"), the system's text for others.
[[nodiscard]] inline std::string error_name(const std::error_code& code) { return code.message(); }

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

template <>
class [[nodiscard]] Result<void> {
 public:
  Result() = default;
  Result(Error error) : error_(std::move(error)), failed_(true) {}  // NOLINT
  [[nodiscard]] bool ok() const noexcept { return !failed_; }
  explicit operator bool() const noexcept { return ok(); }
  [[nodiscard]] const Error& error() const { return error_; }

 private:
  Error error_;
  bool failed_ = false;
};

using Status = Result<void>;

}  // namespace qrlogin
