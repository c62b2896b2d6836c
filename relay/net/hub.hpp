#pragma once
// The state all connections share, behind one mutex: the registry, the
// admission counters and the channel tagger, plus a table of live WebSocket
// endpoints (and the connection ids and the shutdown flag). With one I/O
// thread (--threads 1) every caller runs on that thread and the mutex is
// not taken. Cross-connection work (deliver a frame, notify, close) is
// handed to the other connection's Endpoint, which posts it to its own
// executor (or, with one I/O thread, may run it at once); nothing is
// called while the mutex is held.
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "relay/core/admission.hpp"
#include "relay/core/channel_tag.hpp"
#include "relay/core/registry.hpp"
#include "relay/net/config.hpp"
#include "relay/net/log.hpp"
#include "relay/net/metrics.hpp"

namespace qrlogin::relay {

class Cluster;

// A WebSocket client as other threads see it. Every method is thread-safe.
// The work is posted to the connection's executor, or with one I/O thread
// done before returning when the connection is not inside one of its own
// handlers; so a caller must hold no lock and expect re-entry into the hub.
class Endpoint {
 public:
  virtual ~Endpoint() = default;
  virtual void deliver(Delivery delivery) = 0;
  virtual void notify(std::string control_message) = 0;
  // Sends `error` with `code` and closes with the code's close code.
  virtual void end(Code code) = 0;
  // The peer closed with 1000: `peer left`, then close 1000.
  virtual void end_by_peer() = 0;
};

struct HubStats {
  std::uint32_t connections = 0;
  std::size_t channels = 0;
  std::size_t buffered_bytes = 0;
};

class Hub {
 public:
  Hub(const Config& config, Logger& logger);

  ConnId next_connection_id() noexcept;

  // TCP level (see Admission). Each success needs one release.
  [[nodiscard]] std::optional<Code> acquire_connection();
  void release_connection();
  [[nodiscard]] std::optional<Refusal> acquire_address(const AddressKey& key);
  void release_address(const AddressKey& key);
  // Bytes of a message still arriving (Registry::reserve_incoming).
  [[nodiscard]] bool reserve_incoming(std::size_t bytes);
  void release_incoming(std::size_t bytes);

  // WebSocket level. attach() before join(), detach() when the session dies.
  void attach(ConnId id, std::weak_ptr<Endpoint> endpoint);
  void detach(ConnId id);
  // Notifies the peer, intruders and a replaced socket itself; the caller
  // sends `joined` (with `resume_token`) or the error, and the backlog, to
  // its own client. `presented_token`: the resume token the client offered.
  // In memory the result is returned at once; in cluster mode join()
  // returns nothing and `later` gets the result, on another executor.
  struct Joined {
    JoinResult result;
    std::string resume_token;  // fresh, for `joined`; never logged
  };
  using JoinHandler = std::function<void(Joined)>;
  std::optional<Joined> join(const Cid& cid, Role role, ConnId id, const AddressKey& address, std::string_view tag,
                             const std::optional<std::string>& presented_token, std::uint64_t received,
                             JoinHandler later);
  // Hands the frame to the peer and closes a slow peer; returns the error
  // for the caller's own client, if any (cluster mode: the error comes
  // later, through Endpoint::end).
  std::optional<Code> forward(const Cid& cid, Role from, ConnId id, Frame frame);
  void delivered(const Cid& cid, Role from, std::uint64_t index, ConnId to);
  void leave(const Cid& cid, Role role, ConnId id, LeaveKind kind);

  std::string channel_tag(const Cid& cid);
  // Periodic: ends expired channels (their clients get `expired`), prunes.
  void sweep();
  // Shutdown: every WebSocket client gets going_away, and so does any
  // upgrade that completes afterwards.
  void end_all();
  HubStats stats();
  // Why this node cannot serve new pairings now (Redis is down, a global
  // cap is reached), for /healthz; nothing when it can.
  std::optional<std::string> unavailable_reason();

  // Cluster mode: channel operations go to Redis. Set before the I/O
  // threads run, and cleared (nullptr) after they stopped.
  void set_cluster(Cluster* cluster) noexcept { cluster_ = cluster; }
  // The live endpoint of a connection, if any.
  std::shared_ptr<Endpoint> find(ConnId id);

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] const Limits& limits() const noexcept { return config_.limits; }
  [[nodiscard]] Logger& logger() noexcept { return logger_; }
  [[nodiscard]] Metrics& metrics() noexcept { return metrics_; }
  // The /metrics text, gauges included.
  std::string render_metrics();

 private:
  std::shared_ptr<Endpoint> find_locked(ConnId id) const;
  void release_cluster_opener(ConnId id);
  std::optional<Joined> join_cluster(const Cid& cid, Role role, ConnId id, const AddressKey& address,
                                     std::string_view tag, const TokenHash& new_hash,
                                     const std::optional<ResumeRequest>& resume, Joined joined, JoinHandler later);

  // Locks mutex_ unless the relay runs one I/O thread.
  class Lock {
   public:
    explicit Lock(Hub& hub) : mutex_(hub.single_thread_ ? nullptr : &hub.mutex_) {
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

  const Config& config_;
  Logger& logger_;
  Metrics metrics_;
  const bool single_thread_;
  std::mutex mutex_;
  Admission admission_;
  Registry registry_;
  ChannelTagger tagger_;
  std::unordered_map<ConnId, std::weak_ptr<Endpoint>> endpoints_;
  // Cluster mode: receivers on this node that opened their channel here,
  // counted under their address in admission_ until they leave.
  std::unordered_map<ConnId, AddressKey> cluster_openers_;
  std::uint64_t next_id_ = 1;
  bool shutting_down_ = false;
  Cluster* cluster_ = nullptr;
};

}  // namespace qrlogin::relay
