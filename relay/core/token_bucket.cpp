#include "relay/core/token_bucket.hpp"

#include <algorithm>

namespace qrlogin::relay {

TokenBucket::TokenBucket(double rate, double burst, TimePoint now) noexcept
    : rate_(rate), burst_(std::max(burst, 1.0)), tokens_(burst_), updated_(now) {}

double TokenBucket::level(TimePoint now) const noexcept {
  if (now <= updated_) return tokens_;
  double seconds = std::chrono::duration<double>(now - updated_).count();
  return std::min(burst_, tokens_ + seconds * rate_);
}

bool TokenBucket::try_take(TimePoint now) noexcept {
  tokens_ = level(now);
  if (now > updated_) updated_ = now;
  if (tokens_ < 1.0) return false;
  tokens_ -= 1.0;
  return true;
}

bool TokenBucket::full(TimePoint now) const noexcept { return level(now) >= burst_; }

}  // namespace qrlogin::relay
