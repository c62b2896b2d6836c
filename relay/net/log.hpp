#pragma once
// Structured logs: one JSON object per line on stdout. Callers pass only
// fields that are safe to publish (docs/relay.md lists them): never a cid,
// path, query, Sec-WebSocket-Protocol header, token, key, link or frame
// bytes, and addresses only through log_address() (truncated).
#include <cstdint>
#include <initializer_list>
#include <mutex>
#include <string_view>
#include <variant>

#include "relay/net/config.hpp"

namespace qrlogin::relay {

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, std::uint64_t, bool> value;
};

class Logger {
 public:
  explicit Logger(LogLevel level) : level_(level) {}
  [[nodiscard]] bool enabled(LogLevel level) const noexcept { return level <= level_; }
  void write(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);
  // Always printed (tests and scripts read it), whatever the level.
  void write_always(std::string_view event, std::initializer_list<LogField> fields);

 private:
  void emit(std::string_view level, std::string_view event, std::initializer_list<LogField> fields);
  LogLevel level_;
  std::mutex mutex_;
};

}  // namespace qrlogin::relay
