#pragma once
// Drives a ChannelBackend the way the relay's sessions do, and writes down
// what each client would see. The same steps run against the memory backend
// and against two Redis backends (two relay nodes on one redis-server) must
// give the same transcripts: that is the conformance suite and the
// differential fuzzer.
//
// A client is a device: it opens a channel (receiver or sender), sends
// frames, takes or stops taking what it is sent, loses its connection,
// resumes with its token (or a wrong or used one), closes. Each connection
// it makes is numbered (#1, #2, ...); its log holds lines such as
//   #1 joined peer=0 resumed=0 received=0
//   #1 peer joined
//   #1 frame 0 (20 bytes)
//   #2 refused expired
//   #1 end replaced
// The harness reacts like a session: a client told to end leaves its slot
// (abnormal), and a client that takes frames reports each as delivered.
//
// In the Redis run receivers connect to node A and senders to node B (so a
// pairing crosses nodes), and each resume goes to the other node than the
// connection it replaces.
#include <chrono>
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "relay/core/channel_backend.hpp"

namespace qrlogin::testing {

enum class TokenChoice : std::uint8_t {
  current,  // the token of the client's last `joined`
  stale,    // one it already used
  wrong,    // one it never had
};

class BackendHarness {
 public:
  // An in-memory backend, or two Redis backends on the redis-server at
  // 127.0.0.1:`redis_port` (keys under a fresh prefix).
  static std::unique_ptr<BackendHarness> memory(const relay::Limits& limits);
  static std::unique_ptr<BackendHarness> redis(const relay::Limits& limits, std::uint16_t redis_port);

  virtual ~BackendHarness();
  BackendHarness(const BackendHarness&) = delete;
  BackendHarness& operator=(const BackendHarness&) = delete;

  [[nodiscard]] virtual std::string name() const = 0;

  // Client `client` opens (joins) channel number `channel` as `role`, from
  // its own address (clients share one when `address` is the same), asking
  // for a channel of `kind` (its resumes too).
  void open(int client, int channel, relay::Role role, int address = -1,
            relay::ChannelKind kind = relay::ChannelKind::qr);
  // A new connection for `client`, resuming with the chosen token and the
  // number of frames it has taken. Its old connection is not closed first
  // (drop() it before, or this is a takeover).
  void resume(int client, TokenChoice token = TokenChoice::current);
  void send(int client, std::size_t bytes);
  // The client stops (true) or starts again (false) taking frames.
  void stall(int client, bool stalled);
  void drop(int client);   // the connection is lost
  void close(int client);  // close 1000
  // Real time passes, then the periodic sweep runs.
  void wait(std::chrono::milliseconds how_long);
  // Real time passes and nothing else: what the backends answer next may
  // not depend on when their sweep last ran.
  void sleep(std::chrono::milliseconds how_long);

  [[nodiscard]] const std::vector<std::string>& log(int client) const;
  // Everything every client saw (grouped by connection), and the counters:
  // two backends that agree give the same transcript.
  [[nodiscard]] std::string transcript() const;
  // Events by name (forwarded, rejected:<limit>, resumed, ...).
  [[nodiscard]] const std::map<std::string, std::uint64_t>& counters() const noexcept { return counters_; }
  // Steps taken (every call above is one).
  [[nodiscard]] std::size_t steps() const noexcept { return steps_; }
  // Whether the client's newest connection still holds its slot.
  [[nodiscard]] bool connected(int client) const;

 protected:
  explicit BackendHarness(relay::Limits limits);
  // The backend a connection joins: receivers on node 0, senders on node 1
  // (with two nodes), resumes on the other node than before.
  virtual relay::ChannelBackend& node(int index) = 0;
  [[nodiscard]] virtual int nodes() const = 0;
  // Runs until every backend has answered and gone quiet.
  virtual void settle() = 0;
  // What a backend reports: its sink and join handlers call this.
  void receive(relay::Outcome outcome, std::optional<relay::ConnId> joiner);
  relay::ChannelBackend::Sink sink_for();

  relay::Limits limits_;
  std::size_t received_outcomes_ = 0;

 private:
  struct Connection;
  struct Client;
  Client& client(int index);
  void join(Client& c, std::optional<TokenChoice> token);
  void pump();
  void handle(relay::Outcome& outcome, std::optional<relay::ConnId> joiner);
  void take(Client& c, Connection& conn, relay::Delivery delivery);
  void end_connection(relay::ConnId id, const std::string& line);
  Connection* find(relay::ConnId id);

  std::map<int, std::unique_ptr<Client>> clients_;
  std::map<relay::ConnId, std::pair<int, std::size_t>> connections_;  // id -> client, connection index
  std::vector<std::pair<relay::Outcome, std::optional<relay::ConnId>>> inbox_;
  std::map<std::string, std::uint64_t> counters_;
  relay::ConnId next_conn_ = 1;
  std::size_t steps_ = 0;
  std::uint64_t token_seed_;
  std::uint64_t cid_seed_;
};

}  // namespace qrlogin::testing
