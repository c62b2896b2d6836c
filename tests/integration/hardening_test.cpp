// The relay under attack (issue 16): a receiver that stalls the relay's
// writes and answers pings out of turn cannot leak its session; a write that
// is not taken is cut with slow_consumer; limits hold per network, not only
// per address; a stdout nobody reads does not stall the relay; every
// X-Forwarded-For line counts; unsafe configurations do not start.
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/relay_helpers.hpp"
#include "tests/support/raw_websocket.hpp"

namespace qrlogin::testing {

namespace {
// On loopback the kernel's socket buffers take megabytes (the relay's send
// buffer grows to tcp_wmem's 4 MiB), so these tests let a channel carry
// more than that: frames enough to stall the relay's write to a receiver
// whose own receive buffer is tiny and never read.
const std::vector<std::string> kRoomToStall = {"--max-frames-per-channel", "1000", "--max-channel-bytes", "16000000"};
constexpr std::size_t kBigFrame = 64000;
constexpr int kFramesToStall = 100;  // 6.4 MB

std::vector<std::string> with_room_to_stall(std::vector<std::string> args) {
  args.insert(args.end(), kRoomToStall.begin(), kRoomToStall.end());
  return args;
}

void fill(Client& sender) {
  for (int i = 0; i < kFramesToStall; ++i) REQUIRE(sender.send(frame_of(0x03, kBigFrame)).ok());
}

RawWebSocket stalled_receiver(const RelayProcess& relay, const std::string& cid) {
  RawWebSocketOptions o;
  o.port = relay.port();
  o.target = relay_client::channel_target(cid, "receiver");
  o.receive_buffer_bytes = 2048;
  auto ws = raw_websocket(o);
  INFO(ws.status_line);
  REQUIRE(ws);
  return ws;
}

double metric(const RelayProcess& relay, const std::string& series) { return metrics_of(relay)[series]; }

bool no_leak_reported(const std::string& output) {
  return output.find("LeakSanitizer") == std::string::npos && output.find("ERROR: AddressSanitizer") == std::string::npos;
}
}  // namespace

TEST_CASE("hardening: a stalled receiver answering pings out of turn cannot leak its session", "[integration]") {
  // Pings every second; a pong must answer within 3 s. The write timeout is
  // out of the way so that only the ping rule is tested.
  RelayProcess relay(with_room_to_stall({"--ping-interval", "1s", "--pong-timeout", "3s", "--write-timeout", "60s",
                                         "--grace", "1s", "--log-level", "debug"}));
  auto before = gauges(relay)["connections"].get<double>();
  auto cid = random_cid();
  auto receiver = stalled_receiver(relay, cid);
  auto sender = join(relay, cid, "sender", true);
  // The relay's write to the receiver stalls: nothing is ever read.
  fill(*sender);
  // A pong nobody asked for, each time after more than a ping interval of
  // silence: it must neither answer the relay's ping (stuck behind the
  // write) nor let the relay start a second one.
  for (int i = 0; i < 4; ++i) {
    std::this_thread::sleep_for(1500ms);
    (void)raw_send_pong(receiver.fd);
  }
  // The relay gave up on the receiver when its pong did not come.
  CHECK(relay.wait_for_output("\"event\":\"pong_timeout\"", 3s));
  raw_reset(receiver.fd);
  sender->abort();
  CHECK(eventually(relay, [&](const nlohmann::json& g) { return g["connections"] == before; }, 5s));
  CHECK(eventually(relay, [](const nlohmann::json& g) { return g["channels"] == 0; }, 5s));
  CHECK(relay.stop() == 0);
  INFO(relay.output());
  CHECK(no_leak_reported(relay.output()));
}

TEST_CASE("hardening: a receiver that never reads is cut with slow_consumer within the write timeout - its peer "
          "is told",
          "[integration]") {
  RelayProcess relay(with_room_to_stall({"--write-timeout", "2s"}));
  auto cid = random_cid();
  auto receiver = stalled_receiver(relay, cid);
  auto sender = join(relay, cid, "sender", true);
  auto started = std::chrono::steady_clock::now();
  fill(*sender);
  auto left = sender->next_control("peer", 8s);
  auto took = std::chrono::steady_clock::now() - started;
  INFO(relay.output());
  REQUIRE(left.ok());
  INFO(left->text);
  CHECK(left->control.type == "peer");
  CHECK(left->control.event == "left");
  CHECK(took >= 1500ms);
  CHECK(took < 5s);
  CHECK(metric(relay, "qrlogin_relay_errors_total{code=\"slow_consumer\"}") == 1);
  CHECK(relay.wait_for_output("\"event\":\"write_timeout\"", 2s));
  // The receiver's socket was reset: what the kernel held for it is gone.
  bool ended = false;
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (!ended && std::chrono::steady_clock::now() < deadline) {
    char buf[65536];
    ended = ::recv(receiver.fd, buf, sizeof buf, 0) <= 0;
  }
  CHECK(ended);
  ::close(receiver.fd);
  CHECK(relay.stop() == 0);
  CHECK(no_leak_reported(relay.output()));
}

TEST_CASE("hardening: 300 addresses of one IPv6 /56 are held to the /56 cap - another network still pairs",
          "[integration]") {
  // Behind a trusted local proxy that names each client in X-Forwarded-For.
  // Channel rates and open-channel caps are raised so that only the
  // connection cap per /56 (default 256) is tested.
  RelayProcess relay({"--trust-proxy", "127.0.0.1/32", "--max-channels-per-network", "1000", "--max-channels-per-site",
                      "1000", "--network-channel-rate", "1000", "--network-channel-burst", "1000",
                      "--site-channel-rate", "1000", "--site-channel-burst", "1000"});
  auto context = std::make_shared<relay_client::Context>(1);
  std::vector<std::unique_ptr<Client>> held;
  int joined = 0;
  int refused_429 = 0;
  for (int i = 0; i < 300; ++i) {
    // 2001:db8:0:1XX::N - every /64 of 2001:db8:0:100::/56, some twice.
    char address[64];
    std::snprintf(address, sizeof address, "2001:db8:0:1%02x::%x", i % 256, i / 256 + 1);
    auto o = options_for(relay, random_cid(), "receiver");
    o.context = context;
    o.headers = {{"X-Forwarded-For", address}};
    auto c = Client::connect(o);
    if (!c) {
      if (c.http_status == 429) ++refused_429;
      continue;
    }
    auto first = c.client->next(5s);
    if (first.ok() && first->control.type == "joined") {
      ++joined;
      held.push_back(std::move(c.client));
    }
  }
  CHECK(joined == 256);
  CHECK(refused_429 == 44);
  CHECK(metric(relay, "qrlogin_relay_rejected_total{limit=\"max_connections_per_network\"}") == 44);
  // Another /56 of the same /48, and a client that is not behind the proxy.
  auto o = options_for(relay, random_cid(), "receiver");
  o.context = context;
  o.headers = {{"X-Forwarded-For", "2001:db8:0:200::1"}};
  auto other = join_with(o);
  auto cid = random_cid();
  auto ro = options_for(relay, cid, "receiver");
  ro.bind_address = "127.0.0.2";
  auto receiver = join_with(ro);
  auto so = options_for(relay, cid, "sender");
  so.bind_address = "127.0.0.2";
  auto sender = join_with(so, true);
  REQUIRE(receiver->next_control("peer").ok());
  auto hello = frame_of(0x01, 33);
  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver, hello);
}

TEST_CASE("hardening: with stdout a full pipe nobody reads, a connect flood does not stall the relay", "[integration]") {
  RelayProcess relay({"--log-level", "debug", "--log-queue-lines", "16", "--max-connections-per-address", "4"});
  relay.pause_output();
  std::vector<int> held;
  for (int i = 0; i < 4; ++i) held.push_back(raw_connect("127.0.0.1", relay.port(), "127.0.0.2"));
  // Each of these is accepted and closed at once (the address is at its
  // cap), with a line or two of log each: far more than the pipe holds.
  for (int i = 0; i < 3000; ++i) ::close(raw_connect("127.0.0.1", relay.port(), "127.0.0.2"));
  // Others still pair, at once.
  for (int i = 0; i < 3; ++i) {
    auto cid = random_cid();
    auto receiver = join(relay, cid, "receiver");
    auto sender = join(relay, cid, "sender", true);
    REQUIRE(receiver->next_control("peer", 2s).ok());
    auto hello = frame_of(0x01, 33);
    REQUIRE(sender->send(hello).ok());
    expect_binary(*receiver, hello, 2s);
  }
  const std::string refused = "qrlogin_relay_rejected_total{limit=\"max_connections_per_address\"}";
  auto deadline = std::chrono::steady_clock::now() + 5s;
  while (metric(relay, refused) < 3000 && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(50ms);
  auto m = metrics_of(relay);
  CHECK(m[refused] == 3000);
  CHECK(m["qrlogin_relay_log_lines_dropped_total"] > 0);
  CHECK(m["qrlogin_relay_log_lines_suppressed_total"] > 0);
  // Once stdout is read again, the next refusal line says how many its rate
  // limit held back.
  relay.resume_output();
  std::this_thread::sleep_for(300ms);
  ::close(raw_connect("127.0.0.1", relay.port(), "127.0.0.2"));
  CHECK(relay.wait_for_output("\"suppressed\":", 3s));
  for (int fd : held) ::close(fd);
  CHECK(relay.stop() == 0);
}

TEST_CASE("hardening: every X-Forwarded-For line counts - the rightmost untrusted entry is the client",
          "[integration]") {
  RelayProcess relay({"--channel-rate", "0.5", "--channel-burst", "1", "--trust-proxy", "127.0.0.3/32"});
  RawWebSocketOptions o;
  o.port = relay.port();
  o.target = relay_client::channel_target(random_cid(), "receiver");
  o.source = "127.0.0.3";
  o.headers = {{"X-Forwarded-For", "198.51.100.7"}, {"X-Forwarded-For", "203.0.113.9"}};
  auto ws = raw_websocket(o);
  INFO(ws.status_line);
  REQUIRE(ws);
  auto first = raw_read_frame(ws.fd);
  REQUIRE(first);
  CHECK(first->payload.find("\"type\":\"joined\"") != std::string::npos);
  auto open_as = [&](const char* client) {
    auto c = options_for(relay, random_cid(), "receiver");
    c.bind_address = "127.0.0.3";
    c.headers = {{"X-Forwarded-For", client}};
    auto r = Client::connect(c);
    REQUIRE(r);
    auto e = r.client->next(5s);
    REQUIRE(e.ok());
    return e->control.type == "error" ? e->control.code : e->control.type;
  };
  // The client was 203.0.113.9 (the second line): its one token is spent;
  // 198.51.100.7 never opened a channel.
  CHECK(open_as("203.0.113.9") == "rate_limited");
  CHECK(open_as("198.51.100.7") == "joined");
  ::close(ws.fd);
}

TEST_CASE("hardening: unsafe configurations exit 2 with what to do instead", "[integration]") {
  struct Case {
    std::vector<std::string> args;
    std::vector<std::pair<std::string, std::string>> env;
    std::string message;
  };
  const std::vector<Case> cases = {
      {{"--listen", "0.0.0.0:0"}, {}, "pass --public-url"},
      {{"--listen", "127.0.0.1:0", "--trust-proxy", "0.0.0.0/0"}, {}, "--trust-proxy-wide"},
      {{"--listen", "127.0.0.1:0", "--pong-timeout", "0.5ms"}, {}, "whole milliseconds"},
      {{"--listen", "127.0.0.1:0"}, {{"QRLOGIN_RELAY_PROFILE", "bench"}}, "only from --profile"},
      {{"--listen", "127.0.0.1:0", "--redis", "redis://qrlogin:Sekr3t@127.0.0.1:1"}, {}, "--redis-password-file"},
      {{"--listen", "127.0.0.1:0", "--max-connections", "10000000"}, {}, "open files"},
  };
  for (const auto& c : cases) {
    auto run = run_relay(c.args, c.env);
    INFO(run.output);
    CHECK(run.exit_status == 2);
    CHECK(run.output.find(c.message) != std::string::npos);
    CHECK(run.output.find("Sekr3t") == std::string::npos);
    CHECK(run.output.find("\"event\":\"listening\"") == std::string::npos);
  }
}

}  // namespace qrlogin::testing
