// Abusive clients: each is closed on time with a defined answer, the relay
// stays healthy, and a legitimate pairing from another address completes
// while the abuse goes on. Abusers come from 127.0.0.2, the honest pair
// from 127.0.0.3, so per-address limits cannot hide a shared failure.
#include <poll.h>

#include <atomic>
#include <thread>

#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

namespace {

constexpr const char* kAbuser = "127.0.0.2";
constexpr const char* kHonest = "127.0.0.3";
using Clock = std::chrono::steady_clock;

std::unique_ptr<Client> join_from(const RelayProcess& relay, const std::string& cid, const std::string& role,
                                  const char* source, bool expect_peer = false) {
  auto o = options_for(relay, cid, role);
  o.bind_address = source;
  return join_with(o, expect_peer);
}

// The honest pair: the receiver joins first (before the abuse starts), the
// sender later (while it goes on); then frames both ways and a normal close.
struct HonestPair {
  const RelayProcess& relay;
  std::string cid = random_cid();
  std::unique_ptr<Client> receiver = join_from(relay, cid, "receiver", kHonest);

  void complete() {
    auto sender = join_from(relay, cid, "sender", kHonest, /*expect_peer=*/true);
    auto hello = frame_of(0x01, 100);
    auto ready = frame_of(0x02, 100);
    REQUIRE(sender->send(hello).ok());
    REQUIRE(receiver->next_control("peer", 5s).ok());
    expect_binary(*receiver, hello);
    REQUIRE(receiver->send(ready).ok());
    expect_binary(*sender, ready);
    REQUIRE(sender->close(1000).ok());
    auto closed = receiver->wait_closed(5s);
    REQUIRE(closed.ok());
    CHECK(closed->close_code == 1000);
  }
};

// Reads what the relay sends on `fd` until it closes the connection (or
// `limit` passes); returns the bytes and how long the close took.
struct RawOutcome {
  std::string bytes;
  bool closed = false;
  Clock::duration took{};
};
RawOutcome read_until_closed(int fd, Clock::time_point since, std::chrono::milliseconds limit) {
  RawOutcome out;
  auto deadline = Clock::now() + limit;
  char buf[4096];
  while (Clock::now() < deadline) {
    pollfd p{fd, POLLIN, 0};
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (poll(&p, 1, static_cast<int>(std::max<long>(1, left.count()))) <= 0) continue;
    auto n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0) {
      out.closed = true;
      break;
    }
    out.bytes.append(buf, static_cast<std::size_t>(n));
  }
  out.took = Clock::now() - since;
  return out;
}

// Writes `bytes` in `chunk`-sized pieces, `gap` apart, until done, the
// relay closes, or `stop` is set. Never raises SIGPIPE.
void dribble(int fd, std::string bytes, std::size_t chunk, std::chrono::milliseconds gap, std::atomic<bool>& stop) {
  for (std::size_t at = 0; at < bytes.size() && !stop; at += chunk) {
    auto n = std::min(chunk, bytes.size() - at);
    if (send(fd, bytes.data() + at, n, MSG_NOSIGNAL) < 0) return;
    if (gap.count() > 0) std::this_thread::sleep_for(gap);
  }
}

// Healthy: /healthz answers ok, and every abusive or finished connection is
// gone. A channel whose client was closed with an error may wait out its
// grace period for a resume.
void expect_healthy(const RelayProcess& relay) {
  CHECK(healthz(relay)["status"] == "ok");
  CHECK(eventually(relay, [](const nlohmann::json& g) { return g["connections"] == 0; }));
}

}  // namespace

TEST_CASE("abuse: slowloris - request headers one byte a second - is cut at the handshake timeout", "[integration]") {
  RelayProcess relay({"--handshake-timeout", "2s"});
  HonestPair honest{relay};
  auto started = Clock::now();
  int fd = raw_connect("127.0.0.1", relay.port(), kAbuser);
  std::atomic<bool> stop{false};
  std::thread writer(dribble, fd, std::string("GET /v1/channels/abcdefghijklmnopqrstuv?role=receiver HTTP/1.1\r\n"), 1,
                     1000ms, std::ref(stop));
  honest.complete();
  auto outcome = read_until_closed(fd, started, 6s);
  stop = true;
  writer.join();
  close(fd);
  CHECK(outcome.closed);
  CHECK(outcome.took < 3500ms);
  expect_healthy(relay);
}

TEST_CASE("abuse: a ping flood is bad_request (1008) at once - the honest pair is untouched", "[integration]") {
  RelayProcess relay;
  HonestPair honest{relay};
  auto flooder = join_from(relay, random_cid(), "receiver", kAbuser);
  auto started = Clock::now();
  for (int i = 0; i < 1000 && flooder->ping(1s).ok() && !flooder->closed(); ++i) {
  }
  expect_error_then_close(*flooder, "bad_request", 1008, 3s);
  CHECK(Clock::now() - started < 3s);
  honest.complete();
  expect_healthy(relay);
}

TEST_CASE("abuse: a message dribbled in 1-byte fragments is cut at the fragment timeout", "[integration]") {
  RelayProcess relay({"--fragment-timeout", "1s"});
  HonestPair honest{relay};
  auto dribbler = join_from(relay, random_cid(), "receiver", kAbuser);
  auto started = Clock::now();
  auto message = frame_of(0x01, 200);
  // One byte every 50 ms would take 10 s; the relay must not wait for it.
  for (std::size_t i = 0; i + 1 < message.size() && Clock::now() - started < 5s; ++i) {
    if (!dribbler->send_fragment(ByteView(message).subspan(i, 1), false, 1s).ok()) break;
    if (dribbler->closed()) break;
    std::this_thread::sleep_for(50ms);
  }
  expect_error_then_close(*dribbler, "bad_request", 1008, 3s);
  CHECK(Clock::now() - started < 3s);
  honest.complete();
  expect_healthy(relay);
}

TEST_CASE("abuse: empty fragments do not extend a message past the fragment timeout", "[integration]") {
  RelayProcess relay({"--fragment-timeout", "1s"});
  HonestPair honest{relay};
  auto dribbler = join_from(relay, random_cid(), "receiver", kAbuser);
  auto started = Clock::now();
  auto first = frame_of(0x01, 1);
  REQUIRE(dribbler->send_fragment(first, false, 1s).ok());
  // Then only empty continuation frames, each of which says "more to come".
  while (Clock::now() - started < 5s && !dribbler->closed()) {
    if (!dribbler->send_fragment({}, false, 1s).ok()) break;
    std::this_thread::sleep_for(20ms);
  }
  expect_error_then_close(*dribbler, "bad_request", 1008, 3s);
  CHECK(Clock::now() - started < 3s);
  honest.complete();
  expect_healthy(relay);
}

TEST_CASE("abuse: garbage instead of HTTP gets 400 and a close", "[integration]") {
  RelayProcess relay;
  HonestPair honest{relay};
  // A TLS ClientHello's first bytes, then noise: what a wrong scheme or a scanner sends.
  std::string garbage("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  auto noise = random_bytes(2000);
  garbage.append(noise.begin(), noise.end());
  garbage += "\r\n\r\n";
  auto started = Clock::now();
  int fd = raw_connect("127.0.0.1", relay.port(), kAbuser);
  REQUIRE(send(fd, garbage.data(), garbage.size(), MSG_NOSIGNAL) > 0);
  auto outcome = read_until_closed(fd, started, 5s);
  close(fd);
  CHECK(outcome.closed);
  CHECK(outcome.took < 2s);
  CHECK(outcome.bytes.rfind("HTTP/1.1 400", 0) == 0);
  CHECK(outcome.bytes.find("not an HTTP/1.1 request") != std::string::npos);
  honest.complete();
  expect_healthy(relay);
}

TEST_CASE("abuse: a 200 KB header gets 431 and a close - the relay reads no more of it", "[integration]") {
  RelayProcess relay;
  HonestPair honest{relay};
  std::string request = "GET /healthz HTTP/1.1\r\nHost: relay\r\nX-Padding: " + std::string(200 * 1024, 'a') + "\r\n\r\n";
  auto started = Clock::now();
  int fd = raw_connect("127.0.0.1", relay.port(), kAbuser);
  std::atomic<bool> stop{false};
  std::thread writer(dribble, fd, request, 16 * 1024, 0ms, std::ref(stop));
  auto outcome = read_until_closed(fd, started, 5s);
  stop = true;
  writer.join();
  close(fd);
  CHECK(outcome.closed);
  CHECK(outcome.took < 2s);
  CHECK(outcome.bytes.rfind("HTTP/1.1 431", 0) == 0);
  honest.complete();
  expect_healthy(relay);
}

}  // namespace qrlogin::testing
