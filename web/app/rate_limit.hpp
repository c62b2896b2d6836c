#pragma once
// Token buckets in memory, one per key (an address, a network, an account),
// with explicit time. A restart forgets them, and so does a bucket that has
// filled up again. The table is bounded: past max_keys, full buckets are
// dropped, and if every bucket is still draining a new key is refused —
// under a flood from that many addresses, refusing newcomers is safer than
// forgetting whom we are holding back.
#include <cstddef>
#include <mutex>
#include <string>
#include <unordered_map>

#include "web/app/clock.hpp"

namespace qrlogin::app {

struct RateLimit {
  double per_second;
  double burst;
};

class RateLimiter {
 public:
  RateLimiter(RateLimit limit, std::size_t max_keys = 100'000);

  // Takes a token for `key` if it has one.
  [[nodiscard]] bool try_take(const std::string& key, UnixMillis now);
  // Whether `key` has a token, without taking it.
  [[nodiscard]] bool has_token(const std::string& key, UnixMillis now);
  // Whole seconds until `key` has a token again (at least 1).
  [[nodiscard]] long retry_after_seconds(const std::string& key, UnixMillis now);

 private:
  struct Bucket {
    double tokens;
    UnixMillis updated;
  };
  Bucket* find_or_add(const std::string& key, UnixMillis now);  // mutex_ held; null when the table is full
  void refill(Bucket& bucket, UnixMillis now) const;

  RateLimit limit_;
  std::size_t max_keys_;
  std::mutex mutex_;
  std::unordered_map<std::string, Bucket> buckets_;
};

// The keys rate limits count under: one address (an IPv4 address, an IPv6
// /64) and one network (IPv4 /24, IPv6 /56), as text. An address that does
// not parse is its own key.
[[nodiscard]] std::string address_key(const std::string& address);
[[nodiscard]] std::string network_key(const std::string& address);

}  // namespace qrlogin::app
