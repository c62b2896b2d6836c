// SIGTERM and SIGINT: the relay stops accepting, sends `going_away` and
// close 1001 to every WebSocket client, and exits 0 within a few seconds,
// also with a half-open HTTP connection and a client that never reads.
#include <sys/socket.h>
#include <unistd.h>

#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

namespace {

// A plain TCP connection that sends half a request and then nothing.
int half_open_http(std::uint16_t port) {
  int fd = raw_connect("127.0.0.1", port);
  const char partial[] = "GET /healthz HTTP/1.1\r\nHost: x\r\n";
  REQUIRE(::send(fd, partial, sizeof partial - 1, 0) > 0);
  return fd;
}

void shuts_down_on(int signal_number) {
  RelayProcess relay({"--close-timeout", "1s", "--handshake-timeout", "30s"});
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver", false);
  auto sender = join(relay, cid, "sender", true);
  auto other = join(relay, random_cid(), "receiver", false);
  auto o = options_for(relay, random_cid(), "receiver");
  o.read = false;  // never reads: it will not answer the close handshake
  auto deaf = Client::connect(o);
  REQUIRE(deaf);
  int fd = half_open_http(relay.port());

  auto started = std::chrono::steady_clock::now();
  relay.signal(signal_number);
  expect_error_then_close(*sender, "going_away", 1001);
  expect_error_then_close(*receiver, "going_away", 1001);
  expect_error_then_close(*other, "going_away", 1001);
  // No new connections once it is shutting down.
  auto late = connect(relay, random_cid(), "receiver");
  CHECK_FALSE(late);
  CHECK(relay.wait_exit(5s) == 0);
  auto took = std::chrono::steady_clock::now() - started;
  CHECK(took < 4s);
  ::close(fd);
  auto logs = relay.output();
  CHECK(logs.find("\"event\":\"shutdown\"") != std::string::npos);
  CHECK(logs.find("\"event\":\"stopped\"") != std::string::npos);
}

}  // namespace

TEST_CASE("signals: SIGTERM stops accepting - going_away 1001 to all - exit 0 within seconds", "[integration]") {
  shuts_down_on(SIGTERM);
}

TEST_CASE("signals: SIGINT does the same", "[integration]") { shuts_down_on(SIGINT); }

}  // namespace qrlogin::testing
