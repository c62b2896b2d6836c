#pragma once
// The channel registry, sans-IO: which connection holds which slot of which
// channel, the frames in flight, channel lifetimes, and the memory of used
// cids. Every method takes `now` and returns what the network layer must do
// (deliver, notify, close); nothing here touches a socket or a clock.
//
// Resume: each slot holds the SHA-256 of its current resume token (the
// network layer draws tokens and hashes them; the core only compares hashes,
// in constant time). A resume presents a token hash and `received=N`; a
// match re-attaches the slot (taking over a socket that still looks alive),
// confirms the peer's frames below N and replays the rest of the peer's log.
#include <array>
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
#include "relay/core/token_bucket.hpp"
#include "relay/core/types.hpp"
#include "relay/core/used_cids.hpp"

namespace qrlogin::relay {

struct Delivery {
  ConnId to = 0;
  Role from = Role::receiver;  // whose log the frame is in
  std::uint64_t index = 0;
  Frame frame;
};

// SHA-256 of a resume token.
using TokenHash = std::array<std::uint8_t, 32>;

struct ResumeRequest {
  TokenHash token{};
  std::uint64_t received = 0;  // binary frames the client received on this channel
};

struct JoinResult {
  // expired, channel_full, rate_limited, unavailable; on a resume also
  // expired (wrong/used token, or frames it missed are gone) and bad_request
  // (`received` beyond what the peer sent).
  std::optional<Code> error;
  std::vector<ConnId> intrusion;    // with channel_full or a wrong token: who gets the one `intrusion`
  Millis expires_in{0};
  bool peer_present = false;
  std::optional<ConnId> notify_peer;  // gets `peer joined` (`peer back` when resumed)
  std::vector<Delivery> backlog;      // frames of the peer this client has not received
  bool resumed = false;
  std::uint64_t received = 0;         // resumed: binary frames the relay received from this client
  std::optional<ConnId> replaced;     // resumed over a live socket: close it as `replaced`
  bool intrusion_attempt = false;     // channel_full or a wrong token (also after the one notice)
  std::optional<Limit> limit;         // which bound refused a new channel (rate_limited, unavailable)
  std::vector<ConnId> expired;        // the channel was over (lifetime, grace): its clients get `expired`
  // A code channel was looked up (or the request refused before it looked):
  // counted against the lookup limits, and in /metrics.
  std::optional<LookupResult> lookup;
};

struct ForwardResult {
  std::optional<Code> error;          // for the client that sent the frame
  std::optional<ConnId> slow_peer;    // close with slow_consumer
  std::optional<Delivery> delivery;   // to the peer, when connected
  std::vector<ConnId> expired;        // with error expired: the channel was over, its other client ends too
};

enum class LeaveKind : std::uint8_t {
  normal,    // close 1000 from this client: the channel ends at once
  abnormal,  // anything else: the slot waits out the grace period
};

struct LeaveResult {
  std::optional<ConnId> peer_left;    // gets `peer left` (slot kept for grace)
  std::optional<ConnId> peer_closed;  // gets `peer left` then close 1000 (channel over)
  bool completed = false;             // a normal close after both roles had joined
};

class Registry {
 public:
  // A new channel is admitted by `admission` (rates and open-channel caps
  // by the opener's address) and released there when it ends.
  Registry(const Limits& limits, Admission& admission)
      : limits_(limits),
        admission_(admission),
        code_budget_(limits.max_code_lookups, limits.max_code_lookups, TimePoint{}) {}

  // `new_token`: the hash of the token `joined` will hand out (none: this
  // slot cannot be resumed). `resume`: the client presented a token.
  // `kind`: the request's (kind=code), which must be the channel's.
  JoinResult join(const Cid& cid, Role role, ConnId conn, const AddressKey& address, TimePoint now,
                  const std::optional<TokenHash>& new_token = std::nullopt,
                  const std::optional<ResumeRequest>& resume = std::nullopt, ChannelKind kind = ChannelKind::qr);
  // `taken`: how many of the peer's frames this client's socket has taken,
  // as its session counted them when it read this frame. Those frames stay
  // (for a resume) but are the first to go when the budget needs room: the
  // client's own frame confirms them, in both backends alike.
  ForwardResult forward(const Cid& cid, Role from, ConnId conn, Frame frame, TimePoint now, std::uint64_t taken = 0);
  LeaveResult leave(const Cid& cid, Role role, ConnId conn, LeaveKind kind, TimePoint now);

  // Ends channels past their lifetime or grace; returns the connections to
  // close with `expired`. Also forgets cids older than the memory window.
  // join, resume and forward end an over channel themselves (so an answer
  // never depends on when the sweep last ran).
  std::vector<ConnId> expire(TimePoint now);
  // Ends every channel (shutdown); returns every connected client.
  std::vector<ConnId> end_all(TimePoint now);

  // Bytes of messages still arriving (read, not yet complete) count against
  // max_buffered_bytes like the frames held: false (nothing reserved) when
  // `bytes` more would pass it.
  [[nodiscard]] bool reserve_incoming(std::size_t bytes) noexcept;
  void release_incoming(std::size_t bytes) noexcept;

  [[nodiscard]] std::size_t channels() const noexcept { return channels_.size(); }
  // Frames held plus messages still arriving.
  [[nodiscard]] std::size_t buffered_bytes() const noexcept { return buffered_bytes_ + incoming_bytes_; }
  [[nodiscard]] std::size_t remembered_cids() const noexcept { return used_.size(); }
  [[nodiscard]] bool is_used(const Cid& cid) const { return used_.contains(cid); }
  // Why a new code channel would be refused now, if it would (for /healthz).
  [[nodiscard]] std::optional<Limit> code_channels_refused(TimePoint now);

 private:
  struct Slot {
    std::optional<ConnId> conn;
    bool taken = false;                 // ever joined: a second one is an intrusion
    std::optional<TimePoint> grace_end;  // set while a dropped client may come back
    std::optional<TokenHash> token;      // the hash of the slot's one valid resume token
    FrameLog log;                       // frames this client sent, not yet confirmed
  };
  struct Channel {
    TimePoint expires;
    std::array<Slot, kRoleCount> slots;
    std::uint32_t frames = 0;
    std::size_t bytes = 0;
    bool intrusion_sent = false;
    ChannelKind kind = ChannelKind::qr;
    AddressKey opener;  // the receiver's address, for Admission::release_channel
  };
  using Channels = std::unordered_map<Cid, Channel, CidHash>;

  JoinResult resume_slot(Channels::iterator it, Role role, ConnId conn, TimePoint now,
                         const std::optional<TokenHash>& new_token, const ResumeRequest& resume);
  JoinResult open_channel(const Cid& cid, Role role, ConnId conn, const AddressKey& address, TimePoint now,
                          const std::optional<TokenHash>& new_token, ChannelKind kind);
  // Counts a code channel lookup: under the client's address scopes, and
  // against the deployment's budget when the request was a code request.
  void looked_up(JoinResult& result, LookupResult what, const AddressKey& address, ChannelKind kind, TimePoint now);
  [[nodiscard]] Millis lifetime_of(ChannelKind kind) const noexcept {
    return kind == ChannelKind::code ? limits_.code_lifetime : limits_.channel_lifetime;
  }
  void intrude(Channel& channel, JoinResult& result);
  [[nodiscard]] static bool over(const Channel& channel, TimePoint now) noexcept;
  // Ends the channel if it is over; its connected clients go to `expired`.
  bool end_if_over(Channels::iterator it, TimePoint now, std::vector<ConnId>& expired);
  std::optional<Refusal> admit_new_channel(const AddressKey& address, TimePoint now);
  void end_channel(Channels::iterator it, TimePoint now);
  void forget_old_cids(TimePoint now);

  const Limits& limits_;
  Admission& admission_;
  Channels channels_;
  std::size_t buffered_bytes_ = 0;
  std::size_t incoming_bytes_ = 0;
  // Used and expired cids, in the order they ended (so forget times rise).
  UsedCids used_;
  // Code channels: the deployment's lookup budget (--max-code-lookups a
  // second, one second's worth saved up), and when each code channel of the
  // last code lifetime was opened (--max-code-channels).
  TokenBucket code_budget_;
  std::deque<TimePoint> code_opened_;
};

}  // namespace qrlogin::relay
