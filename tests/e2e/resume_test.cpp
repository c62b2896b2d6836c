// qrlogin receive / send when the network drops under them: a proxy between
// one CLI and the relay resets its connection (RST, no close frame) at an
// exact point of the WebSocket stream, with a frame half sent; the CLI
// reconnects through the proxy with its resume token and `received=N`, and
// the pairing completes with every frame delivered exactly once. Past the
// grace period the resume is refused and the CLI says the code expired.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <map>
#include <sstream>

#include "tests/support/cli_runs.hpp"
#include "tests/support/cut_proxy.hpp"
#include "tests/support/relay_helpers.hpp"

using namespace qrlogin::testing;
using Direction = CutProxy::Direction;
using Dir = ScratchDir;
using namespace std::chrono_literals;

namespace {

// What a cut CLI and the relay must show afterwards: one outage, one
// resume, and the relay forwarded each of the pairing's five frames
// (HELLO, READY, REVEAL, CREDENTIAL, RESULT) exactly once.
void check_exactly_once(const RelayProcess& relay, CliProcess& cut, const std::string& relay_received,
                        const std::string& resent) {
  CHECK(cut.count_events("reconnecting") == 1);
  CHECK(cut.count_events("reconnected") == 1);
  CHECK(cut.json_field("reconnected", "relay_received") == relay_received);
  CHECK(cut.json_field("reconnected", "resent") == resent);
  CHECK(cut.err().find("Connection to the relay lost; reconnecting...") != std::string::npos);
  CHECK(cut.err().find("Reconnected to the relay.") != std::string::npos);
  auto m = metrics_of(relay);
  CHECK(m["qrlogin_relay_frames_forwarded_total"] == 5);
  CHECK(m["qrlogin_relay_resumes_total{result=\"ok\"}"] == 1);
  CHECK(m["qrlogin_relay_resumes_total{result=\"refused\"}"] == 0);
  CHECK(m["qrlogin_relay_intrusions_total"] == 0);
  CHECK(m["qrlogin_relay_pairings_completed_total"] == 1);
}

// Nothing secret on any line a CLI printed: no credential, no token, no
// link fragment in its reconnect lines.
void check_quiet(CliProcess& p, const std::string& credential) {
  CHECK(p.out().find(credential) == std::string::npos);
  CHECK(p.err().find(credential) == std::string::npos);
  CHECK(p.out().find("resume_token") == std::string::npos);
  CHECK(p.err().find("qrlogin.resume") == std::string::npos);
}

enum class Side { sender, receiver };

// One cut of one side's connection, and what the pairing must show after it.
struct CutCase {
  const char* name;
  Direction direction;
  int message;          // binary message on the cut side's first connection; -1: cut
                        // by hand while the receiver still waits for a sender
  std::size_t bytes;    // of its payload passed before the cut
  bool before_confirm;  // the resume completes before the user's answer
  const char* relay_received;
  const char* resent;
  const char* received;
};

// `cut` side's CLI reaches the relay through the proxy, the other straight;
// the proxy resets the connection once, and the pairing still completes
// with every frame delivered exactly once.
void cut_and_complete(Side cut, const CutCase& c, const std::string& credential) {
  INFO(c.name);
  const bool receiver_cut = cut == Side::receiver;
  RelayProcess relay({"--grace", "20s"});
  CutProxy proxy(relay.port());
  Dir dir;
  dir.write("cred", credential);
  auto receive = start_receive(receiver_cut ? proxy.port() : relay.port(), dir, {"--qr", "none", "--yes"});
  auto link = receiver_cut ? with_port(wait_link(*receive), proxy.port(), relay.port())
                           : with_port(wait_link(*receive), relay.port(), proxy.port());
  if (c.message < 0) {
    proxy.cut_now();
    REQUIRE(receive->wait_for("\"event\":\"reconnected\"", kCliWait));
  } else {
    proxy.cut_at(c.direction, c.message, c.bytes);
  }
  auto send = start_send(link, dir, {"--label", "CI phone"});
  CliProcess& cut_side = receiver_cut ? *receive : *send;
  CliProcess& other_side = receiver_cut ? *send : *receive;
  if (c.before_confirm) {
    REQUIRE(proxy.wait_cuts(1, kCliWait));
    REQUIRE(cut_side.wait_for("\"event\":\"reconnected\"", kCliWait));
  }
  REQUIRE(send->wait_for("\"event\":\"sas\"", kCliWait));
  REQUIRE(receive->wait_for("\"event\":\"sas\"", kCliWait));
  CHECK(send->json_field("sas", "sas") == receive->json_field("sas", "sas"));
  send->write_stdin("y\n");
  CHECK(exit_of(*send) == 0);
  CHECK(exit_of(*receive) == 0);
  CHECK(proxy.cuts() == 1);
  INFO((receiver_cut ? "receiver: " : "sender: ") << cut_side.out() << cut_side.err());
  check_written(dir, credential);
  check_exactly_once(relay, cut_side, c.relay_received, c.resent);
  CHECK(cut_side.json_field("reconnected", "received") == c.received);
  CHECK(receive->count_events("link") == 1);  // the same code all along
  CHECK(other_side.count_events("reconnecting") == 0);
  if (!receiver_cut) {
    // The receiver saw the sender go and come back.
    CHECK(receive->out().find("\"peer\":\"left\"") != std::string::npos);
    CHECK(receive->out().find("\"peer\":\"back\"") != std::string::npos);
  }
  check_quiet(cut_side, credential);
}

}  // namespace

TEST_CASE("resume: the sender's connection is cut mid-pairing (RST, a frame in flight) - the pairing completes") {
  // HELLO (0) and REVEAL (1) go up, READY (0) comes down, then CREDENTIAL (2) goes up.
  for (auto c : {CutCase{"REVEAL half sent", Direction::to_relay, 1, 20, true, "1", "1", "1"},
                 CutCase{"READY half received", Direction::to_client, 0, 10, true, "1", "0", "0"},
                 CutCase{"CREDENTIAL half sent", Direction::to_relay, 2, 100, false, "2", "1", "1"}})
    cut_and_complete(Side::sender, c, "a session token \xc3\xa9\n");
}

TEST_CASE("resume: the receiver's connection is cut, before and during the pairing - the pairing completes") {
  // READY (0) and RESULT (1) go up; HELLO (0), REVEAL (1), CREDENTIAL (2) come down.
  for (auto c : {CutCase{"waiting for a sender", Direction::to_relay, -1, 0, false, "0", "0", "0"},
                 CutCase{"READY half sent", Direction::to_relay, 0, 20, false, "0", "1", "1"},
                 CutCase{"CREDENTIAL half received", Direction::to_client, 2, 100, false, "1", "0", "2"}})
    cut_and_complete(Side::receiver, c, "{\"not\": \"json to the receiver, just text\"}");
}

TEST_CASE("resume: a cut after the codes were shown that outlasts the grace period is a possible attack (exit 6, expired the detail) on both sides, no file") {
  RelayProcess relay({"--grace", "1s", "--channel-lifetime", "60s"});
  CutProxy proxy(relay.port());
  Dir dir;
  dir.write("cred", "token");
  auto receive = start_receive(relay.port(), dir, {"--qr", "none", "--yes"});
  auto link = wait_link(*receive);
  auto send = start_send(with_port(link, relay.port(), proxy.port()), dir, {"--label", "CI phone"});
  REQUIRE(send->wait_for("\"event\":\"sas\"", kCliWait));
  REQUIRE(receive->wait_for("\"event\":\"sas\"", kCliWait));
  // The network goes away and stays away past the grace.
  proxy.set_down(true);
  proxy.cut_now();
  REQUIRE(send->wait_for("\"event\":\"reconnecting\"", kCliWait));
  // The relay ended the channel after the grace; after READY that is shown
  // as a possible attack, expired the detail (rev. 3).
  CHECK(exit_of(*receive) == 6);
  CHECK(receive->json_field("error", "code") == "possible_attack");
  CHECK(receive->json_field("error", "message").find("(expired)") != std::string::npos);
  REQUIRE(proxy.refused_while_down() >= 1);  // the sender kept trying
  proxy.set_down(false);
  CHECK(exit_of(*send) == 6);  // its resume is refused: expired
  CHECK(send->json_field("error", "code") == "possible_attack");
  CHECK(send->err().find("(expired)") != std::string::npos);
  CHECK(send->err().find("lost for too long") != std::string::npos);
  CHECK(send->count_events("reconnected") == 0);
  CHECK_FALSE(dir.exists("out"));
  auto m = metrics_of(relay);
  CHECK(m["qrlogin_relay_resumes_total{result=\"refused\"}"] == 1);
  CHECK(m["qrlogin_relay_intrusions_total"] == 0);  // a late token is not an intrusion
}

TEST_CASE("resume: a relay that stays unreachable until the code's lifetime ends is a network error (exit 5)") {
  RelayProcess relay({"--grace", "20s", "--channel-lifetime", "4s"});
  CutProxy proxy(relay.port());
  Dir dir;
  dir.write("cred", "token");
  auto receive = start_receive(proxy.port(), dir, {"--qr", "none", "--yes", "--timeout", "30"});
  (void)wait_link(*receive);
  proxy.set_down(true);
  proxy.cut_now();
  REQUIRE(receive->wait_for("\"event\":\"reconnecting\"", kCliWait));
  CHECK(exit_of(*receive) == 5);
  CHECK(receive->json_field("error", "code") == "connection_lost");
  CHECK(receive->err().find("could not be restored") != std::string::npos);
  CHECK(proxy.refused_while_down() >= 2);  // after 250 ms, 500 ms, 1 s, ...
  CHECK_FALSE(dir.exists("out"));
}
