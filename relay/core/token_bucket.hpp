#pragma once
// A token bucket with explicit time (sans-IO): `rate` tokens a second, at
// most `burst` saved up.
#include "relay/core/types.hpp"

namespace qrlogin::relay {

class TokenBucket {
 public:
  TokenBucket(double rate, double burst, TimePoint now) noexcept;
  // Takes one token if there is one.
  [[nodiscard]] bool try_take(TimePoint now) noexcept;
  // Whether a token is there, taking none.
  [[nodiscard]] bool has_token(TimePoint now) const noexcept { return level(now) >= 1.0; }
  // True when the bucket is full again, so a table can drop it.
  [[nodiscard]] bool full(TimePoint now) const noexcept;

 private:
  [[nodiscard]] double level(TimePoint now) const noexcept;
  double rate_;
  double burst_;
  double tokens_;
  TimePoint updated_;
};

}  // namespace qrlogin::relay
