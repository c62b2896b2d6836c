#pragma once
// Cluster mode (--redis): the hub's channel operations on Redis instead of
// the in-memory Registry, so the two clients of a channel may sit on
// different relay nodes and a client whose node died resumes on another.
// relay/redis/channel_store.hpp holds the semantics (one Lua script per
// operation); this class is the node's side of it:
//
// - One Attachment per local client that holds a slot: its channel, role,
//   epoch (fencing), its own next frame index (for appends) and the peer's
//   next frame index it still has to deliver (so a frame reaches the socket
//   exactly once, whichever way it arrives).
// - A frame is appended in Redis; when the peer is on this node it is
//   delivered at once from the append's reply, else the script wakes the
//   peer's node over pub/sub and that node polls the channel. Polls also
//   bring `peer joined/back/left`, the intrusion notice, `expired`,
//   `replaced` (fenced) and `slow_consumer`. State, not events: a lost
//   wake-up is repaired by the next poll (after a reconnect every
//   attachment is polled).
// - Node liveness: every node refreshes a key in Redis twice a second (it
//   expires after kNodeTtl). A node that holds a client whose peer sits on
//   another node checks that node's key; once it is gone (SIGKILL, a
//   crashed or frozen host) the peer's slot is evicted, as if its client
//   had dropped: `peer left` now, `expired` after the grace unless it
//   resumes on a live node. A frozen node that wakes up is fenced.
// - Redis down: every local client gets `unavailable` (the node cannot
//   forward), /healthz answers 503, new joins get `unavailable`; the Redis
//   adapter reconnects by itself and the node serves again.
//
// Thread-safety: the public methods may be called from any session's
// thread; Redis replies run on the backend's executor (a strand, or the one
// I/O thread). One mutex guards the attachments; endpoints are called with
// it released.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include <boost/asio/steady_timer.hpp>

#include "relay/core/address.hpp"
#include "relay/core/registry.hpp"
#include "relay/net/hub.hpp"
#include "relay/redis/backend.hpp"

namespace qrlogin::relay {

// How often a node refreshes its liveness key, and how long the key lives:
// a node is dead once its key has been gone for kNodeMissing (so a Redis
// restart, which loses every key until the next refresh, kills nobody).
inline constexpr Millis kNodeHeartbeat{500};
inline constexpr Millis kNodeTtl{2000};
inline constexpr Millis kNodeMissing{1000};

struct ClusterOptions {
  redis::ClientOptions redis;
  Secret name_key;
  std::string node_id;  // empty: random
};

class Cluster {
 public:
  Cluster(Hub& hub, boost::asio::any_io_executor executor, ClusterOptions options);
  ~Cluster();
  Cluster(const Cluster&) = delete;
  Cluster& operator=(const Cluster&) = delete;

  void start();
  void stop();

  [[nodiscard]] bool is_up() const noexcept { return up_.load(std::memory_order_acquire); }
  [[nodiscard]] std::string down_reason() const;
  [[nodiscard]] const std::string& node_id() const noexcept { return node_id_; }
  [[nodiscard]] std::size_t attachments() const;

  // Hub::join's cluster half: `done` runs on the backend's executor.
  struct JoinArgs {
    Cid cid{};
    Role role = Role::receiver;
    ConnId conn = 0;
    AddressKey address;
    std::string tag;
    TokenHash new_token{};
    std::optional<ResumeRequest> resume;
  };
  void join(JoinArgs args, std::function<void(JoinResult)> done);
  void forward(const Cid& cid, Role from, ConnId conn, Frame frame);
  void delivered(Role from, std::uint64_t index, ConnId to);
  void leave(Role role, ConnId conn, LeaveKind kind);
  // Periodic: polls the attachments whose channel's lifetime or peer's grace
  // is due (that poll ends the channel in Redis and tells the client).
  void sweep(TimePoint now);

 private:
  struct Attachment {
    Cid cid{};
    std::string name;  // the channel's name in Redis (wake-ups carry it)
    Role role = Role::receiver;
    std::uint64_t epoch = 0;
    std::uint64_t next_out = 0;  // this client's next frame index
    std::uint64_t next_in = 0;   // the peer's next frame index to deliver
    std::uint64_t peer_epoch = 0;
    bool peer_present = false;
    std::string peer_node;  // the node that holds the peer's socket, when connected
    bool intrusion_notified = false;
    bool ended = false;  // told to end: nothing more for it
    bool polling = false;
    bool poll_again = false;
    TimePoint check_at = TimePoint::max();
  };
  // What to do once the mutex is released, in order (a client hears
  // `peer joined` before the peer's first frame, and its last frames
  // before `peer left`).
  struct Step {
    enum class Kind : std::uint8_t { notify, deliver, end, end_by_peer, poll };
    Kind kind = Kind::poll;
    ConnId conn = 0;
    std::string text;
    Delivery delivery;
    Code code = Code::unavailable;

    static Step poll(ConnId conn) { return make(Kind::poll, conn); }
    static Step notify(ConnId conn, std::string text) {
      auto s = make(Kind::notify, conn);
      s.text = std::move(text);
      return s;
    }
    static Step deliver(Delivery delivery) {
      auto s = make(Kind::deliver, delivery.to);
      s.delivery = std::move(delivery);
      return s;
    }
    static Step end(ConnId conn, Code code) {
      auto s = make(Kind::end, conn);
      s.code = code;
      return s;
    }
    static Step end_by_peer(ConnId conn) { return make(Kind::end_by_peer, conn); }

   private:
    static Step make(Kind kind, ConnId conn) {
      Step s;
      s.kind = kind;
      s.conn = conn;
      return s;
    }
  };
  using Actions = std::vector<Step>;
  using Kind = Step::Kind;

  void on_state(bool up, std::string_view reason);
  void send_leave(const Cid& cid, Role role, std::uint64_t epoch, LeaveKind kind);
  void schedule_heartbeat();
  void heartbeat();
  void evict_node(const std::string& node);
  void node_checked(const std::string& node, bool alive);
  void on_wake(const std::string& name);
  void on_attached(JoinArgs args, bool added, Result<redis::Attached> reply,
                   std::function<void(JoinResult)> done);
  void on_appended(ConnId conn, std::size_t size, const Frame& frame, Result<redis::Appended> reply);
  void poll(ConnId conn);
  void on_polled(ConnId conn, std::uint64_t epoch, Result<redis::Polled> reply);
  // Hands `frame` (index `index` of the peer's log) to `to` if it is the next
  // one that client needs; a later one means some were missed: poll.
  void offer_locked(ConnId to, std::uint64_t index, const Frame& frame, Actions& actions);
  // Polled frames from the peer's log: those `conn` still needs, in order.
  void take_frames_locked(ConnId conn, Attachment& att, std::vector<redis::StoredFrame>& frames, Actions& actions);
  void erase_locked(ConnId conn);
  void run(Actions& actions);

  Hub& hub_;
  boost::asio::steady_timer heartbeat_timer_;
  redis::Backend backend_;
  std::string node_id_;
  std::atomic<bool> up_{false};
  mutable std::mutex mutex_;
  std::string down_reason_;
  std::unordered_map<ConnId, Attachment> attached_;
  std::unordered_multimap<std::string, ConnId> by_name_;
  // Slots of clients that Redis going down ended: left (abnormal) once it
  // is back, so they get their grace rather than looking connected.
  struct Orphan {
    Cid cid{};
    Role role = Role::receiver;
    std::uint64_t epoch = 0;
  };
  std::vector<Orphan> orphans_;
  // Nodes whose liveness key was missing, since when (backend executor only).
  std::unordered_map<std::string, TimePoint> missing_since_;
};

}  // namespace qrlogin::relay
