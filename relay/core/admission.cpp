#include "relay/core/admission.hpp"

namespace qrlogin::relay {

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

std::optional<Code> Admission::acquire_address(const AddressKey& key, TimePoint /*now*/) {
  auto& entry = table_[key];
  if (entry.connections >= limits_.max_connections_per_address) return Code::rate_limited;
  ++entry.connections;
  return std::nullopt;
}

void Admission::release_address(const AddressKey& key, TimePoint now) {
  auto it = table_.find(key);
  if (it == table_.end() || it->second.connections == 0) return;
  --it->second.connections;
  if (it->second.connections == 0 && (!it->second.bucket || it->second.bucket->full(now))) table_.erase(it);
}

std::optional<Code> Admission::take_channel_token(const AddressKey& key, TimePoint now) {
  auto& entry = table_[key];
  if (!entry.bucket) entry.bucket.emplace(limits_.channel_rate_per_address, limits_.channel_burst_per_address, now);
  if (!entry.bucket->try_take(now)) return Code::rate_limited;
  if (!global_bucket_.try_take(now)) return Code::rate_limited;
  return std::nullopt;
}

void Admission::prune(TimePoint now) {
  for (auto it = table_.begin(); it != table_.end();) {
    if (it->second.connections == 0 && (!it->second.bucket || it->second.bucket->full(now))) it = table_.erase(it);
    else ++it;
  }
}

}  // namespace qrlogin::relay
