#pragma once
// Shared by the cluster tests: a real redis-server and N qrlogin-relay nodes
// in cluster mode (--redis, one shared --redis-key-file), each node's
// /metrics and /healthz, and the CLI runs of tests/e2e with the link pointed
// at another node.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <limits>
#include <map>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "tests/support/cli_runs.hpp"
#include "tests/support/redis_server.hpp"
#include "tests/support/relay_helpers.hpp"
#include "tests/support/relay_process.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

using Clock = std::chrono::steady_clock;
using Dir = ScratchDir;

// redis-server plus relay nodes sharing it. Every node gets the same flags
// (a cluster is configured alike); `extra` adds to them.
class Cluster {
 public:
  explicit Cluster(int nodes, std::vector<std::string> extra = {}) : extra_(std::move(extra)) {
    dir_.write("names.key", base64url_encode(random_bytes(32)) + "\n");
    REQUIRE(::chmod(dir_.file("names.key").c_str(), 0600) == 0);
    for (int i = 0; i < nodes; ++i) add_node();
  }

  RelayProcess& add_node() {
    std::vector<std::string> args{"--redis", "redis://127.0.0.1:" + std::to_string(redis_.port()),
                                  "--redis-key-file", dir_.file("names.key")};
    args.insert(args.end(), extra_.begin(), extra_.end());
    nodes_.push_back(std::make_unique<RelayProcess>(args));
    auto& node = *nodes_.back();
    // The node serves once its Redis connections are up.
    REQUIRE(node.wait_for_output("\"event\":\"redis_up\"", std::chrono::seconds{10}));
    return node;
  }

  RelayProcess& node(std::size_t i) { return *nodes_.at(i); }
  [[nodiscard]] std::size_t size() const { return nodes_.size(); }
  RedisServer& redis() { return redis_; }

 private:
  RedisServer redis_;  // first: the nodes stop before it does
  Dir dir_;
  std::vector<std::string> extra_;
  std::vector<std::unique_ptr<RelayProcess>> nodes_;
};

// A node's /metrics as series -> value; empty when it does not answer (a
// node being killed or frozen), where metrics_of() would fail the test.
inline std::map<std::string, double> node_metrics(const RelayProcess& relay) {
  relay_client::HttpRequest req;
  req.port = relay.metrics_port();
  req.target = "/metrics";
  req.timeout = std::chrono::milliseconds{2000};
  auto res = relay_client::http_request(req);
  if (!res.ok() || res->status != 200) return {};
  return series_of(res->body);
}

inline double metric(const RelayProcess& relay, const std::string& series) {
  auto m = node_metrics(relay);
  auto it = m.find(series);
  return it == m.end() ? -1 : it->second;
}

// The sum of one series over some nodes.
inline double metric_sum(const std::vector<const RelayProcess*>& nodes, const std::string& series) {
  double sum = 0;
  for (const auto* n : nodes) sum += metric(*n, series);
  return sum;
}

// A counter that may still be catching up (a node counts a frame when
// Redis's reply to the append reaches it, which can be after the peer
// already has the frame): waits until it reads `expected`, and returns the
// last value read, for the CHECK to show.
inline double settled(const RelayProcess& relay, const std::string& series, double expected,
                      std::chrono::milliseconds timeout = std::chrono::seconds{3}) {
  double value = -1;
  (void)wait_until([&] { return (value = metric(relay, series)) == expected; }, timeout);
  return value;
}

inline double settled_sum(const std::vector<const RelayProcess*>& nodes, const std::string& series, double expected,
                          std::chrono::milliseconds timeout = std::chrono::seconds{3}) {
  double value = -1;
  (void)wait_until([&] { return (value = metric_sum(nodes, series)) == expected; }, timeout);
  return value;
}

struct Health {
  int status = 0;  // 0: no answer
  nlohmann::json body;
};

inline Health health_of(const RelayProcess& relay, std::chrono::milliseconds timeout = std::chrono::milliseconds{1000}) {
  relay_client::HttpRequest req;
  req.port = relay.port();
  req.target = "/healthz";
  req.timeout = timeout;
  auto res = relay_client::http_request(req);
  if (!res.ok()) return {};
  return {res->status, nlohmann::json::parse(res->body, nullptr, false)};
}

// Binary frames that arrive within `window` (control messages are skipped
// and kept in `controls`); stops early at a close or once `enough` frames
// have arrived.
inline std::vector<Bytes> frames_within(relay_client::Client& client, std::chrono::milliseconds window,
                                        std::vector<std::string>* controls = nullptr,
                                        std::size_t enough = std::numeric_limits<std::size_t>::max()) {
  std::vector<Bytes> out;
  auto deadline = Clock::now() + window;
  while (out.size() < enough) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now());
    if (left <= std::chrono::milliseconds{0}) break;
    auto e = client.next(left);
    if (!e.ok()) break;  // nothing more in time
    if (e->kind == Event::Kind::binary) out.push_back(e->bytes);
    else if (e->kind == Event::Kind::control && controls) controls->push_back(e->text);
    else if (e->kind == Event::Kind::closed) break;
  }
  return out;
}

// --- the CLI ---------------------------------------------------------------

// The CLI as the cluster tests run it: no QR code, no prompt on the
// receiver's side, a 30 s pairing timeout.
inline std::unique_ptr<CliProcess> cluster_receive(std::uint16_t relay_port, const Dir& dir) {
  return start_receive(relay_port, dir, {"--qr", "none", "--yes", "--timeout", "30"});
}

inline std::unique_ptr<CliProcess> cluster_send(const std::string& link, const Dir& dir) {
  return start_send(link, dir, {"--timeout", "30"});
}

// A receiver CLI on `receiver_port` and a sender CLI on `sender_port` pair;
// the user confirms; both exit 0 and the file holds the credential.
inline void pair_with_cli(std::uint16_t receiver_port, std::uint16_t sender_port, const std::string& credential) {
  Dir dir;
  dir.write("cred", credential);
  auto receive = cluster_receive(receiver_port, dir);
  auto link = with_port(wait_link(*receive), receiver_port, sender_port);
  auto send = cluster_send(link, dir);
  require_output(*send, "\"event\":\"waiting_confirmation\"", "the sender");
  require_output(*receive, "\"event\":\"sas\"", "the receiver");
  CHECK(send->json_field("sas", "sas") == receive->json_field("sas", "sas"));
  send->write_stdin("y\n");
  auto sent = exit_of(*send);
  auto received = exit_of(*receive);
  INFO("sender: " << printed(*send));
  INFO("receiver: " << printed(*receive));
  CHECK(sent == 0);
  CHECK(received == 0);
  check_written(dir, credential);
}

}  // namespace qrlogin::testing
