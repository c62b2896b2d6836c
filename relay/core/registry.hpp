#pragma once
// The channel registry, sans-IO: which connection holds which slot of which
// channel, the frames in flight, channel lifetimes, and the memory of used
// cids. Every method takes `now` and returns what the network layer must do
// (deliver, notify, close); nothing here touches a socket or a clock.
//
// Resume (next step) fits in as: a token per slot, `received=N` replaying
// `FrameLog::from(N)` to a re-attached slot, and the grace deadline below.
#include <cstdint>
#include <deque>
#include <optional>
#include <unordered_map>
#include <utility>
#include <vector>

#include "relay/core/admission.hpp"
#include "relay/core/codes.hpp"
#include "relay/core/frame_log.hpp"
#include "relay/core/limits.hpp"
#include "relay/core/types.hpp"

namespace qrlogin::relay {

struct Delivery {
  ConnId to = 0;
  Role from = Role::receiver;  // whose log the frame is in
  std::uint64_t index = 0;
  Frame frame;
};

struct JoinResult {
  std::optional<Code> error;        // expired, channel_full, rate_limited, unavailable
  std::vector<ConnId> intrusion;    // with channel_full: who gets the one `intrusion`
  Millis expires_in{0};
  bool peer_present = false;
  std::optional<ConnId> notify_peer;  // gets `peer joined`
  std::vector<Delivery> backlog;      // frames the peer sent before this client came
};

struct ForwardResult {
  std::optional<Code> error;          // for the client that sent the frame
  std::optional<ConnId> slow_peer;    // close with slow_consumer
  std::optional<Delivery> delivery;   // to the peer, when connected
};

enum class LeaveKind : std::uint8_t {
  normal,    // close 1000 from this client: the channel ends at once
  abnormal,  // anything else: the slot waits out the grace period
};

struct LeaveResult {
  std::optional<ConnId> peer_left;    // gets `peer left` (slot kept for grace)
  std::optional<ConnId> peer_closed;  // gets `peer left` then close 1000 (channel over)
};

class Registry {
 public:
  explicit Registry(const Limits& limits) : limits_(limits) {}

  JoinResult join(const Cid& cid, Role role, ConnId conn, const AddressKey& address, Admission& admission,
                  TimePoint now);
  ForwardResult forward(const Cid& cid, Role from, ConnId conn, Frame frame);
  // The peer's socket took frame `index` of `from`'s log.
  void delivered(const Cid& cid, Role from, std::uint64_t index);
  LeaveResult leave(const Cid& cid, Role role, ConnId conn, LeaveKind kind, TimePoint now);

  // Ends channels past their lifetime or grace; returns the connections to
  // close with `expired`. Also forgets cids older than the memory window.
  std::vector<ConnId> expire(TimePoint now);
  // Ends every channel (shutdown); returns every connected client.
  std::vector<ConnId> end_all(TimePoint now);

  [[nodiscard]] std::size_t channels() const noexcept { return channels_.size(); }
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffered_bytes_; }
  [[nodiscard]] std::size_t remembered_cids() const noexcept { return used_.size(); }
  [[nodiscard]] bool is_used(const Cid& cid) const { return used_.contains(cid); }

 private:
  struct Slot {
    std::optional<ConnId> conn;
    bool taken = false;                 // ever joined: a second one is an intrusion
    std::optional<TimePoint> grace_end;  // set while a dropped client may come back
    FrameLog log;                       // frames this client sent, not yet delivered
  };
  struct Channel {
    TimePoint expires;
    std::array<Slot, kRoleCount> slots;
    std::uint32_t frames = 0;
    std::size_t bytes = 0;
    bool intrusion_sent = false;
  };
  using Channels = std::unordered_map<Cid, Channel, CidHash>;

  std::optional<Code> admit_new_channel(const AddressKey& address, Admission& admission, TimePoint now) const;
  void end_channel(Channels::iterator it, TimePoint now);
  void forget_old_cids(TimePoint now);

  const Limits& limits_;
  Channels channels_;
  std::size_t buffered_bytes_ = 0;
  // Used and expired cids, in the order they ended (so forget times rise).
  std::unordered_map<Cid, TimePoint, CidHash> used_;
  std::deque<std::pair<TimePoint, Cid>> used_order_;
};

}  // namespace qrlogin::relay
