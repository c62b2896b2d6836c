// The Redis channel store from two relay "nodes" (two connections, two node
// ids) against a real redis-server: pairing across nodes, frames exactly
// once and in order, limits, resume, fencing by epoch, the one intrusion
// notice, wake-ups, TTLs on every key, and cids that are used once.
#include <catch2/catch.hpp>

#include <fstream>
#include <set>
#include <sstream>

#include "relay/redis/connections.hpp"
#include "relay/redis/channel_store.hpp"
#include "tests/redis/helpers.hpp"

using namespace qrlogin::testing;
using namespace qrlogin::relay;
using namespace qrlogin::relay::redis;

namespace {

template <class T>
using Res = qrlogin::Result<T>;

constexpr Role kR = Role::receiver;
constexpr Role kS = Role::sender;

Cid make_cid(std::uint8_t seed) {
  Cid cid{};
  for (std::size_t i = 0; i < cid.size(); ++i) cid[i] = static_cast<std::uint8_t>(seed * 31 + i);
  return cid;
}

TokenHash token(std::uint8_t seed) {
  TokenHash hash{};
  hash.fill(seed);
  return hash;
}

Frame frame_of(const std::string& text) {
  return std::make_shared<const std::vector<std::uint8_t>>(text.begin(), text.end());
}

std::string text_of(const Frame& frame) { return std::string(frame->begin(), frame->end()); }

std::vector<std::string> texts(const std::vector<StoredFrame>& frames) {
  std::vector<std::string> out;
  for (const auto& f : frames) out.push_back(std::to_string(f.index) + ":" + text_of(f.frame));
  return out;
}

// One relay node: a command connection, a subscriber for its wake-ups, and
// its store. Every call waits for its result (the loop does not).
// A wake-up names `channel`: the payload is the name, or the name and news.
bool names(const std::string& payload, const std::string& channel) {
  return payload == channel || payload.starts_with(channel + "|");
}

class Node {
 public:
  Node(IoThread& io, RedisServer& server, std::string id, const Limits& limits, const std::string& user = {},
       const std::string& password = {})
      : io_(io) {
    auto options = local_options(server.port());
    options.endpoint.user = user;
    options.endpoint.password = qrlogin::Secret::copy_of(qrlogin::as_bytes(password));
    options.client_name = "qrlogin-relay:" + id;
    options.setup = ChannelStore::setup_commands();  // as the relay connects: FUNCTION LOAD first
    client_ = Client::create(io.executor(), std::move(options), states_.handler());
    auto sub_options = local_options(server.port());
    sub_options.endpoint.user = user;
    sub_options.endpoint.password = qrlogin::Secret::copy_of(qrlogin::as_bytes(password));
    sub_options.subscriptions = {"qrl:wake:" + id};
    subscriber_ = Client::create(io.executor(), std::move(sub_options), sub_states_.handler(),
                                 [this](std::string /*channel*/, std::string payload) {
                                   std::lock_guard lock(mutex_);
                                   wakes_.push_back(std::move(payload));
                                   cv_.notify_all();
                                 });
    auto material = qrlogin::as_bytes(std::string_view("the cluster's shared secret"));
    store_ = std::make_unique<ChannelStore>(client_, derive_name_key(material), limits, StoreOptions{"qrl", id});
    client_->start();
    subscriber_->start();
    auto up = states_.wait(1);
    auto sub_up = sub_states_.wait(1);
    if (!up || !up->first || !sub_up || !sub_up->first) throw std::runtime_error("node did not connect");
  }
  ~Node() { stop(); }
  void stop() {
    subscriber_->stop();
    client_->stop();
  }

  ChannelStore& store() { return *store_; }
  const std::string& id() const { return store_->node_id(); }

  // `address`: where the client is (a receiver's join counts it against the rates).
  Res<Attached> join(const Cid& cid, Role role, ConnId conn, const TokenHash& t, std::uint8_t address = 1) {
    AddressKey key{};
    key.bytes[15] = address;
    return await<Res<Attached>>([&](auto done) { store_->join(store_->channel_name(cid), role, conn, t, key, ChannelKind::qr, done); });
  }
  Res<Attached> resume(const Cid& cid, Role role, ConnId conn, const TokenHash& presented, std::uint64_t received,
                       const TokenHash& next) {
    return await<Res<Attached>>(
        [&](auto done) { store_->resume(store_->channel_name(cid), role, conn, presented, received, next, ChannelKind::qr, done); });
  }
  // `taken`: the peer's frames the appending client's socket had taken.
  Res<Appended> append(const Cid& cid, Role from, std::uint64_t epoch, std::uint64_t index, const std::string& data,
                       std::uint64_t taken = 0) {
    return await<Res<Appended>>(
        [&](auto done) { store_->append(store_->channel_name(cid), from, epoch, index, frame_of(data), taken, done); });
  }
  Res<Polled> poll(const Cid& cid, Role role, std::uint64_t epoch, std::optional<std::uint64_t> from = 0) {
    return await<Res<Polled>>([&](auto done) { store_->poll(store_->channel_name(cid), role, epoch, from, done); });
  }
  Res<Left> leave(const Cid& cid, Role role, std::uint64_t epoch, LeaveKind kind) {
    return await<Res<Left>>([&](auto done) { store_->leave(store_->channel_name(cid), role, epoch, kind, done); });
  }
  Res<Done> heartbeat(std::chrono::milliseconds ttl) {
    return await<Res<Done>>([&](auto done) { store_->heartbeat(ttl, done); });
  }
  Res<bool> alive(const std::string& node) {
    return await<Res<bool>>([&](auto done) { store_->node_alive(node, done); });
  }
  Res<Done> evict(const Cid& cid, Role role, const std::string& node) {
    return await<Res<Done>>([&](auto done) { store_->evict(store_->channel_name(cid), role, node, done); });
  }

  // Waits for a wake-up naming `channel`, consumes it.
  // A wake-up with exactly this payload (the name and its news).
  bool woken_exactly(const std::string& payload, std::chrono::milliseconds timeout = 3s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      auto it = std::find(wakes_.begin(), wakes_.end(), payload);
      if (it == wakes_.end()) return false;
      wakes_.erase(it);
      return true;
    });
  }
  bool woken(const std::string& channel, std::chrono::milliseconds timeout = 3s) {
    std::unique_lock lock(mutex_);
    return cv_.wait_for(lock, timeout, [&] {
      // The channel's name, alone or with its news ("<name>|f|...").
      auto it = std::find_if(wakes_.begin(), wakes_.end(), [&](const std::string& w) { return names(w, channel); });
      if (it == wakes_.end()) return false;
      wakes_.erase(it);
      return true;
    });
  }
  std::size_t wakes() {
    std::lock_guard lock(mutex_);
    return wakes_.size();
  }

 private:
  IoThread& io_;
  StateLog states_;
  StateLog sub_states_;
  std::shared_ptr<Client> client_;
  std::shared_ptr<Client> subscriber_;
  std::unique_ptr<ChannelStore> store_;
  std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::string> wakes_;
};

struct Cluster {
  explicit Cluster(Limits l = {}) : limits(l), a(io, server, "node-a", limits), b(io, server, "node-b", limits) {}
  ~Cluster() {
    // The loop's handlers point into the nodes: stop it first.
    a.stop();
    b.stop();
    io.stop();
  }

  // Every key of one channel.
  std::vector<std::string> keys_of(const Cid& cid) {
    auto reply = server.command({"KEYS", "qrl:{" + a.store().channel_name(cid) + "}:*"});
    std::vector<std::string> out;
    for (const auto& e : reply.elements) out.push_back(e.str);
    std::sort(out.begin(), out.end());
    return out;
  }
  long long pttl(const std::string& key) { return server.command({"PTTL", key}).integer; }
  // How many frames a direction holds (its list's length).
  long long held(const std::string& key) { return server.command({"LLEN", key}).integer; }
  long long redis_now_ms() {
    auto t = server.command({"TIME"});
    return std::stoll(t.elements.at(0).str) * 1000 + std::stoll(t.elements.at(1).str) / 1000;
  }
  std::string key(const Cid& cid, const std::string& suffix) {
    return "qrl:{" + a.store().channel_name(cid) + "}:" + suffix;
  }

  RedisServer server;
  IoThread io;
  Limits limits;
  Node a;
  Node b;
};

}  // namespace

TEST_CASE("redis store: a receiver on node A and a sender on node B pair, frames exactly once, in order",
          "[redis]") {
  Cluster c;
  auto cid = make_cid(1);
  auto name = c.a.store().channel_name(cid);
  CHECK(name.size() == 32);
  CHECK(c.b.store().channel_name(cid) == name);  // same key, same name on every node

  auto opened = c.a.join(cid, kR, 11, token(1));
  REQUIRE(opened.ok());
  REQUIRE_FALSE(opened->error);
  CHECK(opened->created);
  CHECK(opened->epoch == 1);
  CHECK_FALSE(opened->peer_present);
  CHECK(opened->expires_in.count() > 100000);

  // The receiver sends before the sender is there: the frames wait.
  REQUIRE_FALSE(c.a.append(cid, kR, 1, 0, "r0")->error);
  REQUIRE_FALSE(c.a.append(cid, kR, 1, 1, "r1")->error);

  auto joined = c.b.join(cid, kS, 22, token(2));
  REQUIRE(joined.ok());
  REQUIRE_FALSE(joined->error);
  CHECK_FALSE(joined->created);
  CHECK(joined->epoch == 1);
  CHECK(joined->peer_present);
  CHECK(joined->peer == SlotHolder{"node-a", 11});
  CHECK(texts(joined->backlog) == std::vector<std::string>{"0:r0", "1:r1"});
  CHECK(c.a.woken(name));  // node A is told to poll: its client gets `peer joined`

  auto seen_by_a = c.a.poll(cid, kR, 1, std::nullopt);
  REQUIRE(seen_by_a.ok());
  REQUIRE_FALSE(seen_by_a->error);
  CHECK(seen_by_a->peer_present);
  CHECK(seen_by_a->peer_epoch == 1);
  CHECK(seen_by_a->peer == SlotHolder{"node-b", 22});
  CHECK(seen_by_a->received == 2);

  for (std::uint64_t i = 0; i < 3; ++i) {
    auto appended = c.b.append(cid, kS, 1, i, "s" + std::to_string(i));
    REQUIRE(appended.ok());
    REQUIRE_FALSE(appended->error);
    CHECK(appended->index == i);
    CHECK(appended->peer == SlotHolder{"node-a", 11});
    CHECK(c.a.woken(name));
  }
  auto polled = c.a.poll(cid, kR, 1, 0);
  REQUIRE(polled.ok());
  CHECK(texts(polled->frames) == std::vector<std::string>{"0:s0", "1:s1", "2:s2"});
  // From a cursor: only what is new.
  CHECK(texts(c.a.poll(cid, kR, 1, 2)->frames) == std::vector<std::string>{"2:s2"});

  // A retry of an append whose reply was lost is not stored twice, a gap is refused.
  auto again = c.b.append(cid, kS, 1, 1, "s1");
  REQUIRE(again.ok());
  CHECK_FALSE(again->error);
  CHECK(again->duplicate);
  CHECK(c.held(c.key(cid, "fs")) == 3);
  CHECK(c.b.append(cid, kS, 1, 7, "gap")->error == Code::bad_request);

  // The sender's node did not wake itself (it has the replies), A holds the receiver.
  CHECK(c.b.wakes() == 0);
}

TEST_CASE("redis store: wake-ups carry the news - the peer joined, a small frame, a normal close", "[redis]") {
  Cluster c;
  auto cid = make_cid(8);
  auto name = c.a.store().channel_name(cid);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(c.b.join(cid, kS, 2, token(2))->error);
  CHECK(c.a.woken_exactly(name + "|j|s|1|node-b"));
  // A small frame rides along, bytes and all ('|' included)...
  REQUIRE_FALSE(c.b.append(cid, kS, 1, 0, "he|lo")->error);
  CHECK(c.a.woken_exactly(name + "|f|s|1|0|he|lo"));
  // ...a large one is fetched by a poll.
  REQUIRE_FALSE(c.b.append(cid, kS, 1, 1, std::string(5000, 'x'))->error);
  CHECK(c.a.woken_exactly(name));
  // A normal close says how many frames the closer sent.
  REQUIRE_FALSE(c.b.leave(cid, kS, 1, LeaveKind::normal)->error);
  CHECK(c.a.woken_exactly(name + "|c|s|2"));
}

TEST_CASE("redis store: only a receiver opens, a cid only once, a normal close ends it for both", "[redis]") {
  Cluster c;
  auto cid = make_cid(2);
  CHECK(c.b.join(cid, kS, 1, token(1))->error == Code::expired);  // never opened
  CHECK(c.keys_of(cid).empty());                                    // and nothing was written

  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(c.b.join(cid, kS, 2, token(2))->error);
  // The sender's last frame, then its close 1000 at once: node A has not
  // fetched the frame yet, and must still get it.
  REQUIRE_FALSE(c.b.append(cid, kS, 1, 0, "last")->error);
  auto left = c.b.leave(cid, kS, 1, LeaveKind::normal);
  REQUIRE(left.ok());
  REQUIRE_FALSE(left->error);
  CHECK(left->completed);
  CHECK(left->peer == SlotHolder{"node-a", 1});
  CHECK(c.a.woken(c.a.store().channel_name(cid)));
  auto polled = c.a.poll(cid, kR, 1);  // the last frame, `peer left`, then close 1000
  CHECK(polled->error == Code::peer_closed);
  CHECK(texts(polled->frames) == std::vector<std::string>{"0:last"});
  CHECK(c.b.append(cid, kS, 1, 1, "late")->error == Code::peer_closed);
  // The receiver's own leave ends it (completed was counted once).
  auto second = c.a.leave(cid, kR, 1, LeaveKind::normal);
  REQUIRE_FALSE(second->error);
  CHECK_FALSE(second->completed);

  // Used: neither role can open or join it again, while it is remembered.
  CHECK(c.a.join(cid, kR, 3, token(3))->error == Code::expired);
  CHECK(c.b.join(cid, kR, 4, token(4))->error == Code::expired);
  CHECK(c.b.join(cid, kS, 5, token(5))->error == Code::expired);
  CHECK(c.keys_of(cid) == std::vector<std::string>{c.key(cid, "used")});
  auto ttl = c.pttl(c.key(cid, "used"));
  CHECK(ttl > 0);
  CHECK(ttl <= (c.limits.channel_lifetime + c.limits.grace).count());
}

TEST_CASE("redis store: every key has a TTL (lifetime + grace), the cid marker outlives the channel", "[redis]") {
  Cluster c;
  auto cid = make_cid(3);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(c.b.join(cid, kS, 2, token(2))->error);
  REQUIRE_FALSE(c.a.append(cid, kR, 1, 0, "x")->error);
  REQUIRE_FALSE(c.b.append(cid, kS, 1, 0, "y")->error);
  REQUIRE_FALSE(c.b.resume(cid, kS, 3, token(2), 1, token(4))->error);  // confirms the receiver's only frame
  // Trimmed empty, a list is gone; the next frame creates it again, and it
  // must expire with the channel as the first one did.
  CHECK(c.keys_of(cid) == std::vector<std::string>{c.key(cid, "fs"), c.key(cid, "st"), c.key(cid, "used")});
  REQUIRE_FALSE(c.a.append(cid, kR, 1, 1, "x2")->error);

  auto keys = c.keys_of(cid);
  CHECK(keys == std::vector<std::string>{c.key(cid, "fr"), c.key(cid, "fs"), c.key(cid, "st"), c.key(cid, "used")});  // sorted
  auto life = (c.limits.channel_lifetime + c.limits.grace).count();
  for (const auto& key : keys) {
    INFO(key);
    auto ttl = c.pttl(key);
    CHECK(ttl > 0);
    if (key.ends_with(":used")) CHECK(ttl <= c.limits.channel_lifetime.count() + life);
    else CHECK(ttl <= life);
  }
  // And every cluster-wide key too.
  auto global = c.server.command({"KEYS", "qrl:{global}:*"});
  CHECK(global.elements.size() == 4);  // open, cids, rate, one address
  for (const auto& key : global.elements) {
    INFO(key.str);
    CHECK(c.pttl(key.str) > 0);
  }
  // Nothing in Redis names the cid, in any form we could guess.
  auto dump = c.server.command({"KEYS", "*"});
  for (const auto& key : dump.elements) {
    CHECK(key.str.find(std::string(cid.begin(), cid.end())) == std::string::npos);
    CHECK(key.str.find(qrlogin::hex_encode(cid)) == std::string::npos);
  }
}

TEST_CASE("redis store: limits hold across nodes (frames, bytes, frame size) and the slow peer is named",
          "[redis]") {
  Limits limits;
  limits.max_frames_per_channel = 4;
  limits.max_channel_bytes = 100;
  limits.max_frame_bytes = 60;
  Cluster c(limits);
  auto cid = make_cid(4);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(c.b.join(cid, kS, 2, token(2))->error);

  CHECK(c.b.append(cid, kS, 1, 0, std::string(61, 'x'))->error == Code::too_large);  // one frame too big
  REQUIRE_FALSE(c.b.append(cid, kS, 1, 0, std::string(60, 'a'))->error);
  // 60 + 41 > 100 and the receiver's socket took nothing: the receiver is slow.
  auto over = c.b.append(cid, kS, 1, 1, std::string(41, 'b'));
  REQUIRE(over.ok());
  CHECK(over->error == Code::too_large);
  CHECK(over->slow_peer == SlotHolder{"node-a", 1});
  CHECK(c.a.woken(c.a.store().channel_name(cid)));
  CHECK(c.a.poll(cid, kR, 1)->error == Code::slow_consumer);

  // Once the receiver's own frame says its socket took frame 0, that frame
  // is the first to go for room.
  Cluster d(limits);
  auto cid2 = make_cid(5);
  REQUIRE_FALSE(d.a.join(cid2, kR, 1, token(1))->error);
  REQUIRE_FALSE(d.b.join(cid2, kS, 2, token(2))->error);
  REQUIRE_FALSE(d.b.append(cid2, kS, 1, 0, std::string(60, 'a'))->error);
  REQUIRE_FALSE(d.a.append(cid2, kR, 1, 0, "r", 1)->error);
  REQUIRE_FALSE(d.b.append(cid2, kS, 1, 1, std::string(39, 'b'))->error);  // 60 + 1 + 39: fits
  CHECK(d.held(d.key(cid2, "fs")) == 2);  // kept for a resume while there is room
  // 101 > 100: the confirmed frame 0 goes (a count past what exists confirms nothing more).
  REQUIRE_FALSE(d.a.append(cid2, kR, 1, 1, "r", 9)->error);
  CHECK(d.held(d.key(cid2, "fs")) == 1);
  // Frames per channel count both directions (4 here).
  CHECK(d.a.append(cid2, kR, 1, 2, "r")->error == Code::too_large);
  CHECK(d.b.append(cid2, kS, 1, 2, "s")->error == Code::too_large);
}

TEST_CASE("redis store: resume on another node, tokens single use, `received` confirms", "[redis]") {
  Cluster c;
  auto cid = make_cid(6);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(c.a.join(cid, kS, 2, token(2))->error);  // both on node A
  for (std::uint64_t i = 0; i < 3; ++i) REQUIRE_FALSE(c.a.append(cid, kR, 1, i, "r" + std::to_string(i))->error);
  REQUIRE_FALSE(c.a.append(cid, kS, 1, 0, "s0")->error);
  // The sender's socket dropped, it comes back through node B having
  // received one of the receiver's three frames.
  auto left = c.a.leave(cid, kS, 1, LeaveKind::abnormal);
  REQUIRE_FALSE(left->error);
  auto during = c.a.poll(cid, kR, 1, std::nullopt);
  CHECK_FALSE(during->peer_present);
  CHECK(during->peer_grace_in.count() > 0);

  SECTION("a match") {
    auto resumed = c.b.resume(cid, kS, 7, token(2), 1, token(3));
    REQUIRE(resumed.ok());
    REQUIRE_FALSE(resumed->error);
    CHECK(resumed->resumed);
    CHECK(resumed->epoch == 2);
    CHECK(resumed->received == 1);  // the relay has s0: the client re-sends from 1
    CHECK(texts(resumed->backlog) == std::vector<std::string>{"1:r1", "2:r2"});
    CHECK_FALSE(resumed->replaced);
    CHECK(resumed->peer == SlotHolder{"node-a", 1});
    CHECK(c.held(c.key(cid, "fr")) == 2);  // r0 confirmed and dropped
    CHECK(c.a.woken(c.a.store().channel_name(cid)));
    auto back = c.a.poll(cid, kR, 1, std::nullopt);
    CHECK(back->peer_present);
    CHECK(back->peer_epoch == 2);  // a new attach: `peer back`

    // The token is spent: presenting it again is someone else.
    auto replay = c.b.resume(cid, kS, 8, token(2), 1, token(9));
    REQUIRE(replay.ok());
    CHECK(replay->error == Code::expired);
    CHECK(replay->intrusion_attempt);
    REQUIRE(replay->intrusion.size() == 2);  // both clients connected get the one notice
    // The new token works, once.
    auto again = c.b.resume(cid, kS, 9, token(3), 3, token(4));
    REQUIRE_FALSE(again->error);
    CHECK(again->epoch == 3);
    CHECK(again->replaced == SlotHolder{"node-b", 7});  // that socket still looked alive
    CHECK(again->backlog.empty());
  }
  SECTION("a wrong token, the other role's token") {
    auto wrong = c.b.resume(cid, kS, 7, token(99), 0, token(3));
    CHECK(wrong->error == Code::expired);
    CHECK(wrong->intrusion_attempt);
    REQUIRE(wrong->intrusion.size() == 1);
    CHECK(wrong->intrusion[0].first == kR);
    CHECK(wrong->intrusion[0].second == SlotHolder{"node-a", 1});
    CHECK(c.a.poll(cid, kR, 1, std::nullopt)->intrusion);
    auto other_role = c.b.resume(cid, kS, 7, token(1), 0, token(3));
    CHECK(other_role->error == Code::expired);
    CHECK(other_role->intrusion.empty());  // the notice went out once
  }
  SECTION("`received` beyond what the peer sent: bad_request, and the token is spent") {
    CHECK(c.b.resume(cid, kS, 7, token(2), 4, token(3))->error == Code::bad_request);
    CHECK(c.b.resume(cid, kS, 7, token(2), 1, token(3))->error == Code::expired);
  }
}

TEST_CASE("redis store: fencing - a node whose client resumed elsewhere can no longer write", "[redis]") {
  Cluster c;
  auto cid = make_cid(7);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(c.b.join(cid, kS, 2, token(2))->error);
  REQUIRE_FALSE(c.a.append(cid, kR, 1, 0, "r0")->error);

  // Node A froze, its receiver resumed through node B, over the socket A
  // still holds.
  auto taken = c.b.resume(cid, kR, 5, token(1), 0, token(3));
  REQUIRE_FALSE(taken->error);
  CHECK(taken->epoch == 2);
  CHECK(taken->replaced == SlotHolder{"node-a", 1});
  CHECK(taken->received == 1);
  CHECK(c.a.woken(c.a.store().channel_name(cid)));

  // Node A wakes up: every write under its old epoch is refused.
  CHECK(c.a.append(cid, kR, 1, 1, "late")->error == Code::replaced);
  CHECK(c.a.append(cid, kR, 1, 1, "late", 1)->error == Code::replaced);  // its confirmation neither
  CHECK(c.a.poll(cid, kR, 1)->error == Code::replaced);
  CHECK(c.a.leave(cid, kR, 1, LeaveKind::normal)->error == Code::replaced);
  CHECK(c.held(c.key(cid, "fr")) == 1);  // "late" never got in
  // The channel lives on under the new epoch.
  REQUIRE_FALSE(c.b.append(cid, kR, 2, 1, "r1")->error);
  CHECK(texts(c.b.poll(cid, kS, 1, 0)->frames) == std::vector<std::string>{"0:r0", "1:r1"});
}

TEST_CASE("redis store: a dead node's slot is evicted - grace starts, a resume elsewhere is never undone", "[redis]") {
  Limits limits;
  limits.grace = std::chrono::milliseconds{400};
  Cluster c(limits);
  auto cid = make_cid(9);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(c.b.join(cid, kS, 2, token(2))->error);

  // Liveness: a key per node that lives `ttl` after its last heartbeat.
  REQUIRE_FALSE(c.b.heartbeat(std::chrono::milliseconds{300})->error);
  CHECK(*c.a.alive("node-b"));
  std::this_thread::sleep_for(std::chrono::milliseconds{450});
  CHECK_FALSE(*c.a.alive("node-b"));

  // Evicting names the node: a wrong one changes nothing.
  REQUIRE_FALSE(c.a.evict(cid, kS, "node-x")->error);
  CHECK(c.a.poll(cid, kR, 1)->peer_present);
  REQUIRE_FALSE(c.a.evict(cid, kS, "node-b")->error);
  auto after = c.a.poll(cid, kR, 1);
  CHECK_FALSE(after->peer_present);
  CHECK(after->peer_grace_in > std::chrono::milliseconds{0});
  // The sender may still resume on a live node within the grace; a late
  // eviction of node B (a second checker) does not touch the new slot.
  auto back = c.a.resume(cid, kS, 3, token(2), 0, token(4));
  REQUIRE_FALSE(back->error);
  REQUIRE_FALSE(c.a.evict(cid, kS, "node-b")->error);
  CHECK(c.a.poll(cid, kR, 1)->peer_present);
  // Without a resume the grace ends the channel.
  REQUIRE_FALSE(c.a.evict(cid, kS, "node-a")->error);
  std::this_thread::sleep_for(std::chrono::milliseconds{500});
  CHECK(c.a.poll(cid, kR, 1)->error == Code::expired);
}

TEST_CASE("redis store: a third client gets channel_full, the one intrusion notice reaches both nodes",
          "[redis]") {
  Cluster c;
  auto cid = make_cid(8);
  auto name = c.a.store().channel_name(cid);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(c.b.join(cid, kS, 2, token(2))->error);
  (void)c.a.woken(name);

  auto third = c.b.join(cid, kS, 3, token(3));
  REQUIRE(third.ok());
  CHECK(third->error == Code::channel_full);
  CHECK(third->intrusion_attempt);
  REQUIRE(third->intrusion.size() == 2);
  std::set<std::string> nodes;
  for (const auto& [role, holder] : third->intrusion) nodes.insert(holder.node);
  CHECK(nodes == std::set<std::string>{"node-a", "node-b"});
  CHECK(c.a.woken(name));
  CHECK(c.a.poll(cid, kR, 1)->intrusion);
  CHECK(c.b.poll(cid, kS, 1)->intrusion);

  auto fourth = c.a.join(cid, kR, 4, token(4));
  CHECK(fourth->error == Code::channel_full);
  CHECK(fourth->intrusion_attempt);
  CHECK(fourth->intrusion.empty());  // once per channel
}

TEST_CASE("redis store: lifetime and grace end a channel, then its cid stays used", "[redis]") {
  Limits limits;
  limits.channel_lifetime = 1500ms;
  limits.grace = 500ms;
  Cluster c(limits);

  auto cid = make_cid(9);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(c.b.join(cid, kS, 2, token(2))->error);
  REQUIRE_FALSE(c.b.leave(cid, kS, 1, LeaveKind::abnormal)->error);
  auto waiting = c.a.poll(cid, kR, 1);
  CHECK(waiting->peer_grace_in.count() > 0);
  CHECK(waiting->peer_grace_in.count() <= 500);
  std::this_thread::sleep_for(600ms);
  CHECK(c.a.poll(cid, kR, 1)->error == Code::expired);  // grace over: the channel ended
  CHECK(c.b.resume(cid, kS, 3, token(2), 0, token(3))->error == Code::expired);
  CHECK(c.a.join(cid, kR, 4, token(4))->error == Code::expired);
  CHECK(c.server.command({"GET", c.key(cid, "used")}).str == "expired");

  auto cid2 = make_cid(10);
  REQUIRE_FALSE(c.a.join(cid2, kR, 1, token(1))->error);
  std::this_thread::sleep_for(1600ms);
  CHECK(c.b.join(cid2, kS, 2, token(2))->error == Code::expired);  // lifetime over
  CHECK(c.a.join(cid2, kR, 3, token(3))->error == Code::expired);
}

TEST_CASE("redis store: cluster-wide admission - channel cap and per-address rate, in the receiver's join",
          "[redis]") {
  Limits limits;
  limits.max_channels = 2;
  limits.channel_burst_per_address = 1;
  limits.channel_rate_per_address = 0.001;
  Cluster c(limits);
  auto open_count = [&] { return c.server.command({"ZCARD", "qrl:{global}:open"}).integer; };

  REQUIRE_FALSE(c.a.join(make_cid(20), kR, 1, token(1), 1)->error);
  CHECK(c.b.join(make_cid(21), kR, 2, token(2), 1)->error == Code::rate_limited);  // same address, other node
  CHECK(c.keys_of(make_cid(21)).empty());                                          // refused: nothing created
  REQUIRE_FALSE(c.b.join(make_cid(21), kR, 3, token(3), 2)->error);
  CHECK(c.a.join(make_cid(22), kR, 4, token(4), 3)->error == Code::unavailable);  // two channels in the cluster
  CHECK(open_count() == 2);
  // A known cid is not counted twice: its join decides.
  CHECK(c.b.join(make_cid(20), kR, 5, token(5), 4)->error == Code::channel_full);
  CHECK(open_count() == 2);
  // A sender's join is never counted or rate limited.
  REQUIRE_FALSE(c.b.join(make_cid(20), kS, 6, token(6), 1)->error);

  // A normal close frees its place at once; a drop keeps it for the grace.
  REQUIRE_FALSE(c.a.leave(make_cid(20), kR, 1, LeaveKind::normal)->error);
  CHECK(open_count() == 1);
  REQUIRE_FALSE(c.a.join(make_cid(22), kR, 7, token(7), 3)->error);
  CHECK(open_count() == 2);
  REQUIRE_FALSE(c.a.leave(make_cid(22), kR, 1, LeaveKind::abnormal)->error);
  auto grace_end = c.server.command({"ZSCORE", "qrl:{global}:open", c.a.store().channel_name(make_cid(22))});
  CHECK(std::stoll(grace_end.str) <= c.redis_now_ms() + c.limits.grace.count());
  // Its resume counts it until the channel's end again.
  REQUIRE_FALSE(c.a.resume(make_cid(22), kR, 8, token(7), 0, token(8))->error);
  auto end = c.server.command({"ZSCORE", "qrl:{global}:open", c.a.store().channel_name(make_cid(22))});
  CHECK(std::stoll(end.str) > c.redis_now_ms() + c.limits.grace.count());
}

TEST_CASE("redis store: the function library is loaded again after Redis forgot it", "[redis]") {
  Cluster c;
  auto cid = make_cid(11);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  c.server.command({"FUNCTION", "FLUSH"});
  auto joined = c.b.join(cid, kS, 2, token(2));
  REQUIRE(joined.ok());
  CHECK_FALSE(joined->error);
  REQUIRE_FALSE(c.b.append(cid, kS, 1, 0, "after flush")->error);
}

TEST_CASE("redis store: Redis down -> every operation fails at once with unavailable", "[redis]") {
  Cluster c;
  auto cid = make_cid(12);
  REQUIRE_FALSE(c.a.join(cid, kR, 1, token(1))->error);
  c.server.kill();
  std::this_thread::sleep_for(300ms);
  auto start = std::chrono::steady_clock::now();
  auto appended = c.a.append(cid, kR, 1, 0, "x");
  REQUIRE_FALSE(appended.ok());
  CHECK(appended.error().code == redis::Errc::unavailable);
  auto joined = c.b.join(cid, kS, 2, token(2));
  REQUIRE_FALSE(joined.ok());
  CHECK(joined.error().code == redis::Errc::unavailable);
  CHECK(std::chrono::steady_clock::now() - start < 1s);  // refused at once, no timeout
}

TEST_CASE("redis store: the documented ACL (relay/redis/acl-rules.txt) is enough for everything", "[redis]") {
  RedisServer server({"--requirepass", "admin-pw"});
  server.set_admin_auth("admin-pw");
  std::ifstream in(QRLOGIN_REDIS_ACL_RULES);
  REQUIRE(in);
  std::vector<std::string> command{"ACL", "SETUSER", "qrlogin", "on", ">relay-pw"};
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line.front() == '#') continue;
    std::istringstream words(line);
    for (std::string word; words >> word;) command.push_back(word);
  }
  REQUIRE(command.size() > 10);
  auto set = server.command(command);
  INFO(set.str);
  REQUIRE(set.is_status());

  IoThread io;
  Limits limits;
  Node a(io, server, "node-a", limits, "qrlogin", "relay-pw");
  Node b(io, server, "node-b", limits, "qrlogin", "relay-pw");
  Finally cleanup([&] {
    a.stop();
    b.stop();
    io.stop();
  });
  auto cid = make_cid(30);
  REQUIRE_FALSE(a.join(cid, kR, 1, token(1))->error);
  REQUIRE_FALSE(b.join(cid, kS, 2, token(2))->error);
  CHECK(a.woken(a.store().channel_name(cid)));
  REQUIRE_FALSE(b.append(cid, kS, 1, 0, "s0")->error);
  REQUIRE_FALSE(a.append(cid, kR, 1, 0, "r0", 1)->error);
  REQUIRE(a.poll(cid, kR, 1, 0).ok());
  REQUIRE_FALSE(b.leave(cid, kS, 1, LeaveKind::abnormal)->error);
  REQUIRE_FALSE(b.resume(cid, kS, 3, token(2), 0, token(3))->error);
  server.command({"FUNCTION", "FLUSH"});  // FUNCTION LOAD again, as the relay's user
  REQUIRE_FALSE(a.leave(cid, kR, 1, LeaveKind::normal)->error);
  REQUIRE(await<Res<Done>>([&](auto done) { b.store().forget(b.store().channel_name(cid), done); }).ok());
  // And nothing beyond its keys.
  CHECK(server.command({"ACL", "DRYRUN", "qrlogin", "GET", "other"}).str.find("no permissions") != std::string::npos);
  CHECK(server.command({"ACL", "DRYRUN", "qrlogin", "FLUSHALL"}).str.find("no permissions") != std::string::npos);
}

TEST_CASE("redis backend: one up/down for both connections, wake-ups, and up again after Redis came back",
          "[redis]") {
  RedisServer server;
  IoThread io;
  StateLog a_states;
  StateLog b_states;
  std::mutex mutex;
  std::condition_variable cv;
  std::vector<std::string> a_wakes;
  auto options = local_options(server.port());
  options.reconnect_max = 300ms;
  options.client_name = "qrlogin-relay";
  auto material = qrlogin::as_bytes(std::string_view("the cluster's shared secret"));
  Connections a(io.executor(), options, derive_name_key(material), Limits{}, StoreOptions{"qrl", "node-a"},
            a_states.handler(), [&](std::string name) {
              std::lock_guard lock(mutex);
              a_wakes.push_back(std::move(name));
              cv.notify_all();
            });
  Connections b(io.executor(), options, derive_name_key(material), Limits{}, StoreOptions{"qrl", "node-b"},
            b_states.handler(), {});
  Finally cleanup([&] {
    a.stop();
    b.stop();
    io.stop();
  });
  a.start();
  b.start();
  REQUIRE(a_states.wait(1) == std::optional<std::pair<bool, std::string>>({true, "connected"}));
  REQUIRE(b_states.wait(1));
  CHECK(a.is_up());
  auto clients = server.command({"CLIENT", "LIST"}).str;
  CHECK(clients.find("name=qrlogin-relay:cmd") != std::string::npos);
  CHECK(clients.find("name=qrlogin-relay:sub") != std::string::npos);

  auto wait_wake = [&](const std::string& name) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, 3s, [&] {
      return std::find_if(a_wakes.begin(), a_wakes.end(), [&](const std::string& w) { return names(w, name); }) !=
             a_wakes.end();
    });
  };
  auto cid = make_cid(40);
  auto name = a.store().channel_name(cid);
  REQUIRE_FALSE(await<Res<Attached>>([&](auto done) { a.store().join(name, kR, 1, token(1), AddressKey{}, ChannelKind::qr, done); })->error);
  REQUIRE_FALSE(await<Res<Attached>>([&](auto done) { b.store().join(name, kS, 2, token(2), AddressKey{}, ChannelKind::qr, done); })->error);
  CHECK(wait_wake(name));

  server.kill();
  auto down = a_states.wait(2, 3s);
  REQUIRE(down);
  CHECK_FALSE(down->first);
  CHECK_FALSE(a.is_up());
  server.start();
  auto up = a_states.wait(3, 5s);
  REQUIRE(up);
  CHECK(up->first);  // the caller polls everything it holds now
  CHECK(a_states.size() == 3);
  // Wake-ups flow again (a fresh Redis: a fresh channel).
  REQUIRE(b_states.wait(3, 5s));
  auto cid2 = make_cid(41);
  {
    std::lock_guard lock(mutex);
    a_wakes.clear();
  }
  auto name2 = a.store().channel_name(cid2);
  REQUIRE_FALSE(await<Res<Attached>>([&](auto done) { a.store().join(name2, kR, 1, token(1), AddressKey{}, ChannelKind::qr, done); })->error);
  REQUIRE_FALSE(await<Res<Attached>>([&](auto done) { b.store().join(name2, kS, 2, token(2), AddressKey{}, ChannelKind::qr, done); })->error);
  CHECK(wait_wake(name2));
}
