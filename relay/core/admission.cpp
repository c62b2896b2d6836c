#include "relay/core/admission.hpp"

namespace qrlogin::relay {

namespace {
constexpr std::array<Scope, kScopeCount> kScopes = {Scope::address, Scope::network, Scope::site};
}  // namespace

Admission::Admission(const Limits& limits, TimePoint now)
    : limits_(limits), global_bucket_(limits.channel_rate_global, limits.channel_burst_global, now) {}

std::optional<Code> Admission::acquire_connection() noexcept {
  if (connections_ >= limits_.max_connections) return Code::unavailable;
  ++connections_;
  return std::nullopt;
}

void Admission::release_connection() noexcept {
  if (connections_ > 0) --connections_;
}

bool Admission::idle(const Entry& entry, TimePoint now) noexcept {
  return entry.connections == 0 && entry.channels == 0 && entry.code_channels == 0 &&
         (!entry.bucket || entry.bucket->full(now)) && (!entry.lookups || entry.lookups->full(now));
}

void Admission::drop_if_idle(Table& table, Table::iterator it, TimePoint now) {
  if (it != table.end() && idle(it->second, now)) table.erase(it);
}

std::optional<Refusal> Admission::acquire_address(const AddressKey& key) {
  // Check every scope before counting under any.
  for (auto scope : kScopes) {
    auto scoped = scope_key(key, scope);
    if (!scoped) continue;
    auto& table = tables_[static_cast<std::size_t>(scope)];
    auto it = table.find(*scoped);
    auto used = it == table.end() ? 0u : it->second.connections;
    if (used >= scope_limits(limits_, static_cast<std::size_t>(scope)).connections)
      return Refusal{Code::rate_limited, scope == Scope::address ? Limit::max_connections_per_address
                                                                 : Limit::max_connections_per_network};
  }
  for (auto scope : kScopes)
    if (auto scoped = scope_key(key, scope)) ++tables_[static_cast<std::size_t>(scope)][*scoped].connections;
  return std::nullopt;
}

void Admission::release_address(const AddressKey& key, TimePoint now) { release(key, &Entry::connections, now); }

void Admission::release(const AddressKey& key, std::uint32_t Entry::*count, TimePoint now) {
  for (auto scope : kScopes) {
    auto scoped = scope_key(key, scope);
    if (!scoped) continue;
    auto& table = tables_[static_cast<std::size_t>(scope)];
    auto it = table.find(*scoped);
    if (it == table.end() || it->second.*count == 0) continue;
    --(it->second.*count);
    drop_if_idle(table, it, now);
  }
}

std::optional<Refusal> Admission::open_channel(const AddressKey& key, TimePoint now) {
  std::array<Entry*, kScopeCount> entries{};
  for (auto scope : kScopes) {
    auto scoped = scope_key(key, scope);
    if (!scoped) continue;
    auto i = static_cast<std::size_t>(scope);
    auto bounds = scope_limits(limits_, i);
    auto& entry = tables_[i][*scoped];
    if (!entry.bucket) entry.bucket.emplace(bounds.rate, bounds.burst, now);
    entries[i] = &entry;
    if (entry.channels >= bounds.channels) return Refusal{Code::rate_limited, Limit::open_channels};
  }
  // Tokens are taken one bucket after the other: a refusal by a wider
  // bucket has cost the narrower ones a token, which only slows the same
  // client further.
  for (auto* entry : entries)
    if (entry != nullptr && !entry->bucket->try_take(now)) return Refusal{Code::rate_limited, Limit::channel_rate};
  if (!global_bucket_.try_take(now)) return Refusal{Code::rate_limited, Limit::channel_rate};
  for (auto* entry : entries)
    if (entry != nullptr) ++entry->channels;
  return std::nullopt;
}

void Admission::release_channel(const AddressKey& key, TimePoint now) { release(key, &Entry::channels, now); }

std::array<TokenBucket*, kScopeCount + 1> Admission::lookup_buckets(const AddressKey& key, TimePoint now) {
  std::array<TokenBucket*, kScopeCount + 1> out{};
  auto bucket = [&](Table& table, const AddressKey& scoped, double per_minute) {
    auto& entry = table[scoped];
    if (!entry.lookups) entry.lookups.emplace(per_minute / 60.0, per_minute, now);
    return &*entry.lookups;
  };
  for (auto scope : kScopes) {
    auto scoped = scope_key(key, scope);
    if (!scoped) continue;
    auto i = static_cast<std::size_t>(scope);
    auto per_minute = scope == Scope::address ? limits_.code_lookups_per_address : limits_.code_lookups_per_network;
    out[i] = bucket(tables_[i], *scoped, per_minute);
  }
  if (!key_is_v4(key)) {
    AddressKey region = key;
    std::fill(region.bytes.begin() + 4, region.bytes.end(), std::uint8_t{0});  // IPv6 /32
    out[kScopeCount] = bucket(regions_, region, limits_.code_lookups_per_region);
  }
  return out;
}

std::optional<Refusal> Admission::check_lookup(const AddressKey& key, TimePoint now) {
  for (auto* bucket : lookup_buckets(key, now))
    if (bucket != nullptr && !bucket->has_token(now)) return Refusal{Code::rate_limited, Limit::code_lookups};
  return std::nullopt;
}

void Admission::count_lookup(const AddressKey& key, TimePoint now) {
  for (auto* bucket : lookup_buckets(key, now))
    if (bucket != nullptr) (void)bucket->try_take(now);
}

std::optional<Refusal> Admission::open_code_channel(const AddressKey& key, TimePoint /*now*/) {
  std::array<Entry*, kScopeCount> entries{};
  for (auto scope : kScopes) {
    auto scoped = scope_key(key, scope);
    if (!scoped) continue;
    auto i = static_cast<std::size_t>(scope);
    auto cap = scope == Scope::address ? limits_.max_code_channels_per_address : limits_.max_code_channels_per_network;
    auto& entry = tables_[i][*scoped];
    entries[i] = &entry;
    if (entry.code_channels >= cap) return Refusal{Code::unavailable, Limit::code_channels};
  }
  for (auto* entry : entries)
    if (entry != nullptr) ++entry->code_channels;
  return std::nullopt;
}

void Admission::release_code_channel(const AddressKey& key, TimePoint now) {
  release(key, &Entry::code_channels, now);
}

void Admission::prune(TimePoint now) {
  for (auto* table : {&tables_[0], &tables_[1], &tables_[2], &regions_})
    for (auto it = table->begin(); it != table->end();) {
      if (idle(it->second, now)) it = table->erase(it);
      else ++it;
    }
}

std::size_t Admission::tracked_keys() const noexcept {
  std::size_t n = regions_.size();
  for (const auto& table : tables_) n += table.size();
  return n;
}

}  // namespace qrlogin::relay
