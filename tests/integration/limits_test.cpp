// Caps, rates and timeouts: only the abusive address is limited, forged
// X-Forwarded-For changes nothing, a slow reader cannot make the relay hold
// memory, and misbehaving sockets are closed on time.
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

namespace {
ConnectResult connect_from(const RelayProcess& relay, const std::string& cid, const std::string& role,
                           const std::string& source,
                           std::vector<std::pair<std::string, std::string>> headers = {}) {
  auto o = options_for(relay, cid, role);
  o.bind_address = source;
  o.headers = std::move(headers);
  return Client::connect(o);
}

// Opens a receiver channel from `source`; returns the first control message's code ("joined" or the error's).
std::string open_channel(const RelayProcess& relay, const std::string& source,
                         std::vector<std::pair<std::string, std::string>> headers = {},
                         std::vector<std::unique_ptr<Client>>* keep = nullptr) {
  auto c = connect_from(relay, random_cid(), "receiver", source, std::move(headers));
  if (!c) return "connect failed: " + c.error;
  auto first = c.client->next(5s);
  if (!first.ok()) return "no answer";
  std::string what = first->control.type == "error" ? first->control.code : first->control.type;
  if (keep) keep->push_back(std::move(c.client));
  return what;
}
}  // namespace

TEST_CASE("limits: new channels per address are rate limited (4429) for that address only", "[integration]") {
  RelayProcess relay({"--channel-rate", "0.5", "--channel-burst", "3"});
  for (int i = 0; i < 3; ++i) CHECK(open_channel(relay, "127.0.0.2") == "joined");
  auto c = connect_from(relay, random_cid(), "receiver", "127.0.0.2");
  REQUIRE(c);
  expect_error_then_close(*c.client, "rate_limited", 4429);
  // A forged X-Forwarded-For from an untrusted peer changes nothing.
  CHECK(open_channel(relay, "127.0.0.2", {{"X-Forwarded-For", "198.51.100.7"}}) == "rate_limited");
  // The other address is untouched.
  for (int i = 0; i < 3; ++i) CHECK(open_channel(relay, "127.0.0.1") == "joined");
}

TEST_CASE("limits: behind a trusted proxy - X-Forwarded-For names the client", "[integration]") {
  RelayProcess relay({"--channel-rate", "0.5", "--channel-burst", "1", "--trust-proxy", "127.0.0.3/32"});
  CHECK(open_channel(relay, "127.0.0.3", {{"X-Forwarded-For", "198.51.100.7"}}) == "joined");
  CHECK(open_channel(relay, "127.0.0.3", {{"X-Forwarded-For", "198.51.100.7"}}) == "rate_limited");
  CHECK(open_channel(relay, "127.0.0.3", {{"X-Forwarded-For", "198.51.100.8, 127.0.0.3"}}) == "joined");
  // An untrusted peer's header is still ignored.
  CHECK(open_channel(relay, "127.0.0.2", {{"X-Forwarded-For", "198.51.100.9"}}) == "joined");
  CHECK(open_channel(relay, "127.0.0.2", {{"X-Forwarded-For", "198.51.100.10"}}) == "rate_limited");
}

TEST_CASE("limits: the global channel rate applies to every address", "[integration]") {
  RelayProcess relay({"--global-channel-rate", "0.5", "--global-channel-burst", "2"});
  CHECK(open_channel(relay, "127.0.0.2") == "joined");
  CHECK(open_channel(relay, "127.0.0.1") == "joined");
  CHECK(open_channel(relay, "127.0.0.1") == "rate_limited");
}

TEST_CASE("limits: connections per address are capped at accept for that address only", "[integration]") {
  RelayProcess relay({"--max-connections-per-address", "4"});
  std::vector<std::unique_ptr<Client>> held;
  for (int i = 0; i < 4; ++i) REQUIRE(open_channel(relay, "127.0.0.2", {}, &held) == "joined");
  auto refused = connect_from(relay, random_cid(), "receiver", "127.0.0.2", {{"X-Forwarded-For", "198.51.100.7"}});
  CHECK_FALSE(refused);
  CHECK(refused.http_status == 0);  // closed at accept, no HTTP answer
  CHECK(open_channel(relay, "127.0.0.1") == "joined");
  CHECK(relay.wait_for_output("max_connections_per_address", 2s));
  held.pop_back();  // a slot frees up
  std::this_thread::sleep_for(200ms);
  CHECK(open_channel(relay, "127.0.0.2") == "joined");
}

TEST_CASE("limits: global caps on connections and channels answer unavailable", "[integration]") {
  RelayProcess relay({"--max-channels", "2", "--max-connections", "6"});
  std::vector<std::unique_ptr<Client>> held;
  REQUIRE(open_channel(relay, "127.0.0.1", {}, &held) == "joined");
  REQUIRE(open_channel(relay, "127.0.0.2", {}, &held) == "joined");
  auto c = connect_from(relay, random_cid(), "receiver", "127.0.0.2");
  REQUIRE(c);
  expect_error_then_close(*c.client, "unavailable", 1013);
  // Two WebSocket clients; raw sockets fill the rest.
  REQUIRE(eventually(relay, [](const nlohmann::json& g) { return g["connections"] == 2; }));
  std::vector<int> raw;
  for (int i = 0; i < 4; ++i) raw.push_back(raw_connect("127.0.0.1", relay.port()));
  std::this_thread::sleep_for(200ms);
  auto over = connect_from(relay, random_cid(), "receiver", "127.0.0.2");
  CHECK_FALSE(over);
  for (int fd : raw) close(fd);
  CHECK(relay.wait_for_output("\"limit\":\"max_connections\"", 2s));
}

TEST_CASE("limits: a slow reader cannot make the relay hold memory (flood > 64 MB)", "[integration]") {
  // The bench profile lifts the frame count, so only the byte budget stops the flood.
  // Under AddressSanitizer freed memory sits in a quarantine (256 MB by
  // default) and would count as RSS; keep it small so RSS means live memory.
  std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
  RelayProcess relay({"--profile", "bench", "--close-timeout", "1s", "--grace", "1s"},
                     {{"ASAN_OPTIONS", asan + (asan.empty() ? "" : ":") + "quarantine_size_mb=4"}});
  auto cid = random_cid();
  auto ro = options_for(relay, cid, "receiver");
  ro.read = false;                 // never reads
  ro.receive_buffer_bytes = 4096;
  auto receiver = Client::connect(ro);
  REQUIRE(receiver);
  auto sender = join(relay, cid, "sender", true);
  auto rss_before = relay.rss_kib();

  auto frame = frame_of(0x04, 65809);
  std::size_t sent = 0;
  constexpr std::size_t kFlood = 70u * 1024 * 1024;
  while (sent < kFlood) {
    if (!sender->send(frame, 3s).ok()) break;
    sent += frame.size();
    if (sender->closed()) break;
  }
  INFO("sent " << sent << " bytes before the relay stopped the flood");
  CHECK(sent < kFlood);
  expect_error_then_close(*sender, "too_large", 4413, 10s);
  auto rss_after = relay.rss_kib();
  INFO("relay RSS " << rss_before << " KiB -> " << rss_after << " KiB");
  // Far less than the flood: the relay holds at most the channel's budget
  // (plus allocator caches, which AddressSanitizer builds inflate).
  CHECK(rss_after < rss_before + 48 * 1024);
  // The reader was closed too (slow_consumer, or cut after the close timeout).
  receiver.client->start_reading();
  auto closed = receiver.client->wait_closed(10s);
  REQUIRE(closed.ok());
  CHECK(channels_empty(relay));
}

TEST_CASE("limits: more than 5 control frames a second is bad_request (1008)", "[integration]") {
  RelayProcess relay;
  auto c = join(relay, random_cid(), "receiver");
  for (int i = 0; i < 10; ++i) (void)c->ping(1s);
  expect_error_then_close(*c, "bad_request", 1008);
}

TEST_CASE("limits: a fragmented message that does not complete in time is bad_request (1008)", "[integration]") {
  RelayProcess relay({"--fragment-timeout", "1s"});
  auto c = join(relay, random_cid(), "receiver");
  REQUIRE(c->send_fragment(frame_of(0x01, 10), false).ok());
  expect_error_then_close(*c, "bad_request", 1008, 4s);
}

TEST_CASE("limits: a client that never answers pings is cut - one that does stays", "[integration]") {
  RelayProcess relay({"--ping-interval", "1s", "--pong-timeout", "1s", "--grace", "1s"});
  auto silent_opts = options_for(relay, random_cid(), "receiver");
  silent_opts.read = false;  // Beast answers pings only while reading
  auto silent = Client::connect(silent_opts);
  REQUIRE(silent);
  auto lively = join(relay, random_cid(), "receiver");
  std::this_thread::sleep_for(3500ms);
  CHECK(lively->try_next() == std::nullopt);
  CHECK_FALSE(lively->closed());
  silent.client->start_reading();
  auto closed = silent.client->wait_closed(3s);
  REQUIRE(closed.ok());
  CHECK(eventually(relay, [](const nlohmann::json& h) { return h["channels"] == 1; }));
}

TEST_CASE("limits: a connection that never completes its request is closed after the handshake timeout",
          "[integration]") {
  RelayProcess relay({"--handshake-timeout", "1s"});
  int fd = raw_connect("127.0.0.1", relay.port());
  const char partial[] = "GET /v1/channels/";
  REQUIRE(write(fd, partial, sizeof partial - 1) > 0);
  timeval tv{4, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  auto started = std::chrono::steady_clock::now();
  char buf[64];
  auto n = read(fd, buf, sizeof buf);
  auto took = std::chrono::steady_clock::now() - started;
  close(fd);
  CHECK(n <= 0);
  CHECK(took < 3s);
  // The relay is healthy and another client still pairs.
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver");
  auto sender = join(relay, cid, "sender", true);
}

TEST_CASE("limits: request headers over the limit get 431", "[integration]") {
  RelayProcess relay;
  relay_client::HttpRequest req;
  req.port = relay.port();
  req.target = "/healthz";
  req.headers = {{"X-Padding", std::string(9000, 'a')}};
  auto res = relay_client::http_request(req);
  REQUIRE(res.ok());
  CHECK(res->status == 431);
}

}  // namespace qrlogin::testing
