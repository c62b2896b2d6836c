#pragma once
// The channel backend of a single relay node: relay/core's Registry (the
// channel rules) and the per-scope channel admission, behind one mutex
// (none with one I/O thread). Every outcome goes to the sink before the
// call returns, with the mutex released.
#include <mutex>

#include "relay/channel/backend.hpp"
#include "relay/core/admission.hpp"
#include "relay/core/registry.hpp"

namespace qrlogin::relay {

class MemoryBackend final : public ChannelBackend {
 public:
  // `single_thread`: every call comes from one thread; no mutex is taken.
  MemoryBackend(const Limits& limits, Sink sink, bool single_thread);

  void join(JoinRequest request, JoinDone done) override;
  void forward(const Cid& cid, Role from, ConnId conn, Frame frame) override;
  void delivered(const Cid& cid, Role from, std::uint64_t index, ConnId to) override;
  void leave(const Cid& cid, Role role, ConnId conn, LeaveKind kind) override;
  void sweep(TimePoint now) override;
  void shut_down(TimePoint now) override;
  [[nodiscard]] bool reserve_incoming(std::size_t bytes) override;
  void release_incoming(std::size_t bytes) override;
  [[nodiscard]] BackendStats stats() override;
  [[nodiscard]] std::optional<std::string> unavailable_reason() override;

 private:
  class Lock {
   public:
    explicit Lock(MemoryBackend& b) : mutex_(b.single_thread_ ? nullptr : &b.mutex_) {
      if (mutex_) mutex_->lock();
    }
    ~Lock() {
      if (mutex_) mutex_->unlock();
    }
    Lock(const Lock&) = delete;
    Lock& operator=(const Lock&) = delete;

   private:
    std::mutex* mutex_;
  };

  const Limits& limits_;
  Sink sink_;
  const bool single_thread_;
  std::mutex mutex_;
  Admission admission_;
  Registry registry_;
};

}  // namespace qrlogin::relay
