#include "web/app/rate_limit.hpp"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "relay/core/address.hpp"

namespace qrlogin::app {

RateLimiter::RateLimiter(RateLimit limit, std::size_t max_keys) : limit_(limit), max_keys_(max_keys) {}

void RateLimiter::refill(Bucket& bucket, UnixMillis now) const {
  if (now <= bucket.updated) return;
  const double elapsed = static_cast<double>(now - bucket.updated) / 1000.0;
  bucket.tokens = std::min(limit_.burst, bucket.tokens + elapsed * limit_.per_second);
  bucket.updated = now;
}

RateLimiter::Bucket* RateLimiter::find_or_add(const std::string& key, UnixMillis now) {
  if (auto it = buckets_.find(key); it != buckets_.end()) {
    refill(it->second, now);
    return &it->second;
  }
  if (buckets_.size() >= max_keys_) {
    for (auto it = buckets_.begin(); it != buckets_.end();) {
      refill(it->second, now);
      it = it->second.tokens >= limit_.burst ? buckets_.erase(it) : std::next(it);
    }
    if (buckets_.size() >= max_keys_) return nullptr;
  }
  return &buckets_.emplace(key, Bucket{limit_.burst, now}).first->second;
}

bool RateLimiter::try_take(const std::string& key, UnixMillis now) {
  std::lock_guard lock(mutex_);
  Bucket* bucket = find_or_add(key, now);
  if (bucket == nullptr || bucket->tokens < 1.0) return false;
  bucket->tokens -= 1.0;
  return true;
}

bool RateLimiter::has_token(const std::string& key, UnixMillis now) {
  std::lock_guard lock(mutex_);
  Bucket* bucket = find_or_add(key, now);
  return bucket != nullptr && bucket->tokens >= 1.0;
}

long RateLimiter::retry_after_seconds(const std::string& key, UnixMillis now) {
  std::lock_guard lock(mutex_);
  Bucket* bucket = find_or_add(key, now);
  if (bucket == nullptr || limit_.per_second <= 0) return 60;
  const double missing = std::max(0.0, 1.0 - bucket->tokens);
  return std::max(1L, static_cast<long>(std::ceil(missing / limit_.per_second)));
}

namespace {

// The relay's keys (relay/core/address.hpp), so that "an address" and "a
// network" mean the same to the application's limits as to the relay's:
// IPv4 /32 and /24, IPv6 /64 and /56. Text that is no address keys as itself.
std::string scoped_key(const std::string& address, relay::Scope scope) {
  auto ip = relay::parse_ip(address);
  if (!ip.ok()) return address;
  auto key = relay::scope_key(relay::limit_key(*ip), scope);
  if (!key) return address;
  std::string out(1, static_cast<char>('0' + static_cast<int>(scope)));
  out.append(reinterpret_cast<const char*>(key->bytes.data()), key->bytes.size());
  return out;
}

}  // namespace

std::string address_key(const std::string& address) { return scoped_key(address, relay::Scope::address); }
std::string network_key(const std::string& address) { return scoped_key(address, relay::Scope::network); }

}  // namespace qrlogin::app
