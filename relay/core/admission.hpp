#pragma once
// Who may connect and who may open a channel: connections per address and
// in total, and new-channel token buckets per address and in total. The
// per-address table only holds addresses with a live connection or a
// bucket that is not yet full again, so it is bounded by the caps.
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "relay/core/address.hpp"
#include "relay/core/codes.hpp"
#include "relay/core/limits.hpp"
#include "relay/core/token_bucket.hpp"

namespace qrlogin::relay {

class Admission {
 public:
  Admission(const Limits& limits, TimePoint now);

  // Every TCP connection counts in total (unavailable past the cap), and
  // under its client's address (rate_limited past the per-address cap) once
  // that address is known: at accept, or after X-Forwarded-For from a
  // trusted proxy. Each success needs one matching release.
  [[nodiscard]] std::optional<Code> acquire_connection() noexcept;
  void release_connection() noexcept;
  [[nodiscard]] std::optional<Code> acquire_address(const AddressKey& key, TimePoint now);
  void release_address(const AddressKey& key, TimePoint now);

  // A receiver wants a new channel: one token from its address's bucket and
  // one from the global one, or rate_limited.
  [[nodiscard]] std::optional<Code> take_channel_token(const AddressKey& key, TimePoint now);

  // Drops per-address entries that are idle and full again.
  void prune(TimePoint now);

  [[nodiscard]] std::uint32_t connections() const noexcept { return connections_; }
  [[nodiscard]] std::size_t tracked_addresses() const noexcept { return table_.size(); }

 private:
  struct Entry {
    std::uint32_t connections = 0;
    std::optional<TokenBucket> bucket;
  };
  const Limits& limits_;
  std::unordered_map<AddressKey, Entry, AddressKeyHash> table_;
  TokenBucket global_bucket_;
  std::uint32_t connections_ = 0;
};

}  // namespace qrlogin::relay
