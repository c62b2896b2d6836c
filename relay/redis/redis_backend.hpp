#pragma once
// The channel backend of a cluster (--redis): channels live in Redis, so the
// two clients of a channel may sit on different relay nodes and a client
// whose node died resumes on another. relay/redis/channel_store.hpp holds
// the rules (one Lua function per operation); this class is the node's side:
//
// - One Attachment per local client that holds a slot: its channel, role,
//   epoch (fencing), its own next frame index (for appends) and the peer's
//   next frame index it still has to deliver (so a frame reaches the socket
//   exactly once, whichever way it arrives).
// - A frame is appended in Redis; when the peer is on this node it is
//   delivered at once from the append's reply, else the function wakes the
//   peer's node over pub/sub, with the frame itself when it is small (and
//   with `peer joined` or a normal close as news of their own). A node
//   that cannot use the news (it missed something before) polls the
//   channel. Polls also bring `peer back/left`, the intrusion notice,
//   `expired`, `replaced` (fenced) and `slow_consumer`. State, not events:
//   a lost wake-up is repaired by the next poll (after a reconnect every
//   attachment is polled).
// - Backpressure: a client's frame is appended before the node reads its
//   next one (forward() answers false, and Notice::read_on follows the
//   append's reply), so a slow Redis slows the sockets; the frames on their
//   way to Redis count against --max-buffered-bytes.
// - Node liveness: every node refreshes a key in Redis (every node_ttl / 5,
//   outside the bounded command queue; it expires after node_ttl). A node
//   that holds a client whose peer sits on another node checks that node's
//   key; once it has been gone for two refresh periods (SIGKILL, a crashed
//   or frozen host) the peer's slot is evicted, as if its client had
//   dropped: `peer left` now, `expired` after the grace unless it resumes on
//   a live node. A frozen node that wakes up finds its clients evicted and
//   tells them to resume (`unavailable`, resume: true); only a client whose
//   slot someone else resumed hears `replaced`.
// - Redis faults are pauses: while Redis is unreachable the node keeps its
//   sockets and their slots, holds each client's one frame on its way, and
//   refuses new joins (`unavailable`); when Redis is back it sends what it
//   held and polls every client (the state is in Redis). Past the Redis
//   grace (--redis-grace), or when one client's frame waited that long, the
//   clients are told `unavailable` with resume: true, and resume wherever
//   Redis is reachable. Leaves that could not be sent are sent when Redis is
//   back (or until the channel could no longer exist).
// - Code channels: the lookup limits per address, network and IPv6 /32 and
//   the per-address and per-network code channel caps count on this node;
//   the lookup budget and --max-code-channels are Redis's (cluster-wide).
// - The per-network and per-site channel caps and rates count on this node
//   (a channel counts under its receiver's address while that receiver is
//   connected here); the cluster-wide caps and the per-address rate are
//   Redis's.
//
// Thread-safety: the public methods may be called from any thread; Redis
// replies run on the executor given (a strand, or the one I/O thread). One
// mutex guards the attachments; the sink is called with it released.
#include <algorithm>
#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "relay/core/channel_backend.hpp"
#include "relay/core/admission.hpp"
#include "relay/redis/connections.hpp"

namespace qrlogin::relay {

struct RedisBackendOptions {
  redis::ClientOptions redis;
  Secret name_key;
  std::string node_id;  // empty: random
  std::string prefix = "qrl";
  // How long clients wait, paused, for Redis (a reconnect, or one reply)
  // before they are told to resume elsewhere.
  Millis redis_grace{10000};
  // The node's liveness key lives this long after each refresh.
  Millis node_ttl{5000};
};

class RedisBackend final : public ChannelBackend {
 public:
  RedisBackend(boost::asio::any_io_executor executor, const Limits& limits, RedisBackendOptions options, Sink sink);
  ~RedisBackend() override;
  RedisBackend(const RedisBackend&) = delete;
  RedisBackend& operator=(const RedisBackend&) = delete;

  void start() override;
  // Disconnects from Redis for good; call while the io_context still exists.
  void stop() override;

  void join(JoinRequest request, JoinDone done) override;
  [[nodiscard]] bool forward(const Cid& cid, Role from, ConnId conn, Frame frame, std::uint64_t taken) override;
  void leave(const Cid& cid, Role role, ConnId conn, LeaveKind kind) override;
  // Polls the attachments whose channel's lifetime or peer's grace is due
  // (that poll ends the channel in Redis and tells the client); retries
  // what Redis did not take; tells clients to resume once the Redis grace
  // is over.
  void sweep(TimePoint now) override;
  // The slots stay in Redis: a client may resume on another node.
  void shut_down(TimePoint /*now*/) override {}
  [[nodiscard]] bool reserve_incoming(std::size_t bytes) override;
  void release_incoming(std::size_t bytes) override;
  [[nodiscard]] BackendStats stats() override;
  [[nodiscard]] bool settled() override;
  [[nodiscard]] std::optional<std::string> unavailable_reason() override;

  [[nodiscard]] bool is_up() const noexcept { return up_.load(std::memory_order_acquire); }
  [[nodiscard]] const std::string& node_id() const noexcept { return node_id_; }
  // Redis commands sent and not yet answered, and wake-ups received: a test
  // that knows how many wake-ups Redis sent this node knows when it is idle.
  [[nodiscard]] std::size_t pending() const noexcept { return redis_ ? redis_->pending() : 0; }
  [[nodiscard]] std::uint64_t wakes() const noexcept { return wakes_.load(std::memory_order_acquire); }

 private:
  struct Attachment {
    std::string name;  // the channel's name in Redis (every operation and wake-up names it)
    Role role = Role::receiver;
    std::uint64_t epoch = 0;
    std::uint64_t next_out = 0;  // this client's next frame index
    std::uint64_t next_in = 0;   // the peer's next frame index to deliver
    std::uint64_t peer_epoch = 0;
    bool peer_present = false;
    std::string peer_node;  // the node that holds the peer's socket, when connected
    bool intrusion_notified = false;
    bool ended = false;  // told to end: nothing more for it
    bool peer_closed = false;  // ended because the peer closed normally: its leave forgets the channel
    bool polling = false;
    bool poll_again = false;
    TimePoint check_at = TimePoint::max();
    // The client's frames not yet stored, oldest first (the session sends
    // one and waits; a caller that does not wait gets them sent in order).
    struct Held {
      Frame frame;
      std::uint64_t taken = 0;  // the peer's frames its socket had taken then
    };
    std::deque<Held> held;
    bool appending = false;     // the first held frame is on its way to Redis
    TimePoint held_since{};     // since when the first held frame waits
  };
  // A leave Redis did not take yet (Redis was away): retried until it
  // lands or the channel could no longer exist.
  struct PendingLeave {
    std::string name;  // the channel's name in Redis
    Role role = Role::receiver;
    std::uint64_t epoch = 0;
    LeaveKind kind = LeaveKind::abnormal;
    TimePoint give_up_at{};
  };
  // What to do once the mutex is released, in order (a client hears
  // `peer joined` before the peer's first frame, and its last frames
  // before `peer left`): notices for the sink, and polls.
  struct Actions {
    Outcome outcome;
    std::vector<ConnId> polls;
    void notice(Notice n) { outcome.notices.push_back(std::move(n)); }
    void event(Event e) { outcome.events.push_back(std::move(e)); }
  };

  void on_state(bool up, std::string_view reason);
  void send_leave(PendingLeave leave);
  void send_pending_leaves();
  // Sends `conn`'s first held frame, unless one is on its way already.
  void send_append(ConnId conn);
  // Ends the clients that waited for Redis past the grace (all of them when
  // Redis is away): `unavailable`, resume: true.
  void give_up_waiting(TimePoint now);
  void schedule_heartbeat();
  void heartbeat();
  void evict_node(const std::string& node);
  void node_checked(const std::string& node, bool alive);
  // A wake-up: the channel's name, and perhaps its news (a frame, the peer
  // joined or closed; channel_common.lua's wake_with), applied without a
  // poll when this node has seen everything before it.
  void on_wake(const std::string& payload);
  struct WakeNews;
  bool apply_news_locked(ConnId conn, Attachment& att, const WakeNews& news, Actions& actions);
  // `name`: the channel's name in Redis, computed once for the attach.
  void on_attached(const JoinRequest& request, const std::string& name, Result<redis::Attached> reply,
                   JoinDone done);
  void on_appended(ConnId conn, std::uint64_t epoch, std::uint64_t index, const Frame& frame,
                   Result<redis::Appended> reply);
  void poll(ConnId conn);
  void on_polled(ConnId conn, std::uint64_t epoch, Result<redis::Polled> reply);
  // Hands `frame` (index `index` of the peer's log) to `to` if it is the next
  // one that client needs; a later one means some were missed: poll.
  void offer_locked(ConnId to, std::uint64_t index, const Frame& frame, Actions& actions);
  // Polled frames from the peer's log: those `conn` still needs, in order.
  void take_frames_locked(ConnId conn, Attachment& att, std::vector<redis::StoredFrame>& frames, Actions& actions);
  // Forgets `conn` (its held frames' bytes too).
  void erase_locked(ConnId conn);
  // Gives back `bytes` of the --max-buffered-bytes budget (incoming_bytes_).
  void unreserve_locked(std::size_t bytes) noexcept { incoming_bytes_ -= std::min(bytes, incoming_bytes_); }
  void release_opener(ConnId conn);
  void release_code_opener_locked(ConnId conn, TimePoint now);
  void run(Actions& actions);
  // After stop(): sessions that outlive the I/O threads may still leave;
  // nothing more goes to Redis or to the sink.
  [[nodiscard]] bool stopped() const noexcept { return stopped_.load(std::memory_order_acquire); }

  const Limits& limits_;
  Sink sink_;
  Millis redis_grace_;
  Millis node_ttl_;
  Millis heartbeat_every_;
  // Released by stop(), before the io_context they belong to is destroyed.
  std::unique_ptr<boost::asio::steady_timer> heartbeat_timer_;
  std::unique_ptr<redis::Connections> redis_;
  std::string node_id_;
  std::atomic<bool> up_{false};
  std::atomic<bool> stopped_{false};
  std::atomic<std::uint64_t> wakes_{0};
  mutable std::mutex mutex_;
  std::string down_reason_;
  std::optional<TimePoint> down_since_;  // Redis is away since then
  std::unordered_map<ConnId, Attachment> attached_;
  std::unordered_multimap<std::string, ConnId> by_name_;
  // Wake-ups for channels no client here holds (yet): a join whose reply
  // is still on its way may be their reason; kept a few seconds.
  std::unordered_map<std::string, TimePoint> early_wakes_;
  // Receivers on this node that opened their channel here, counted under
  // their address in admission_ until they leave.
  Admission admission_;
  std::unordered_map<ConnId, AddressKey> openers_;
  // Receivers on this node that opened a code channel here: the per-address
  // and per-network code channel caps (the lookup limits are this node's too).
  std::unordered_map<ConnId, AddressKey> code_openers_;
  // Bytes of messages still arriving, and of frames on their way to Redis:
  // bounded by --max-buffered-bytes.
  std::size_t incoming_bytes_ = 0;
  std::vector<PendingLeave> pending_leaves_;
  // Nodes whose liveness key was missing, since when (executor only).
  std::unordered_map<std::string, TimePoint> missing_since_;
};

}  // namespace qrlogin::relay
