#pragma once
// A mutex that is never taken when the relay runs one I/O thread (every
// caller is then on that thread). BasicLockable: use std::lock_guard.
#include <mutex>

namespace qrlogin::relay {

class MaybeMutex {
 public:
  explicit MaybeMutex(bool single_thread) noexcept : single_thread_(single_thread) {}
  void lock() {
    if (!single_thread_) mutex_.lock();
  }
  void unlock() {
    if (!single_thread_) mutex_.unlock();
  }

 private:
  const bool single_thread_;
  std::mutex mutex_;
};

}  // namespace qrlogin::relay
