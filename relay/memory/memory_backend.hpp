#pragma once
// The channel backend of a single relay node: relay/core's Registry (the
// channel rules) and the per-scope channel admission, behind one mutex
// (none with one I/O thread). Every outcome goes to the sink before the
// call returns, with the mutex released.

#include "relay/core/channel_backend.hpp"
#include "relay/core/admission.hpp"
#include "relay/core/maybe_mutex.hpp"
#include "relay/core/registry.hpp"

namespace qrlogin::relay {

class MemoryBackend final : public ChannelBackend {
 public:
  // `single_thread`: every call comes from one thread; no mutex is taken.
  MemoryBackend(const Limits& limits, Sink sink, bool single_thread);

  void join(JoinRequest request, JoinDone done) override;
  [[nodiscard]] bool forward(const Cid& cid, Role from, ConnId conn, Frame frame, std::uint64_t taken) override;
  void leave(const Cid& cid, Role role, ConnId conn, LeaveKind kind) override;
  void sweep(TimePoint now) override;
  void shut_down(TimePoint now) override;
  [[nodiscard]] bool reserve_incoming(std::size_t bytes) override;
  void release_incoming(std::size_t bytes) override;
  [[nodiscard]] BackendStats stats() override;
  [[nodiscard]] std::optional<std::string> unavailable_reason() override;

 private:

  const Limits& limits_;
  Sink sink_;
  MaybeMutex mutex_;
  Admission admission_;
  Registry registry_;
};

}  // namespace qrlogin::relay
