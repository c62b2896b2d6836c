#pragma once
// Structured logs: one JSON object per line on stdout. Callers pass only
// fields that are safe to publish (docs/relay.md lists them): never a cid,
// path, query, Sec-WebSocket-Protocol header, token, key, link or frame
// bytes, and addresses only through log_address() (truncated).
//
// Logging never blocks an I/O thread: a caller formats its line and puts it
// in a bounded queue; one writer thread of the logger's own writes the queue
// to stdout. When the queue is full (stdout is a pipe nobody reads, a slow
// disk), lines are dropped and counted. Lines about refused connections and
// requests, which an attacker can cause at will, also pass a rate limit;
// the next line let through says how many were suppressed.
#include <atomic>
#include <cstdint>
#include <initializer_list>
#include <memory>
#include <mutex>
#include <string_view>
#include <thread>
#include <variant>

#include "relay/core/token_bucket.hpp"
#include "relay/config/config.hpp"

namespace qrlogin::relay {

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t, std::uint64_t, bool> value;
};

class Logger {
 public:
  // At most `queue_lines` lines wait for the writer thread.
  Logger(LogLevel level, std::size_t queue_lines);
  // Gives the writer a moment to write what is queued; a writer stuck on a
  // full stdout is left behind rather than waited for.
  ~Logger();
  Logger(const Logger&) = delete;
  Logger& operator=(const Logger&) = delete;

  [[nodiscard]] bool enabled(LogLevel level) const noexcept { return level <= level_; }
  void write(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);
  // Always printed (tests and scripts read it), whatever the level.
  void write_always(std::string_view event, std::initializer_list<LogField> fields);
  // A refusal (a connection or request turned away): rate-limited, with a
  // "suppressed" field counting what the limit held back since the last one.
  void write_refusal(LogLevel level, std::string_view event, std::initializer_list<LogField> fields);

  [[nodiscard]] std::uint64_t lines_dropped() const noexcept;
  [[nodiscard]] std::uint64_t lines_suppressed() const noexcept { return suppressed_total_.load(std::memory_order_relaxed); }

  // Refusal lines let through: a second's worth, and a burst.
  static constexpr double kRefusalsPerSecond = 10;
  static constexpr double kRefusalBurst = 20;

 private:
  struct Queue;
  void emit(std::string_view level, std::string_view event, std::initializer_list<LogField> fields,
            std::uint64_t suppressed);
  LogLevel level_;
  std::shared_ptr<Queue> queue_;  // shared with the writer thread, which may outlive us
  std::thread writer_;
  std::mutex refusal_mutex_;
  TokenBucket refusals_;
  std::uint64_t suppressed_since_ = 0;
  std::atomic<std::uint64_t> suppressed_total_{0};
};

}  // namespace qrlogin::relay
