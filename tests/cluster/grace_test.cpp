// The resume rules of protocol.md across nodes: a client that drops and
// does not come back leaves its peer on another node `peer left` at once and
// `expired` when the grace is over; a valid token takes over a slot whose
// socket on another node still looks connected; a wrong token presented on
// a third node is refused and burns the code for both clients, as on one
// relay.
#include <signal.h>

#include "tests/cluster/cluster_helpers.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;

TEST_CASE("a client cut on node B and gone for good - its peer on node A gets peer left, then expired after the grace") {
  Cluster cluster(2, {"--grace", "1s", "--channel-lifetime", "30s"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto cid = random_cid();
  auto [receiver, sender] = join_pair(a, b, cid);

  auto cut = Clock::now();
  sender->abort();  // RST: no close frame, so the slot waits for a resume
  auto left = receiver->next_control("peer", 5s);
  REQUIRE(left.ok());
  CHECK(left->control.event == "left");
  CHECK(Clock::now() - cut < 1s);
  auto error = receiver->next_control("error", 5s);
  REQUIRE(error.ok());
  auto at = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - cut);
  INFO(error->text << " after " << at.count() << " ms");
  CHECK(error->control.code == "expired");
  CHECK(at >= 900ms);
  CHECK(at <= 2500ms);
  auto closed = receiver->wait_closed(5s);
  REQUIRE(closed.ok());
  CHECK(closed->close_code == 4404);
}

TEST_CASE("a resume with a wrong token on a third node - refused, and both paired clients get the intrusion notice") {
  Cluster cluster(3);
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto& c = cluster.node(2);
  auto cid = random_cid();
  auto [receiver, sender] = join_pair(a, b, cid);

  auto o = options_for(c, cid, "sender");
  o.resume_token = qrlogin::base64url_encode(random_bytes(32));
  o.received = 0;
  auto forged = Client::connect(o);
  REQUIRE(forged);
  expect_error_then_close(*forged.client, "expired", 4404);
  for (auto* client : {receiver.get(), sender.get()}) {
    auto notice = client->next_control("intrusion", 5s);
    REQUIRE(notice.ok());
    CHECK(notice->control.type == "intrusion");
  }
  CHECK(metric(c, "qrlogin_relay_resumes_total{result=\"refused\"}") == 1);
  CHECK(metric(c, "qrlogin_relay_intrusions_total") == 1);
  // The real slot holder is untouched: frames still flow.
  auto hello = frame_of(0x01, 65);
  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver, hello);
}

TEST_CASE("a resume on node B takes over a slot whose socket on node A still looks connected - the old one gets replaced at once") {
  Cluster cluster(2, {"--grace", "20s"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto cid = random_cid();
  auto receiver = join(b, cid, "receiver");
  auto [first, joined] = join_event(options_for(a, cid, "sender"));
  REQUIRE(receiver->next_control("peer", 5s).ok());
  auto hello = frame_of(0x01, 65);
  REQUIRE(first->send(hello).ok());
  expect_binary(*receiver, hello);

  auto o = options_for(b, cid, "sender");
  o.resume_token = joined.control.resume_token;
  o.received = 0;
  auto taken = Clock::now();
  auto second = join_with(o, true);
  // Node A is told by a wake-up; its socket ends with `replaced` 4001.
  expect_error_then_close(*first, "replaced", 4001, 2s);
  CHECK(Clock::now() - taken < 1s);
  auto back = receiver->next_control("peer", 5s);
  REQUIRE(back.ok());
  CHECK(back->control.event == "back");
  // The pairing goes on through the new socket, in both directions.
  auto ready = frame_of(0x02, 49);
  REQUIRE(receiver->send(ready).ok());
  expect_binary(*second, ready);
  auto reveal = frame_of(0x03, 49);
  REQUIRE(second->send(reveal).ok());
  expect_binary(*receiver, reveal);
  CHECK(metric(a, "qrlogin_relay_errors_total{code=\"replaced\"}") == 1);
  CHECK(metric(b, "qrlogin_relay_resumes_total{result=\"ok\"}") == 1);
}

// A node that dies (SIGKILL, a crashed host) never runs leave for its
// clients. The nodes holding their peers notice that its liveness key
// expired (--redis-node-ttl 2s here, refreshed and checked every 0.4 s, dead
// after two missed refreshes) and evict its
// slots: the peer hears `peer left`, and `expired` once the grace is over,
// long before the 8 s lifetime.
TEST_CASE("a SIGKILLed node's client that never comes back - its peer gets peer left, then expired after the grace") {
  Cluster cluster(2, {"--grace", "1s", "--channel-lifetime", "8s", "--redis-node-ttl", "2s"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto cid = random_cid();
  auto [receiver, sender] = join_pair(a, b, cid);

  auto killed = Clock::now();
  REQUIRE(b.signal(SIGKILL));
  (void)b.wait_exit(5s);
  // The sender's socket is gone with its node; the sender does not resume.
  auto event = receiver->next(5s);
  auto at = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed);
  REQUIRE(event.ok());
  INFO(event->text << " after " << at.count() << " ms");
  CHECK(event->control.type == "peer");
  CHECK(event->control.event == "left");
  auto error = receiver->next_control("error", 4s);
  at = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - killed);
  REQUIRE(error.ok());
  INFO(error->text << " after " << at.count() << " ms");
  CHECK(error->control.code == "expired");
  // Noticed within the key's TTL and a check (about 3 s), plus the 1 s grace:
  // not the 8 s lifetime.
  CHECK(at <= 5500ms);
}
