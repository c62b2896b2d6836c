// Faults with pairings in flight both ways (tests/cluster/chaos.hpp): Redis
// frozen and restarted, a relay node frozen, stopped and killed behind
// nginx. Each prints its row of the chaos table (docs/deploy.md, "Faults"):
// pairings started, completed, failed (why), frames delivered, lost,
// duplicated, and intrusions seen. Lost, duplicated and intrusions must be
// 0 in every case; what may fail, and why, is said per case.
#include <signal.h>
#include <sys/stat.h>

#include <iostream>

#include "tests/cluster/chaos.hpp"
#include "tests/cluster/cluster_helpers.hpp"
#include "tests/support/nginx_process.hpp"
#include "tests/support/redis_sentinel.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;

namespace {

// Room for the chaos exchange (12 frames and a fin each way), and a grace
// that outlasts every fault here.
const std::vector<std::string> kChaosFlags{"--max-frames-per-channel", "64", "--grace", "20s"};

void print_row(const std::string& scenario, const ChaosReport& r) {
  std::cout << "chaos: | scenario | started | completed | failed (why) | frames | lost | duplicates | intrusions | took |\n"
            << "chaos: " << r.table_row(scenario) << std::endl;
}

void check_clean(const ChaosReport& r) {
  CHECK(r.frames_lost == 0);
  CHECK(r.duplicates == 0);
  CHECK(r.foreign == 0);
  CHECK(r.intrusions == 0);
  CHECK(r.completed + r.failed == r.started);
}

}  // namespace

TEST_CASE("chaos: Redis frozen for 2 s mid-pairing - a pause: every pairing completes, nothing lost") {
  Cluster cluster(2, kChaosFlags);
  ChaosPlan plan;
  plan.receiver_port = cluster.node(0).port();
  plan.sender_port = cluster.node(1).port();
  plan.fault = [&] {
    cluster.redis().freeze();
    std::this_thread::sleep_for(2s);
    cluster.redis().thaw();
  };
  auto r = run_chaos(plan);
  print_row("Redis SIGSTOP 2 s, SIGCONT", r);
  INFO(r.table_row("redis freeze"));
  check_clean(r);
  CHECK(r.completed == plan.pairings);
  // Nobody was told to go: the nodes waited.
  CHECK(metric_sum({&cluster.node(0), &cluster.node(1)}, "qrlogin_relay_errors_total{code=\"unavailable\"}") == 0);
}

TEST_CASE("chaos: Redis restarted empty mid-pairing - the pairings in flight end as expired, nothing else") {
  Cluster cluster(2, kChaosFlags);
  ChaosPlan plan;
  plan.receiver_port = cluster.node(0).port();
  plan.sender_port = cluster.node(1).port();
  plan.fault = [&] {
    cluster.redis().kill();
    std::this_thread::sleep_for(500ms);
    cluster.redis().start();
  };
  auto r = run_chaos(plan);
  print_row("Redis restarted (persistence off)", r);
  INFO(r.table_row("redis restart"));
  check_clean(r);
  // Their channels are gone with Redis's memory: each client is told so
  // (expired: start again), none waits forever or sees an intrusion.
  for (const auto& [why, n] : r.failures) {
    INFO(why);
    CHECK(why == "expired");
  }
  // And the cluster serves new pairings as soon as both nodes are back
  // (each reconnects with its own backoff, at most 2 s).
  REQUIRE(wait_until([&] { return health_of(cluster.node(0)).status == 200 && health_of(cluster.node(1)).status == 200; },
                     5s));
  pair_with_cli(cluster.node(1).port(), cluster.node(0).port(), "after a Redis restart");
}

namespace {

// Two nodes behind nginx, every client through nginx.
struct Fronted {
  Cluster cluster{2, kChaosFlags};
  NginxProcess nginx{{cluster.node(0).port(), cluster.node(1).port()}};
  ChaosPlan plan() {
    ChaosPlan p;
    p.receiver_port = nginx.port();
    p.sender_port = nginx.port();
    return p;
  }
};

}  // namespace

TEST_CASE("chaos: a relay node frozen for 3 s behind nginx - every pairing completes, no intrusion") {
  require_nginx();
  Fronted f;
  auto plan = f.plan();
  plan.fault = [&] {
    REQUIRE(f.cluster.node(0).signal(SIGSTOP));
    std::this_thread::sleep_for(3s);
    REQUIRE(f.cluster.node(0).signal(SIGCONT));
  };
  auto r = run_chaos(plan);
  print_row("relay node SIGSTOP 3 s, SIGCONT", r);
  INFO(r.table_row("node freeze"));
  check_clean(r);
  CHECK(r.completed == plan.pairings);
}

TEST_CASE("chaos: a relay node stopped (SIGTERM) behind nginx - its clients resume on the other, every pairing completes") {
  require_nginx();
  Fronted f;
  auto plan = f.plan();
  plan.fault = [&] { CHECK(f.cluster.node(0).stop() == 0); };
  auto r = run_chaos(plan);
  print_row("relay node SIGTERM (rolling restart)", r);
  INFO(r.table_row("node sigterm"));
  check_clean(r);
  CHECK(r.completed == plan.pairings);
  // The stopped node's clients did move: their resumes landed on the other.
  CHECK(metric(f.cluster.node(1), "qrlogin_relay_resumes_total{result=\"ok\"}") > 0);
}

TEST_CASE("chaos: a relay node killed (SIGKILL) behind nginx - its clients resume on the other, every pairing completes") {
  require_nginx();
  Fronted f;
  auto plan = f.plan();
  plan.fault = [&] {
    REQUIRE(f.cluster.node(0).signal(SIGKILL));
    CHECK(f.cluster.node(0).wait_exit(5s) == 128 + SIGKILL);
  };
  auto r = run_chaos(plan);
  print_row("relay node SIGKILL", r);
  INFO(r.table_row("node sigkill"));
  check_clean(r);
  CHECK(r.completed == plan.pairings);
  CHECK(metric(f.cluster.node(1), "qrlogin_relay_resumes_total{result=\"ok\"}") > 0);
}

// Redis high availability: 1 master, 1 replica, 3 Sentinels (quorum 2) on
// loopback; the nodes find the master through the Sentinels
// (--redis sentinel://...). The master is killed mid-pairing; the Sentinels
// promote the replica (about 2-4 s: 1 s down-after, then the election) and
// the nodes, which waited meanwhile, follow. Replication is asynchronous:
// what the master took in its last moment may be gone, and the clients'
// resumes (received=N, re-sending the rest) recover the frames; a channel
// whose creation was lost would end as expired.
TEST_CASE("chaos: a Sentinel failover of the Redis master mid-pairing - the nodes follow it and nothing is lost") {
  require_redis_sentinel();
  require_nginx();  // the cluster tests' other dependency: skipped together
  RedisServer master;
  RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
  REQUIRE(wait_until([&] { return replica.command({"INFO", "replication"}).str.find("master_link_status:up") !=
                                  std::string::npos; }, 10s));
  RedisSentinel s1(master.port(), "qrl", 2);
  RedisSentinel s2(master.port(), "qrl", 2);
  RedisSentinel s3(master.port(), "qrl", 2);
  Dir dir;
  dir.write("names.key", qrlogin::base64url_encode(random_bytes(32)) + "\n");
  REQUIRE(::chmod(dir.file("names.key").c_str(), 0600) == 0);
  auto url = "sentinel://127.0.0.1:" + std::to_string(s1.port()) + ",127.0.0.1:" + std::to_string(s2.port()) +
             ",127.0.0.1:" + std::to_string(s3.port()) + "/qrl";
  std::vector<std::string> args{"--redis", url, "--redis-key-file", dir.file("names.key"), "--redis-grace", "20s"};
  args.insert(args.end(), kChaosFlags.begin(), kChaosFlags.end());
  RelayProcess a(args);
  RelayProcess b(args);
  REQUIRE(a.wait_for_output("\"event\":\"redis_up\"", 10s));
  REQUIRE(b.wait_for_output("\"event\":\"redis_up\"", 10s));

  ChaosPlan plan;
  plan.receiver_port = a.port();
  plan.sender_port = b.port();
  plan.fault = [&] { master.kill(); };
  auto r = run_chaos(plan);
  print_row("Sentinel failover (master SIGKILL)", r);
  INFO(r.table_row("sentinel failover"));
  check_clean(r);
  for (const auto& [why, n] : r.failures) {
    INFO(why);
    CHECK(why == "expired");
  }
  // The Sentinels moved the master, and the nodes serve through it.
  CHECK(s1.master_port() == replica.port());
  REQUIRE(wait_until([&] { return health_of(a).status == 200 && health_of(b).status == 200; }, 10s));
  pair_with_cli(a.port(), b.port(), "after a failover");
}
