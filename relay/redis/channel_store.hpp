#pragma once
// The relay's channels in Redis, for a cluster of relay nodes: the same
// semantics as relay/core's Registry (slots, resume tokens, frame logs with
// the peer's `received` confirmations, lifetimes, limits, the one intrusion
// notice), so a receiver on one node and a sender on another pair, and a
// client whose node died resumes on any other.
//
// Every operation is one Lua function (Redis Functions, one library) over
// the channel's keys, which share the hash tag {<name>}: atomic, and on one
// Redis Cluster slot. The layout, the functions and why are in
// docs/deploy.md ("Redis key layout"); their code is relay/redis/lua/*.lua.
// In short:
//
// - A channel's name in Redis is a keyed hash of its cid (HMAC-SHA256 with a
//   key all nodes share, truncated to 128 bits): Redis, its dumps and its
//   MONITOR output never show a cid, and holding a QR code does not find the
//   pairing there (the same rule as the log tags, relay-rules' Privacy).
// - Each direction's frames are a list, the state holding the index range
//   it covers: a resume on any node reads from the client's count, and an
//   append names its index, so it is idempotent.
// - Each attach of a slot (join or resume) gets a new epoch. Writes name the
//   epoch they were made under; a node whose client was taken over by a
//   resume elsewhere (a frozen node that wakes up) gets `replaced` for every
//   write: fencing.
// - Nodes learn of changes by polling the channel's state; pub/sub (which
//   may drop messages) only tells a node *when* to poll: a function that
//   changes what the other slot's node must see PUBLISHes the channel's name
//   to "<prefix>:wake:<that node>".
//
// Results mirror the Registry's: `error` holds the relay Code a client gets
// (stale -> replaced, a normal close by the peer -> peer_closed). A Result
// error (Errc::unavailable, ...) means Redis did not answer: the caller
// answers its client with `unavailable`.
//
// Handlers run on the Redis client's executor; post to your own.
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "crypto/secret.hpp"
#include "relay/core/address.hpp"
#include "relay/core/codes.hpp"
#include "relay/core/limits.hpp"
#include "relay/core/registry.hpp"
#include "relay/core/types.hpp"
#include "relay/redis/client.hpp"

namespace qrlogin::relay::redis {

inline constexpr std::size_t kNameKeyBytes = 32;
inline constexpr std::size_t kChannelNameBytes = 16;  // 32 hex characters
inline constexpr std::size_t kNodeIdBytes = 8;        // 16 hex characters

// The key channel names are made with, from secret material every node
// shares (a key file, or the Redis password): HKDF-SHA256.
Secret derive_name_key(ByteView material);

struct StoreOptions {
  std::string prefix = "qrl";
  std::string node_id;  // empty: 16 random hex characters (a restarted node is a new node)
};

// Who holds a slot's socket: a node, and the connection there.
struct SlotHolder {
  std::string node;
  ConnId conn = 0;
  friend bool operator==(const SlotHolder&, const SlotHolder&) = default;
};

struct StoredFrame {
  std::uint64_t index = 0;
  Frame frame;
};

struct Attached {  // join() and resume()
  // join: expired, channel_full, and for a receiver opening a channel
  // unavailable (a cluster-wide cap) or rate_limited. resume: expired (also
  // for a wrong or used token: intrusion_attempt), bad_request.
  std::optional<Code> error;
  bool created = false;  // the receiver opened the channel
  std::uint64_t epoch = 0;
  Millis expires_in{0};
  bool peer_present = false;
  std::uint64_t peer_epoch = 0;        // as in Polled
  Millis peer_grace_in{0};             // the peer dropped: its grace ends in this long
  std::optional<SlotHolder> peer;      // gets `peer joined` / `peer back`
  std::vector<StoredFrame> backlog;    // the peer's frames this client has not received
  bool resumed = false;
  std::uint64_t received = 0;          // resumed: frames the relay has from this client
  std::optional<SlotHolder> replaced;  // resumed over a live socket: it gets `replaced`
  std::vector<std::pair<Role, SlotHolder>> intrusion;  // who gets the one `intrusion` notice
  bool intrusion_attempt = false;
  std::optional<LookupResult> lookup;  // a code channel was looked up: what it found
  std::optional<Limit> limit;          // unavailable by a code channel cap or the lookup budget
};

struct Appended {
  // expired, replaced (fenced: this attach is no longer the slot's),
  // too_large, bad_request (an index gap).
  std::optional<Code> error;
  std::uint64_t index = 0;
  bool duplicate = false;               // already stored (a retry): not sent again
  std::optional<SlotHolder> peer;       // connected peer: deliver to it (woken when on another node)
  std::optional<SlotHolder> slow_peer;  // with too_large: close it with slow_consumer
};

struct Polled {
  // expired, peer_closed (the peer closed with 1000), replaced (taken over),
  // slow_consumer (this client did not read while its peer sent).
  std::optional<Code> error;
  Millis expires_in{0};
  bool peer_present = false;
  std::uint64_t peer_epoch = 0;  // 0: the peer never joined; it rises with every resume
  Millis peer_grace_in{0};       // the peer dropped: its grace ends in this long
  bool intrusion = false;        // this attach is due the channel's one intrusion notice
  std::uint64_t received = 0;    // frames the relay has from this client
  std::uint64_t peer_first = 0;  // the peer's oldest frame still held
  std::uint64_t peer_next = 0;   // the peer's next frame index
  std::optional<SlotHolder> peer;
  std::vector<StoredFrame> frames;  // the peer's frames from `from` on (also with peer_closed)
};

struct Left {
  std::optional<Code> error;  // replaced: someone else holds the slot now (nothing changed)
  bool completed = false;     // a normal close after both roles had joined
  std::optional<SlotHolder> peer;
};

struct Done {
  std::optional<Code> error;
};

class ChannelStore {
 public:
  template <class T>
  using Handler = std::function<void(Result<T>)>;

  ChannelStore(std::shared_ptr<Client> client, Secret name_key, Limits limits, StoreOptions options = {});

  // FUNCTION LOAD of the channel functions' library, for ClientOptions::setup.
  static std::vector<std::vector<std::string>> setup_commands();

  [[nodiscard]] const std::string& node_id() const noexcept { return node_id_; }
  // The channel's name in Redis (and in wake-up messages).
  [[nodiscard]] std::string channel_name(const Cid& cid) const;
  // The pub/sub channel this node must SUBSCRIBE to for its wake-ups.
  [[nodiscard]] std::string wake_channel() const { return wake_prefix_ + node_id_; }

  // Every operation names the channel by its name in Redis
  // (channel_name(cid)), which a caller computes once per attach: it is an
  // HMAC.
  //
  // A receiver that opens a channel is admitted in the same function (the
  // cluster-wide caps, and the rates of `address` and of the cluster).
  // A code request (`kind` code) also passes the code channel caps and
  // spends from the deployment's lookup budget (lua/code_lookups.lua).
  void join(const std::string& name, Role role, ConnId conn, const TokenHash& new_token, const AddressKey& address,
            ChannelKind kind, Handler<Attached> handler);
  void resume(const std::string& name, Role role, ConnId conn, const TokenHash& presented, std::uint64_t received,
              const TokenHash& new_token, ChannelKind kind, Handler<Attached> handler);
  // `index`: this client's frame count before this frame (the `received`
  // its attach started from, plus the frames read since). `taken`: the
  // peer's frames this client's socket has taken (the frame confirms them).
  void append(const std::string& name, Role from, std::uint64_t epoch, std::uint64_t index, const Frame& frame,
              std::uint64_t taken, Handler<Appended> handler);
  // `from`: the next peer frame index this node needs (none: state only).
  void poll(const std::string& name, Role role, std::uint64_t epoch, std::optional<std::uint64_t> from,
            Handler<Polled> handler);
  void leave(const std::string& name, Role role, std::uint64_t epoch, LeaveKind kind, Handler<Left> handler);
  // The last client of a channel its peer closed normally is gone too: the
  // channel's keys go now rather than at their expiry (no function: nothing
  // can attach to a closed channel).
  void forget(const std::string& name, Handler<Done> handler);

  // Node liveness: every node refreshes its key (heartbeat) well within
  // `ttl`; a node whose key is gone is dead, and the slots it held are
  // dropped with evict() by a node that holds their peers (a killed node
  // never runs leave for its clients).
  void heartbeat(Millis ttl, Handler<Done> handler);
  void node_alive(const std::string& node, Handler<bool> handler);
  // `role`'s slot, if `node` still holds it: its grace starts now.
  void evict(const std::string& name, Role role, const std::string& node, Handler<Done> handler);

 private:
  enum class Op : std::uint8_t { join, resume, append, poll, leave, evict };
  struct Library;
  static const Library& library();
  // FCALL of `op`'s function. `deadline`: for functions that are safe to
  // run late or twice (see CommandOptions::timeout); zero for the rest.
  void call(Op op, std::vector<std::string> keys, std::vector<std::string> args, Client::Completion done,
            Millis deadline = Millis{0});
  std::vector<std::string> channel_keys(const std::string& name) const;
  std::vector<std::string> channel_args(const std::string& name) const;
  [[nodiscard]] std::string node_key(const std::string& node) const { return prefix_ + ":node:" + node; }

  std::shared_ptr<Client> client_;
  Secret name_key_;
  Limits limits_;
  std::string prefix_;
  std::string node_id_;
  std::string wake_prefix_;
};

}  // namespace qrlogin::relay::redis
