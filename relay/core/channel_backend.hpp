#pragma once
// The channel model behind one interface. A backend keeps the relay's
// channels (slots, resume tokens, frame logs, lifetimes, limits, the one
// intrusion notice) and answers every operation with an Outcome: the error
// for the caller's own client, the join's answer, what the endpoints must
// hear (Notice) and what happened, for metrics and logs (Event). It never
// touches a socket, a metric or a log line: the hub does, in one place.
//
// Two backends keep the same rules, proven by tests/conformance and the
// differential fuzzer (tests/fuzz/backend_diff_fuzz.cpp):
//   MemoryBackend (relay/memory)    one node, the Registry of relay/core;
//   RedisBackend  (relay/redis)     a cluster of nodes sharing Redis.
//
// Outcomes arrive through the Sink given at construction, on any thread,
// with no lock of the backend held; a join's through its own handler. The
// memory backend answers before the call returns, the Redis backend when
// Redis has answered (or later, when a poll brings news: the peer joined,
// a frame, the peer left, the channel expired, Redis went down).
#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "relay/core/address.hpp"
#include "relay/core/codes.hpp"
#include "relay/core/control.hpp"
#include "relay/core/limits.hpp"
#include "relay/core/registry.hpp"
#include "relay/core/types.hpp"

namespace qrlogin::relay {

// Something a connected client must be told.
struct Notice {
  enum class Kind : std::uint8_t {
    deliver,      // a frame of the peer (`delivery`)
    peer,         // `peer joined|left|back` (`event`)
    intrusion,    // the channel's one `intrusion` notice
    end,          // `error` with `code`, then close
    end_by_peer,  // the peer closed with 1000: `peer left`, then close 1000
    read_on,      // the backend has stored the client's frame(s): read the next
  };
  Kind kind = Kind::end;
  ConnId to = 0;
  PeerEvent event = PeerEvent::joined;
  Code code = Code::unavailable;
  Delivery delivery;

  static Notice deliver(Delivery delivery) {
    auto n = make(Kind::deliver, delivery.to);
    n.delivery = std::move(delivery);
    return n;
  }
  static Notice peer(ConnId to, PeerEvent event) {
    auto n = make(Kind::peer, to);
    n.event = event;
    return n;
  }
  static Notice intrusion(ConnId to) { return make(Kind::intrusion, to); }
  static Notice end(ConnId to, Code code) {
    auto n = make(Kind::end, to);
    n.code = code;
    return n;
  }
  static Notice end_by_peer(ConnId to) { return make(Kind::end_by_peer, to); }
  static Notice read_on(ConnId to) { return make(Kind::read_on, to); }

 private:
  static Notice make(Kind kind, ConnId to) {
    Notice n;
    n.kind = kind;
    n.to = to;
    return n;
  }
};

// Something the operator counts or reads in the log.
struct Event {
  enum class Kind : std::uint8_t {
    forwarded,          // a frame was stored for the peer (`count`: its bytes)
    rejected,           // a bound refused something (`limit`)
    resumed,            // a resume succeeded
    resume_refused,     // a resume was refused (wrong/used token, frames gone, ...)
    intrusion_attempt,  // a third client, or a wrong token
    intrusion_noticed,  // the channel's one notice went out (`conn`, `role`: who caused it)
    completed,          // a normal close after both roles had joined
    fenced,             // cluster: a write of `conn` came from an attach taken over elsewhere
    node_dead,          // cluster: `text` (a node) is gone; `count` slots evicted
    store_up,           // cluster: Redis is back; `count` slots left, `text` this node
    store_down,         // cluster: Redis is lost (`text`: why); `count` clients wait for it
    store_gave_up,      // cluster: Redis stayed away past --redis-grace; `count` clients told to resume
    evicted,            // cluster: `conn`'s slot was dropped while this node stalled; told to resume
    looked_up,          // a code channel lookup (`lookup`: what it found), or one refused before it looked
  };
  Kind kind = Kind::forwarded;
  std::uint64_t count = 0;
  Limit limit = Limit::capacity;
  LookupResult lookup = LookupResult::hit;
  ConnId conn = 0;
  Role role = Role::receiver;
  std::string text;

  static Event of(Kind kind, std::uint64_t count = 0) {
    Event e;
    e.kind = kind;
    e.count = count;
    return e;
  }
  // About one connection of this node (`conn`).
  static Event about(Kind kind, ConnId conn) {
    Event e = of(kind);
    e.conn = conn;
    return e;
  }
  static Event rejected_by(Limit limit) {
    Event e = of(Kind::rejected);
    e.limit = limit;
    return e;
  }
  static Event looked_up_as(LookupResult lookup) {
    Event e = of(Kind::looked_up);
    e.lookup = lookup;
    return e;
  }
};

// What a join answers its own client (with no error): for `joined`.
struct JoinAnswer {
  Millis expires_in{0};
  bool peer_present = false;
  bool resumed = false;
  std::uint64_t received = 0;      // resumed: frames the relay has from this client
  std::vector<Delivery> backlog;   // the peer's frames this client has not received
};

struct Outcome {
  std::optional<Code> error;  // join: the refusal (then nothing is held)
  JoinAnswer joined;          // join without error
  std::vector<Notice> notices;
  std::vector<Event> events;
};

struct JoinRequest {
  Cid cid{};
  Role role = Role::receiver;
  ChannelKind kind = ChannelKind::qr;  // the request's kind=
  ConnId conn = 0;
  AddressKey address;        // the client's, for the channel rates and caps
  TokenHash new_token{};     // the hash of the token `joined` hands out
  std::optional<ResumeRequest> resume;  // the client presented a token
};

struct BackendStats {
  std::size_t channels = 0;        // memory: channels held; cluster: this node's clients' slots
  std::size_t buffered_bytes = 0;  // frames held here plus messages still arriving
  std::optional<bool> store_up;    // cluster: Redis reachable
  std::optional<std::size_t> store_pending;  // cluster: commands waiting for Redis's reply
};

class ChannelBackend {
 public:
  using Sink = std::function<void(Outcome)>;
  using JoinDone = std::function<void(Outcome)>;

  virtual ~ChannelBackend() = default;

  virtual void start() {}
  // Before the executors stop: no outcome is delivered afterwards.
  virtual void stop() {}

  virtual void join(JoinRequest request, JoinDone done) = 0;
  // A frame from `conn`; a refusal ends the caller (a Notice::end to it).
  // `taken`: how many of the peer's frames the caller's socket has taken so
  // far; they become the first to go when the channel needs room (the
  // frame confirms them). True when the frame is taken and the caller may
  // read the next one; false when it is still on its way (to Redis): the
  // caller reads nothing more until a Notice::read_on, so a slow store
  // slows the sockets, not memory.
  [[nodiscard]] virtual bool forward(const Cid& cid, Role from, ConnId conn, Frame frame, std::uint64_t taken) = 0;
  virtual void leave(const Cid& cid, Role role, ConnId conn, LeaveKind kind) = 0;
  // Periodic: ends channels past their lifetime or a slot's grace.
  virtual void sweep(TimePoint now) = 0;
  // Shutdown: every channel ends (or, in a cluster, is left to resume elsewhere).
  virtual void shut_down(TimePoint now) = 0;

  // Bytes of a message still arriving count against --max-buffered-bytes:
  // false (nothing reserved) past it.
  [[nodiscard]] virtual bool reserve_incoming(std::size_t bytes) = 0;
  virtual void release_incoming(std::size_t bytes) = 0;

  [[nodiscard]] virtual BackendStats stats() = 0;
  // Nothing on its way to the store (a shutdown waits for it: the leaves
  // that let clients resume elsewhere).
  [[nodiscard]] virtual bool settled() { return true; }
  // Why no new pairing can start here now (for /healthz), if so.
  [[nodiscard]] virtual std::optional<std::string> unavailable_reason() = 0;
};

}  // namespace qrlogin::relay
