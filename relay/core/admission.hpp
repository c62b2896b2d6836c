#pragma once
// Who may connect and who may open a channel. Every TCP connection counts in
// total and, once its client's address is known, under each scope of that
// address (relay::Scope: the address, its network, its IPv6 site). A new
// channel takes a token from the bucket of each scope and the global one,
// and counts as open under each scope until it ends. The per-scope tables
// only hold keys with a live connection, an open channel or a bucket that
// is not yet full again, so they are bounded by the caps.
#include <array>
#include <cstdint>
#include <optional>
#include <unordered_map>

#include "relay/core/address.hpp"
#include "relay/core/codes.hpp"
#include "relay/core/limits.hpp"
#include "relay/core/token_bucket.hpp"

namespace qrlogin::relay {

struct Refusal {
  Code code;
  Limit limit;
};

class Admission {
 public:
  Admission(const Limits& limits, TimePoint now);

  // In total: unavailable past --max-connections. Each success needs one
  // release_connection().
  [[nodiscard]] std::optional<Code> acquire_connection() noexcept;
  void release_connection() noexcept;
  // Under each scope of `key`: rate_limited past a scope's cap (nothing is
  // counted then). Each success needs one release_address().
  [[nodiscard]] std::optional<Refusal> acquire_address(const AddressKey& key);
  void release_address(const AddressKey& key, TimePoint now);

  // A receiver at `key` wants a new channel: below each scope's open-channel
  // cap, and one token from each scope's bucket and the global one; or
  // rate_limited. On success the channel counts as open under `key` until
  // release_channel().
  [[nodiscard]] std::optional<Refusal> open_channel(const AddressKey& key, TimePoint now);
  void release_channel(const AddressKey& key, TimePoint now);

  // Code channels (docs/relay.md, "Code channels"). A lookup is refused
  // before it looks when the address, its network or site, or its IPv6 /32
  // has no lookup left (rate_limited); count_lookup() spends one under each
  // (a scope with none left stays at none).
  [[nodiscard]] std::optional<Refusal> check_lookup(const AddressKey& key, TimePoint now);
  void count_lookup(const AddressKey& key, TimePoint now);
  // A receiver at `key` wants a new code channel: below the per-address
  // and per-network caps, or unavailable. On success it counts as open
  // under `key` until release_code_channel().
  [[nodiscard]] std::optional<Refusal> open_code_channel(const AddressKey& key, TimePoint now);
  void release_code_channel(const AddressKey& key, TimePoint now);

  // Drops per-scope entries that are idle and full again.
  void prune(TimePoint now);

  [[nodiscard]] std::uint32_t connections() const noexcept { return connections_; }
  [[nodiscard]] std::size_t tracked_keys() const noexcept;

 private:
  struct Entry {
    std::uint32_t connections = 0;
    std::uint32_t channels = 0;
    std::optional<TokenBucket> bucket;
    std::uint32_t code_channels = 0;
    std::optional<TokenBucket> lookups;
  };
  using Table = std::unordered_map<AddressKey, Entry, AddressKeyHash>;
  [[nodiscard]] static bool idle(const Entry& entry, TimePoint now) noexcept;
  void drop_if_idle(Table& table, Table::iterator it, TimePoint now);
  // One less of `count` under each scope of `key`.
  void release(const AddressKey& key, std::uint32_t Entry::*count, TimePoint now);

  // The lookup buckets of `key`'s scopes (made when missing): its address,
  // network, site and IPv6 /32; null where it has none.
  std::array<TokenBucket*, kScopeCount + 1> lookup_buckets(const AddressKey& key, TimePoint now);

  const Limits& limits_;
  std::array<Table, kScopeCount> tables_;
  Table regions_;  // IPv6 /32s, for the code lookup limit only
  TokenBucket global_bucket_;
  std::uint32_t connections_ = 0;
};

}  // namespace qrlogin::relay
