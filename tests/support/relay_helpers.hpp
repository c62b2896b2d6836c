#pragma once
// Clients of a relay a test started (the relay client, raw sockets), its
// /healthz and /metrics, and waiting for a condition: shared by the
// integration, e2e and cluster tests.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>
#include <chrono>
#include <cstdint>
#include <map>
#include <sstream>
#include <string>
#include <thread>
#include <utility>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "cli/relay_client/client.hpp"
#include "tests/support/relay_process.hpp"

namespace qrlogin::testing {

using relay_client::Client;
using relay_client::ConnectResult;
using relay_client::Event;
using relay_client::Options;
using namespace std::chrono_literals;

inline Bytes random_bytes(std::size_t n) {
  Bytes out(n);
  system_rng().fill(out);
  return out;
}

inline std::string random_cid() { return base64url_encode(random_bytes(16)); }

// A frame of a contract size whose first byte is the message type.
inline Bytes frame_of(std::uint8_t type, std::size_t size) {
  auto out = random_bytes(size);
  out[0] = type;
  return out;
}

// Polls `pred()` every 20 ms until it holds; false after `timeout`.
template <class Pred>
bool wait_until(Pred pred, std::chrono::milliseconds timeout = 5s) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    if (pred()) return true;
    if (std::chrono::steady_clock::now() >= deadline) return false;
    std::this_thread::sleep_for(20ms);
  }
}

inline Options options_for(const RelayProcess& relay, const std::string& cid, const std::string& role) {
  Options o;
  o.port = relay.port();
  o.cid = cid;
  o.role = role;
  return o;
}

inline ConnectResult connect(const RelayProcess& relay, const std::string& cid, const std::string& role) {
  return Client::connect(options_for(relay, cid, role));
}

// Connects with `options` and expects `joined` (its resume token, peer
// flag...); returns the client and that event.
inline std::pair<std::unique_ptr<Client>, Event> join_event(const Options& options) {
  auto c = Client::connect(options);
  INFO(c.error);
  REQUIRE(c);
  auto joined = c.client->next(5s);
  REQUIRE(joined.ok());
  INFO(joined->text);
  REQUIRE(joined->kind == Event::Kind::control);
  REQUIRE(joined->control.type == "joined");
  return {std::move(c.client), std::move(*joined)};
}

// Connects with `options` and expects `joined`; returns the client.
inline std::unique_ptr<Client> join_with(const Options& options, bool expect_peer = false) {
  auto [client, joined] = join_event(options);
  REQUIRE(joined.control.peer == expect_peer);
  return std::move(client);
}

inline std::unique_ptr<Client> join(const RelayProcess& relay, const std::string& cid, const std::string& role,
                                    bool expect_peer = false) {
  return join_with(options_for(relay, cid, role), expect_peer);
}

// A receiver on `r` and a sender on `s` for `cid`, the receiver told that
// its peer is there.
inline std::pair<std::unique_ptr<Client>, std::unique_ptr<Client>> join_pair(const RelayProcess& r,
                                                                            const RelayProcess& s,
                                                                            const std::string& cid) {
  auto receiver = join(r, cid, "receiver");
  auto sender = join(s, cid, "sender", true);
  REQUIRE(receiver->next_control("peer", 5s).ok());
  return {std::move(receiver), std::move(sender)};
}

// The refusal after an upgrade: one `error` with `code`, then the close.
inline void expect_error_then_close(Client& client, const std::string& code, std::uint16_t close_code,
                                    std::chrono::milliseconds timeout = 5s) {
  auto error = client.next_control("error", timeout);
  REQUIRE(error.ok());
  INFO(error->text << " close=" << error->close_code << " " << error->close_reason);
  REQUIRE(error->kind == Event::Kind::control);
  CHECK(error->control.code == code);
  CHECK(!error->control.message.empty());
  // Contract rev. 3: every error says whether to resume, as its code does.
  for (std::size_t i = 0; i < relay::kCodeCount; ++i) {
    auto known = static_cast<relay::Code>(i);
    if (relay::code_name(known) == code) CHECK(error->control.resume == std::optional<bool>(relay::code_resumable(known)));
  }
  auto closed = client.wait_closed(timeout);
  REQUIRE(closed.ok());
  CHECK(closed->close_code == close_code);
}

inline void expect_binary(Client& client, const Bytes& expected, std::chrono::milliseconds timeout = 5s) {
  auto event = client.next(timeout);
  REQUIRE(event.ok());
  INFO(event->text);
  REQUIRE(event->kind == Event::Kind::binary);
  CHECK(event->bytes == expected);
}

inline nlohmann::json healthz(const RelayProcess& relay) {
  relay_client::HttpRequest req;
  req.port = relay.port();
  req.target = "/healthz";
  auto res = relay_client::http_request(req);
  REQUIRE(res.ok());
  REQUIRE(res->status == 200);
  return nlohmann::json::parse(res->body);
}

inline std::string get_metrics(std::uint16_t port, const std::string& target = "/metrics", int expect_status = 200) {
  relay_client::HttpRequest req;
  req.port = port;
  req.target = target;
  auto res = relay_client::http_request(req);
  REQUIRE(res.ok());
  REQUIRE(res->status == expect_status);
  if (expect_status == 200) CHECK(res->header("Content-Type").starts_with("text/plain; version=0.0.4"));
  return res->body;
}

// Series name (with labels) -> value.
inline std::map<std::string, double> series_of(const std::string& text) {
  std::map<std::string, double> out;
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    auto space = line.rfind(' ');
    REQUIRE(space != std::string::npos);
    out[line.substr(0, space)] = std::stod(line.substr(space + 1));
  }
  return out;
}

inline std::map<std::string, double> metrics_of(const RelayProcess& relay) {
  REQUIRE(relay.metrics_port() != 0);
  return series_of(get_metrics(relay.metrics_port()));
}

// The relay's gauges from /metrics (the public /healthz says only ok or
// not): {"connections", "channels", "buffered_bytes"}. The metrics listener's
// own connection is not among the connections.
inline nlohmann::json gauges(const RelayProcess& relay) {
  auto m = metrics_of(relay);
  return {{"connections", m["qrlogin_relay_connections"]},
          {"channels", m["qrlogin_relay_channels"]},
          {"buffered_bytes", m["qrlogin_relay_buffered_bytes"]}};
}

// Polls the gauges until `pred` holds or the timeout passes.
template <class Pred>
bool eventually(const RelayProcess& relay, Pred pred, std::chrono::milliseconds timeout = 5s) {
  return wait_until([&] { return pred(gauges(relay)); }, timeout);
}

inline bool channels_empty(const RelayProcess& relay) {
  return eventually(relay, [](const nlohmann::json& g) {
    return g["channels"] == 0 && g["buffered_bytes"] == 0 && g["connections"] == 0;
  });
}

// A plain TCP socket to the relay, for bytes no client library would send.
inline int raw_connect(const char* host, std::uint16_t port, const char* source = nullptr) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  if (source) {
    sockaddr_in local{};
    local.sin_family = AF_INET;
    inet_pton(AF_INET, source, &local.sin_addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&local), sizeof local) == 0);
  }
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  inet_pton(AF_INET, host, &addr.sin_addr);
  REQUIRE(::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
  return fd;
}

// True once the relay has closed `fd` (EOF or reset) within `limit`;
// whatever it sends first (a TLS alert, an HTTP answer) is read and dropped.
inline bool closed_within(int fd, std::chrono::milliseconds limit) {
  auto deadline = std::chrono::steady_clock::now() + limit;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd p{fd, POLLIN, 0};
    if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) continue;
    char buf[512];
    if (::recv(fd, buf, sizeof buf, 0) <= 0) return true;
  }
}

}  // namespace qrlogin::testing
