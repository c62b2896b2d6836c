#pragma once
// What all connections share, and the one place where the channel
// backend's outcomes meet the network: the table of live WebSocket
// endpoints (with the connection ids and the shutdown flag), connection
// admission and the channel tagger, behind one mutex; the backend (memory
// or Redis, relay/core/channel_backend.hpp) behind its own. The hub turns every
// Outcome into endpoint calls (fan-out, outside any lock) and into metrics
// and log lines (record()); nothing else in the relay counts channel events.
//
// With one I/O thread (--threads 1) every caller runs on that thread and no
// mutex is taken. Cross-connection work (deliver a frame, notify, close) is
// handed to the other connection's Endpoint, which posts it to its own
// executor (or, with one I/O thread, may run it at once).
#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

#include "crypto/secret.hpp"
#include "relay/core/channel_backend.hpp"
#include "relay/core/admission.hpp"
#include "relay/core/maybe_mutex.hpp"
#include "relay/core/channel_tag.hpp"
#include "relay/core/deadline_queue.hpp"
#include "relay/config/config.hpp"
#include "relay/net/log.hpp"
#include "relay/net/metrics.hpp"

namespace qrlogin::relay {

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
  // The backend stored the frame(s) forward() left on their way: read on.
  virtual void read_on() = 0;
};

struct HubStats {
  std::uint32_t connections = 0;
  std::size_t channels = 0;
  std::size_t buffered_bytes = 0;
};

class Hub {
 public:
  // Makes the channel backend, given the sink its outcomes must go to.
  using BackendFactory = std::function<std::unique_ptr<ChannelBackend>(ChannelBackend::Sink)>;
  Hub(const Config& config, Logger& logger, const BackendFactory& make_backend);
  ~Hub();
  Hub(const Hub&) = delete;
  Hub& operator=(const Hub&) = delete;

  ConnId next_connection_id() noexcept;

  // TCP level (see Admission). Each success needs one release.
  [[nodiscard]] std::optional<Code> acquire_connection();
  void release_connection();
  [[nodiscard]] std::optional<Refusal> acquire_address(const AddressKey& key);
  void release_address(const AddressKey& key);
  // Bytes of a message still arriving (ChannelBackend::reserve_incoming).
  [[nodiscard]] bool reserve_incoming(std::size_t bytes);
  void release_incoming(std::size_t bytes);

  // WebSocket level. attach() before join(), detach() when the session dies.
  void attach(ConnId id, std::weak_ptr<Endpoint> endpoint);
  void detach(ConnId id);
  // `done` gets the error, or `joined`'s content (with a fresh resume token)
  // and the backlog, for the caller's own client; maybe before join()
  // returns, maybe later on another thread. The peer, intruders and a
  // replaced socket are told by the hub. `presented_token`: the resume
  // token the client offered.
  struct Joined {
    std::optional<Code> error;
    JoinAnswer answer;
    SecretString resume_token;  // for `joined`
  };
  using JoinHandler = std::function<void(Joined)>;
  void join(const Cid& cid, Role role, ChannelKind kind, ConnId id, const AddressKey& address, std::string_view tag,
            const std::optional<SecretString>& presented_token, std::uint64_t received, JoinHandler done);
  // Hands the frame to the peer; a refusal ends the sender (Endpoint::end).
  // False: the frame is still on its way; read nothing more until
  // Endpoint::read_on.
  // `taken`: the peer's frames this client's socket has taken so far.
  [[nodiscard]] bool forward(const Cid& cid, Role from, ConnId id, Frame frame, std::uint64_t taken);
  void leave(const Cid& cid, Role role, ConnId id, LeaveKind kind);

  std::string channel_tag(const Cid& cid);
  // Periodic: ends expired channels (their clients get `expired`), prunes.
  void sweep();
  // Shutdown: every WebSocket client gets going_away, and so does any
  // upgrade that completes afterwards.
  void end_all();
  HubStats stats();
  // The backend has nothing on its way to its store.
  [[nodiscard]] bool backend_settled() { return backend_->settled(); }
  // Why this node cannot serve new pairings now (Redis is down, a global
  // cap is reached), for /healthz; nothing when it can.
  std::optional<std::string> unavailable_reason();

  // The backend's start() and stop() (stop before the I/O threads end).
  void start_backend() { backend_->start(); }
  void stop_backend() { backend_->stop(); }

  [[nodiscard]] const Config& config() const noexcept { return config_; }
  [[nodiscard]] const Limits& limits() const noexcept { return config_.limits; }
  [[nodiscard]] Logger& logger() noexcept { return logger_; }
  [[nodiscard]] Metrics& metrics() noexcept { return metrics_; }
  // Every session's next deadline, on one timer (server.cpp runs it).
  [[nodiscard]] DeadlineQueue& deadlines() noexcept { return deadlines_; }
  // The /metrics text, gauges included.
  std::string render_metrics();

 private:
  std::shared_ptr<Endpoint> find_locked(ConnId id) const;
  // The outcome's notices to their endpoints, its events to metrics and logs.
  void apply(Outcome outcome, std::string_view tag = {});
  void record(const std::vector<Event>& events, std::string_view tag);


  const Config& config_;
  DeadlineQueue deadlines_;
  Logger& logger_;
  Metrics metrics_;
  MaybeMutex mutex_;
  Admission admission_;  // connections; channels are the backend's
  ChannelTagger tagger_;
  std::unordered_map<ConnId, std::weak_ptr<Endpoint>> endpoints_;
  std::uint64_t next_id_ = 1;
  bool shutting_down_ = false;
  // Last: destroyed first, so no outcome reaches a half-destroyed hub.
  std::unique_ptr<ChannelBackend> backend_;
};

}  // namespace qrlogin::relay
