#pragma once
// Errors as values. Every operation on untrusted input returns a Result
// carrying either the value or an Error with a stable machine code and a
// message a person can act on. Nothing here throws across an API edge.
#include <string>
#include <string_view>
#include <utility>
#include <variant>

namespace qrlogin {

enum class Errc {
  invalid_argument,  // a caller passed something of the wrong shape
  bad_length,        // a key, nonce or message has the wrong size
  bad_encoding,      // hex, base64url or JSON that does not parse
  low_order_point,   // an X25519 public key whose shared secret is all zero
  auth_failed,       // an AEAD tag or MAC did not verify
  limit_exceeded,    // a sequence number or output length ran out
  bad_link,          // a pairing link that is not exactly what the protocol allows
  internal,          // the crypto library itself failed
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

  const Error& error() const { return std::get<1>(state_); }

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
  const Error& error() const { return error_; }

 private:
  Error error_{Errc::internal, {}};
  bool failed_ = false;
};

using Status = Result<void>;

inline Error make_error(Errc code, std::string message) { return Error{code, std::move(message)}; }

}  // namespace qrlogin
