#pragma once
// The relay's counters for /metrics (Prometheus text format 0.0.4). Every
// label takes its values from a fixed set (error codes, limit names, resume
// outcomes), and every series is printed from the start, at 0: the number
// of series never changes with traffic, and no cid, address, token or user
// agent can reach a label. Thread-safe (relaxed atomics).
#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "relay/core/codes.hpp"
#include "relay/core/limits.hpp"

namespace qrlogin::relay {


struct MetricsGauges {
  std::uint64_t connections = 0;
  std::uint64_t channels = 0;
  std::uint64_t buffered_bytes = 0;
  std::optional<bool> redis_up;  // cluster mode only
  std::optional<std::uint64_t> redis_pending;  // cluster mode: commands waiting for Redis's reply
  std::uint64_t log_lines_dropped = 0;     // the log queue was full
  std::uint64_t log_lines_suppressed = 0;  // refusal lines held back by their rate limit
};

class Metrics {
 public:
  void error(Code code) noexcept;  // an `error` sent to a client (peer_closed is not one)
  void rejected(Limit limit) noexcept;
  void intrusion() noexcept;       // every intrusion attempt, not only the notified one
  void resume(bool ok) noexcept;
  void pairing_completed() noexcept;
  void forwarded(std::size_t bytes) noexcept;
  void websocket_opened() noexcept;
  void written(std::size_t messages) noexcept;  // one batch write of queued messages to a client
  void tls_handshake(bool own_records) noexcept;  // a finished TLS handshake, by who protects its records
  void fenced() noexcept;          // cluster: a write refused because the slot was resumed on another node
  void evicted() noexcept;         // cluster: a client whose slot was dropped while its node stalled
  void lookup(LookupResult result) noexcept;  // a code channel lookup, by what it found

  [[nodiscard]] std::string render(const MetricsGauges& gauges) const;

 private:
  using Counter = std::atomic<std::uint64_t>;
  std::array<Counter, kCodeCount> errors_{};
  std::array<Counter, kLimitCount> rejected_{};
  Counter intrusions_{0};
  Counter resumes_ok_{0};
  Counter resumes_refused_{0};
  Counter pairings_{0};
  Counter frames_{0};
  Counter bytes_{0};
  Counter websockets_{0};
  Counter writes_{0};
  Counter messages_written_{0};
  Counter tls_own_records_{0};
  Counter tls_openssl_records_{0};
  Counter fenced_{0};
  Counter evicted_{0};
  std::array<Counter, kLookupResultCount> lookups_{};
};

}  // namespace qrlogin::relay
