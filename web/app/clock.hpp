#pragma once
// Time is injected: the application reads the wall clock only through a
// Clock, so tests move time forward (an expired grant, a refilled rate
// limit) instead of sleeping. Times are Unix milliseconds.
#include <atomic>
#include <chrono>
#include <cstdint>

namespace qrlogin::app {

using UnixMillis = std::int64_t;

class Clock {
 public:
  virtual ~Clock() = default;
  [[nodiscard]] virtual UnixMillis now() const = 0;
};

class SystemClock final : public Clock {
 public:
  [[nodiscard]] UnixMillis now() const override {
    using namespace std::chrono;
    return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  }
};

// For tests: stands still until advanced.
class ManualClock final : public Clock {
 public:
  explicit ManualClock(UnixMillis start = 1'700'000'000'000) : now_(start) {}
  [[nodiscard]] UnixMillis now() const override { return now_.load(); }
  void advance(std::chrono::milliseconds by) { now_ += by.count(); }

 private:
  std::atomic<UnixMillis> now_;
};

}  // namespace qrlogin::app
