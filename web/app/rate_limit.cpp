#include "web/app/rate_limit.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <iterator>

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

std::string prefix_key(const std::string& address, int v4_bits, int v6_bits) {
  std::array<std::uint8_t, 16> bytes{};
  int bits = 0;
  std::size_t size = 0;
  char family = '?';
  if (inet_pton(AF_INET, address.c_str(), bytes.data()) == 1) {
    bits = v4_bits, size = 4, family = '4';
  } else if (inet_pton(AF_INET6, address.c_str(), bytes.data()) == 1) {
    bits = v6_bits, size = 16, family = '6';
  } else {
    return address;
  }
  for (std::size_t i = 0; i < size; ++i) {
    const int keep = std::clamp(bits - static_cast<int>(i) * 8, 0, 8);
    bytes[i] = static_cast<std::uint8_t>(bytes[i] & (0xFF00 >> keep));
  }
  std::string key(1, family);
  key.append(reinterpret_cast<const char*>(bytes.data()), size);
  key += '/';
  key += std::to_string(bits);
  return key;
}

}  // namespace

std::string address_key(const std::string& address) { return prefix_key(address, 32, 64); }
std::string network_key(const std::string& address) { return prefix_key(address, 24, 56); }

}  // namespace qrlogin::app
