// Redis goes away under a running cluster: every node says so at once
// (/healthz 503, `unavailable` to new clients), keeps its clients waiting
// with their sockets paused for --redis-grace and then tells them to
// resume, and serves again by itself when Redis is back on the same
// address. A stall shorter than the grace is only a pause.
#include <initializer_list>

#include "tests/cluster/cluster_helpers.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;

namespace {

// Polls /healthz until it answers `status`; how long that took (or nullopt).
std::optional<std::chrono::milliseconds> time_until_health(const RelayProcess& relay, int status, Clock::time_point since,
                                                           std::chrono::milliseconds timeout) {
  auto deadline = since + timeout;
  for (;;) {
    auto h = health_of(relay, 500ms);
    auto now = Clock::now();
    if (h.status == status) return std::chrono::duration_cast<std::chrono::milliseconds>(now - since);
    if (now >= deadline) return std::nullopt;
    std::this_thread::sleep_for(20ms);
  }
}

// A paired receiver (on `r`) and sender (on `s`), a frame each way.
std::pair<std::unique_ptr<Client>, std::unique_ptr<Client>> paired(const RelayProcess& r, const RelayProcess& s) {
  auto [receiver, sender] = join_pair(r, s, random_cid());
  auto hello = frame_of(0x01, 65);
  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver, hello);
  return {std::move(receiver), std::move(sender)};
}

void check_down(const RelayProcess& relay) {
  auto h = health_of(relay);
  INFO(h.body.dump());
  CHECK(h.status == 503);
  CHECK(h.body.value("status", "") == "unavailable");
  CHECK(h.body.value("reason", "").rfind("redis: ", 0) == 0);
  CHECK(metric(relay, "qrlogin_relay_redis_up") == 0);
}

// Each node notices by itself, while nobody asks anything of it: 503
// within 2 s of `since`.
void expect_down(std::initializer_list<const RelayProcess*> nodes, Clock::time_point since) {
  for (const auto* n : nodes) {
    auto took = time_until_health(*n, 503, since, 5s);
    REQUIRE(took);
    INFO("503 after " << took->count() << " ms");
    CHECK(*took < 2s);
    check_down(*n);
  }
}

// Each node serves again by itself, within 4 s of `since` (the adapter's
// reconnect backoff is at most 2 s).
void expect_up(std::initializer_list<const RelayProcess*> nodes, Clock::time_point since) {
  for (const auto* n : nodes) {
    auto took = time_until_health(*n, 200, since, 8s);
    REQUIRE(took);
    INFO("200 again after " << took->count() << " ms");
    CHECK(*took < 4s);
    CHECK(metric(*n, "qrlogin_relay_redis_up") == 1);
  }
}

}  // namespace

TEST_CASE("Redis stops - /healthz 503 within 2 s, clients wait out --redis-grace then resume - back on its port the nodes serve again") {
  Cluster cluster(2, {"--redis-grace", "2s"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  for (auto* n : {&a, &b}) {
    auto h = health_of(*n);
    REQUIRE(h.status == 200);
    CHECK(h.body.value("status", "") == "ok");
  }
  auto [receiver, sender] = paired(a, b);

  auto stopped = Clock::now();
  cluster.redis().kill();
  expect_down({&a, &b}, stopped);
  // A client arriving during the outage is refused: no slot to wait with.
  for (auto* n : {&a, &b}) {
    auto late = connect(*n, random_cid(), "receiver");
    REQUIRE(late);
    expect_error_then_close(*late.client, "unavailable", 1013);
  }
  // The pairing in flight waits; past the grace both clients are told to
  // resume (unavailable, "resume": true), on both nodes.
  auto early = receiver->next(std::chrono::milliseconds{1000});
  CHECK_FALSE(early.ok());  // nothing within the first second: a pause
  expect_error_then_close(*receiver, "unavailable", 1013, 4s);
  expect_error_then_close(*sender, "unavailable", 1013, 4s);
  auto told = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - stopped);
  INFO("told to resume after " << told.count() << " ms");
  CHECK(told >= 1900ms);
  CHECK(told < 5s);

  // Redis comes back on the same port, empty; the relays were not restarted.
  auto restarted = Clock::now();
  cluster.redis().start();
  expect_up({&a, &b}, restarted);
  // A new pairing across the nodes, with the real CLI.
  pair_with_cli(a.port(), b.port(), "after the outage");
}

TEST_CASE("a frozen Redis (SIGSTOP) past --redis-timeout is noticed within 2 s - its clients wait and go on when it thaws") {
  Cluster cluster(2, {"--redis-timeout", "1s"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto [receiver, sender] = paired(a, b);

  auto frozen = Clock::now();
  cluster.redis().freeze();
  // A frame sent into the freeze waits on its node, with its sender's socket.
  auto ready = frame_of(0x02, 49);
  REQUIRE(receiver->send(ready).ok());
  expect_down({&a, &b}, frozen);
  CHECK_FALSE(sender->next(std::chrono::milliseconds{300}).ok());  // neither the frame nor an error

  auto thawed = Clock::now();
  cluster.redis().thaw();
  expect_up({&a, &b}, thawed);
  // Nobody was told to go; the frame arrives, once, and the pairing goes on.
  expect_binary(*sender, ready, 5s);
  auto reveal = frame_of(0x03, 49);
  REQUIRE(sender->send(reveal).ok());
  expect_binary(*receiver, reveal);
  CHECK(metric_sum({&a, &b}, "qrlogin_relay_errors_total{code=\"unavailable\"}") == 0);
}
