#pragma once
// A Redis reply the caller owns: hiredis frees its own reply objects as soon
// as the callback returns, so every reply is copied into this small tree
// before it leaves the adapter.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

struct redisReply;

namespace qrlogin::relay::redis {

struct Reply {
  enum class Type : std::uint8_t { string, array, integer, nil, status, error };

  Type type = Type::nil;
  std::string str;               // string, status, error
  long long integer = 0;         // integer
  std::vector<Reply> elements;   // array

  [[nodiscard]] bool is_string() const noexcept { return type == Type::string; }
  [[nodiscard]] bool is_array() const noexcept { return type == Type::array; }
  [[nodiscard]] bool is_integer() const noexcept { return type == Type::integer; }
  [[nodiscard]] bool is_nil() const noexcept { return type == Type::nil; }
  [[nodiscard]] bool is_status() const noexcept { return type == Type::status; }
  [[nodiscard]] bool is_error() const noexcept { return type == Type::error; }

  // A string or status reply's text, or an integer reply as a number; empty
  // otherwise.
  [[nodiscard]] std::optional<std::string_view> text() const noexcept;
  // An integer reply, or a string reply that is a decimal integer.
  [[nodiscard]] std::optional<long long> as_integer() const noexcept;

  static Reply from_hiredis(const redisReply& reply);
};

}  // namespace qrlogin::relay::redis
