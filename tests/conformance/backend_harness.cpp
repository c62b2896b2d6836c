#include "tests/conformance/backend_harness.hpp"

#include <algorithm>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <random>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "crypto/hash.hpp"
#include "relay/memory/memory_backend.hpp"
#include "relay/core/address.hpp"
#include "relay/redis/client.hpp"
#include "relay/redis/redis_backend.hpp"

namespace qrlogin::testing {

using namespace relay;

struct BackendHarness::Connection {
  ConnId id = 0;
  int node = 0;
  // Its own channel and role: the client may open another channel while an
  // older connection still holds this one (two sessions, as in a relay).
  Cid cid{};
  Role role = Role::receiver;
  std::uint64_t taken = 0;  // the peer's frames this connection took (its frames confirm them)
  bool joined = false;  // holds (or held) a slot: it leaves when it ends
  bool ended = false;
  std::vector<Delivery> untaken;  // frames sent to it while the client stalls
};

struct BackendHarness::Client {
  int index = 0;
  Cid cid{};
  Role role = Role::receiver;
  ChannelKind kind = ChannelKind::qr;
  AddressKey address;
  bool stalled = false;
  std::uint64_t received = 0;  // frames of the peer it has taken
  std::uint64_t sent = 0;
  std::optional<std::string> token;  // from its last `joined`
  std::vector<std::string> used_tokens;
  std::vector<Connection> connections;
  std::vector<std::string> log;
  std::optional<std::string> pending_token;  // handed out by the join on its way

  Connection* live() {
    if (connections.empty() || connections.back().ended) return nullptr;
    return &connections.back();
  }
  void write(std::size_t connection, const std::string& line) {
    log.push_back("#" + std::to_string(connection + 1) + " " + line);
  }
};

namespace {

TokenHash hash_of(const std::string& token) {
  auto digest = sha256({ByteView(reinterpret_cast<const std::uint8_t*>(token.data()), token.size())});
  TokenHash out{};
  std::copy(digest.begin(), digest.end(), out.begin());
  return out;
}

std::uint64_t random_seed() {
  std::random_device rd;
  return (std::uint64_t{rd()} << 32) | rd();
}

std::string event_name(const Event& e) {
  switch (e.kind) {
    case Event::Kind::forwarded: return "forwarded";
    case Event::Kind::rejected: return "rejected:" + std::string(limit_name(e.limit));
    case Event::Kind::resumed: return "resumed";
    case Event::Kind::resume_refused: return "resume_refused";
    case Event::Kind::intrusion_attempt: return "intrusion_attempt";
    case Event::Kind::intrusion_noticed: return "intrusion_noticed";
    case Event::Kind::completed: return "completed";
    case Event::Kind::fenced: return "fenced";
    case Event::Kind::node_dead: return "node_dead";
    case Event::Kind::evicted: return "evicted";
    case Event::Kind::looked_up: return "lookup:" + std::string(lookup_result_name(e.lookup));
    case Event::Kind::store_gave_up:
    case Event::Kind::store_up:
    case Event::Kind::store_down: return {};  // a node's link to Redis, not a channel's
  }
  return "?";
}

}  // namespace

BackendHarness::BackendHarness(Limits limits)
    : limits_(limits), token_seed_(random_seed()), cid_seed_(random_seed()) {}

BackendHarness::~BackendHarness() = default;

BackendHarness::Client& BackendHarness::client(int index) {
  auto& slot = clients_[index];
  if (!slot) {
    slot = std::make_unique<Client>();
    slot->index = index;
    auto ip = parse_ip("10." + std::to_string(index % 250) + ".0.1");
    slot->address = limit_key(ip.value());
  }
  return *slot;
}

ChannelBackend::Sink BackendHarness::sink_for() {
  return [this](Outcome outcome) { receive(std::move(outcome), std::nullopt); };
}

void BackendHarness::receive(Outcome outcome, std::optional<ConnId> joiner) {
  ++received_outcomes_;
  inbox_.emplace_back(std::move(outcome), joiner);
}

void BackendHarness::open(int index, int channel, Role role, int address, ChannelKind kind) {
  ++steps_;
  auto& c = client(index);
  Cid cid{};
  std::uint64_t v = cid_seed_ + static_cast<std::uint64_t>(channel);
  for (std::size_t i = 0; i < cid.size(); ++i) cid[i] = static_cast<std::uint8_t>(v >> ((i % 8) * 8)) ^ static_cast<std::uint8_t>(i);
  c.cid = cid;
  c.role = role;
  c.kind = kind;
  c.received = 0;
  c.sent = 0;
  c.token.reset();
  c.used_tokens.clear();
  if (address >= 0) c.address = limit_key(parse_ip("192.0.2." + std::to_string(address % 250)).value());
  join(c, std::nullopt);
}

void BackendHarness::resume(int index, TokenChoice choice) {
  ++steps_;
  join(client(index), choice);
}

void BackendHarness::join(Client& c, std::optional<TokenChoice> choice) {
  Connection conn;
  conn.id = next_conn_++;
  if (nodes() > 1) {
    if (c.connections.empty()) conn.node = c.role == Role::receiver ? 0 : 1;
    else conn.node = (c.connections.back().node + 1) % nodes();
  }
  conn.cid = c.cid;
  conn.role = c.role;
  if (choice) conn.taken = c.received;  // a resume confirms what the client has
  JoinRequest request;
  request.cid = c.cid;
  request.role = c.role;
  request.kind = c.kind;
  request.conn = conn.id;
  request.address = c.address;
  std::string fresh = "token-" + std::to_string(token_seed_) + "-" + std::to_string(conn.id);
  request.new_token = hash_of(fresh);
  if (choice) {
    std::string presented;
    // A client whose token was used up (a refused resume) can only offer
    // the used one again.
    if (*choice == TokenChoice::current && c.token) presented = *c.token;
    else if (*choice != TokenChoice::wrong && !c.used_tokens.empty()) presented = c.used_tokens.back();
    else presented = "never-handed-out-" + std::to_string(conn.id);
    if (c.token && presented == *c.token) {
      c.used_tokens.push_back(*c.token);
      c.token.reset();
    }
    request.resume = ResumeRequest{hash_of(presented), c.received};
  }
  c.pending_token = fresh;
  connections_[conn.id] = {c.index, c.connections.size()};
  c.connections.push_back(conn);
  auto id = conn.id;
  node(conn.node).join(std::move(request), [this, id](Outcome out) { receive(std::move(out), id); });
  pump();
}

void BackendHarness::send(int index, std::size_t bytes) {
  ++steps_;
  auto& c = client(index);
  auto* conn = c.live();
  if (!conn || !conn->joined) return;
  auto frame = std::make_shared<const std::vector<std::uint8_t>>(bytes, static_cast<std::uint8_t>(c.sent & 0xff));
  ++c.sent;
  // Whether the backend took it at once or reads on later (read_on) is the
  // backend's business: the transcript records what clients observe.
  (void)node(conn->node).forward(conn->cid, conn->role, conn->id, std::move(frame), conn->taken);
  pump();
}

void BackendHarness::stall(int index, bool stalled) {
  ++steps_;
  auto& c = client(index);
  c.stalled = stalled;
  if (stalled) return;
  if (auto* conn = c.live()) {
    auto untaken = std::move(conn->untaken);
    conn->untaken.clear();
    for (auto& d : untaken) take(c, *conn, std::move(d));
  }
  pump();
}

void BackendHarness::drop(int index) {
  ++steps_;
  auto& c = client(index);
  auto* conn = c.live();
  if (!conn) return;
  conn->ended = true;
  conn->untaken.clear();
  if (conn->joined) node(conn->node).leave(conn->cid, conn->role, conn->id, LeaveKind::abnormal);
  pump();
}

void BackendHarness::close(int index) {
  ++steps_;
  auto& c = client(index);
  auto* conn = c.live();
  if (!conn) return;
  conn->ended = true;
  if (conn->joined) node(conn->node).leave(conn->cid, conn->role, conn->id, LeaveKind::normal);
  pump();
}

void BackendHarness::wait(std::chrono::milliseconds how_long) {
  ++steps_;
  std::this_thread::sleep_for(how_long);
  for (int i = 0; i < nodes(); ++i) node(i).sweep(Clock::now());
  pump();
}

void BackendHarness::sleep(std::chrono::milliseconds how_long) {
  ++steps_;
  std::this_thread::sleep_for(how_long);
}

void BackendHarness::pump() {
  for (;;) {
    settle();
    if (inbox_.empty()) return;
    auto items = std::move(inbox_);
    inbox_.clear();
    for (auto& [outcome, joiner] : items) handle(outcome, joiner);
  }
}

BackendHarness::Connection* BackendHarness::find(ConnId id) {
  auto it = connections_.find(id);
  if (it == connections_.end()) return nullptr;
  return &clients_.at(it->second.first)->connections[it->second.second];
}

void BackendHarness::take(Client& c, Connection& conn, Delivery delivery) {
  auto number = connections_.at(conn.id).second;
  if (c.stalled) {
    conn.untaken.push_back(std::move(delivery));
    return;
  }
  std::string line = "frame " + std::to_string(delivery.index) + " (" + std::to_string(delivery.frame->size()) + " bytes)";
  // The client counts (for its resumes) the frames of the channel it is on
  // now; an older connection to another channel counts nothing.
  bool current = conn.cid == c.cid;
  if (current && delivery.index != c.received) line += " out of order: expected " + std::to_string(c.received);
  c.write(number, line);
  if (current) c.received = std::max(c.received, delivery.index + 1);
  conn.taken = std::max(conn.taken, delivery.index + 1);
}

void BackendHarness::end_connection(ConnId id, const std::string& line) {
  auto* conn = find(id);
  if (!conn || conn->ended) return;
  auto [index, number] = connections_.at(id);
  auto& c = *clients_.at(index);
  c.write(number, line);
  conn->ended = true;
  conn->untaken.clear();
  // The session gives its slot up as it closes (WsSession::begin_close).
  if (conn->joined) node(conn->node).leave(conn->cid, conn->role, id, LeaveKind::abnormal);
}

void BackendHarness::handle(Outcome& outcome, std::optional<ConnId> joiner) {
  for (const auto& e : outcome.events)
    if (auto name = event_name(e); !name.empty()) ++counters_[name];
  if (joiner) {
    auto* conn = find(*joiner);
    auto [index, number] = connections_.at(*joiner);
    auto& c = *clients_.at(index);
    if (outcome.error) {
      c.write(number, "refused " + std::string(code_name(*outcome.error)));
      conn->ended = true;
    } else if (conn->ended) {
      // Dropped while the join was on its way: the session leaves at once.
      conn->joined = true;
      node(conn->node).leave(conn->cid, conn->role, conn->id, LeaveKind::abnormal);
    } else {
      conn->joined = true;
      c.token = c.pending_token;
      auto& a = outcome.joined;
      c.write(number, "joined peer=" + std::to_string(a.peer_present) + " resumed=" + std::to_string(a.resumed) +
                          " received=" + std::to_string(a.received) + (a.expires_in.count() > 0 ? "" : " expires_in=0"));
      if (a.resumed) c.sent = a.received;
      for (auto& d : a.backlog) take(c, *conn, std::move(d));
    }
  }
  for (auto& n : outcome.notices) {
    auto* conn = find(n.to);
    if (!conn || conn->ended) continue;
    auto [index, number] = connections_.at(n.to);
    auto& c = *clients_.at(index);
    switch (n.kind) {
      case Notice::Kind::deliver: take(c, *conn, std::move(n.delivery)); break;
      case Notice::Kind::peer: c.write(number, "peer " + std::string(peer_event_name(n.event))); break;
      case Notice::Kind::intrusion: c.write(number, "intrusion"); break;
      case Notice::Kind::end: end_connection(n.to, "end " + std::string(code_name(n.code))); break;
      case Notice::Kind::end_by_peer: end_connection(n.to, "end peer_closed"); break;
      case Notice::Kind::read_on: break;  // flow control, not something a client sees
    }
  }
}

const std::vector<std::string>& BackendHarness::log(int index) const { return clients_.at(index)->log; }

bool BackendHarness::connected(int index) const {
  const auto& c = *clients_.at(index);
  return !c.connections.empty() && !c.connections.back().ended && c.connections.back().joined;
}

std::string BackendHarness::transcript() const {
  std::ostringstream out;
  out << name() << ":\n";
  // By connection: what one connection sees is ordered, but the lines of a
  // client's two connections (a takeover, or two channels at once) may
  // interleave differently on two nodes.
  auto connection_of = [](const std::string& line) { return std::stoul(line.substr(1, line.find(' ') - 1)); };
  for (const auto& [index, c] : clients_) {
    out << "  client " << index << " (" << role_name(c->role) << "):\n";
    auto lines = c->log;
    std::stable_sort(lines.begin(), lines.end(), [&](const std::string& a, const std::string& b) {
      return connection_of(a) < connection_of(b);
    });
    for (const auto& line : lines) out << "    " << line << "\n";
  }
  out << "  counters:";
  for (const auto& [k, v] : counters_) out << " " << k << "=" << v;
  out << "\n";
  return out.str();
}

// ---- the backends ---------------------------------------------------------

namespace {

class MemoryHarness final : public BackendHarness {
 public:
  explicit MemoryHarness(const Limits& limits)
      : BackendHarness(limits), backend_(limits_, sink_for(), /*single_thread=*/true) {}
  [[nodiscard]] std::string name() const override { return "memory"; }

 protected:
  ChannelBackend& node(int) override { return backend_; }
  [[nodiscard]] int nodes() const override { return 1; }
  void settle() override {}

 private:
  MemoryBackend backend_;
};

class RedisHarness final : public BackendHarness {
 public:
  RedisHarness(const Limits& limits, std::uint16_t port) : BackendHarness(limits), guard_(io_.get_executor()) {
    auto prefix = "qct" + std::to_string(random_seed() % 1000000000);
    for (std::size_t i = 0; i < backends_.size(); ++i) {
      RedisBackendOptions options;
      options.redis.endpoint.host = "127.0.0.1";
      options.redis.endpoint.port = port;
      options.redis.client_name = "conformance";
      options.name_key = Secret::copy_of(as_bytes(std::string_view("conformance test name key, 32+ bytes")));
      options.node_id = prefix + (i == 0 ? "-a" : "-b");
      options.prefix = prefix;
      wake_channels_[i] = prefix + ":wake:" + options.node_id;
      backends_[i] = std::make_unique<RedisBackend>(io_.get_executor(), limits_, std::move(options), sink_for());
      backends_[i]->start();
    }
    // The harness's own connections: one to publish barriers, one that hears
    // every wake-up the nodes are sent.
    redis::ClientOptions plain;
    plain.endpoint.host = "127.0.0.1";
    plain.endpoint.port = port;
    commands_ = redis::Client::create(io_.get_executor(), std::move(plain));
    redis::ClientOptions listen;
    listen.endpoint.host = "127.0.0.1";
    listen.endpoint.port = port;
    listen.subscriptions = {wake_channels_[0], wake_channels_[1]};
    observer_ = redis::Client::create(io_.get_executor(), std::move(listen), {},
                                      [this](std::string channel, std::string payload) { observed(channel, payload); });
    commands_->start();
    observer_->start();
    run_until("the Redis backends did not connect", [this] {
      return backends_[0]->is_up() && backends_[1]->is_up() && commands_->is_up() && observer_->is_up();
    });
    settle();
  }
  ~RedisHarness() override {
    for (auto& b : backends_) b->stop();
    commands_->stop();
    observer_->stop();
    io_.run_for(std::chrono::milliseconds(20));
    for (auto& b : backends_) b.reset();
  }
  [[nodiscard]] std::string name() const override { return "redis (two nodes)"; }

 protected:
  ChannelBackend& node(int index) override { return *backends_[static_cast<std::size_t>(index)]; }
  [[nodiscard]] int nodes() const override { return 2; }

  // Idle means: no command of either node awaits its answer, and each node
  // has handled every wake-up Redis sent it. Wake-ups travel on another
  // connection than the scripts' answers, so after the answers a barrier
  // message goes to both wake channels: once the harness's own subscriber
  // has it, so had the nodes' every earlier wake-up, and each node is idle
  // once it has received as many as the harness's subscriber.
  void settle() override {
    for (;;) {
      auto seen = received_outcomes_;
      run_until("the Redis backends did not answer", [this] { return idle_commands(); });
      auto barrier = ++barrier_;
      for (const auto& channel : wake_channels_)
        commands_->command({"PUBLISH", channel, "barrier " + std::to_string(barrier)}, [](auto&&) {});
      run_until("the barrier did not come back", [this, barrier] {
        return barrier_seen_[0] == barrier && barrier_seen_[1] == barrier;
      });
      run_until("a node did not receive its wake-ups", [this] {
        return backends_[0]->wakes() == observed_[0] && backends_[1]->wakes() == observed_[1];
      });
      io_.poll();
      if (idle_commands() && received_outcomes_ == seen) return;
    }
  }

 private:
  [[nodiscard]] bool idle_commands() const {
    return backends_[0]->pending() == 0 && backends_[1]->pending() == 0 && commands_->pending() == 0;
  }
  void observed(const std::string& channel, const std::string& payload) {
    for (std::size_t i = 0; i < wake_channels_.size(); ++i) {
      if (channel != wake_channels_[i]) continue;
      ++observed_[i];
      if (payload.rfind("barrier ", 0) == 0) barrier_seen_[i] = std::stoull(payload.substr(8));
    }
  }
  template <class Done>
  void run_until(const char* what, Done done) {
    auto deadline = Clock::now() + std::chrono::seconds(10);
    while (!done()) {
      if (Clock::now() > deadline) throw std::runtime_error(std::string(what) + " within 10 s");
      io_.run_for(std::chrono::milliseconds(1));
    }
  }

  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard_;
  std::array<std::unique_ptr<RedisBackend>, 2> backends_;
  std::array<std::string, 2> wake_channels_;
  std::shared_ptr<redis::Client> commands_;
  std::shared_ptr<redis::Client> observer_;
  std::array<std::uint64_t, 2> observed_{};
  std::array<std::uint64_t, 2> barrier_seen_{};
  std::uint64_t barrier_ = 0;
};

}  // namespace

std::unique_ptr<BackendHarness> BackendHarness::memory(const Limits& limits) {
  return std::make_unique<MemoryHarness>(limits);
}

std::unique_ptr<BackendHarness> BackendHarness::redis(const Limits& limits, std::uint16_t redis_port) {
  return std::make_unique<RedisHarness>(limits, redis_port);
}

}  // namespace qrlogin::testing
