// Two clients of one channel on different relay nodes: the real CLI pairs
// across nodes, and a third client on a third node is refused and burns the
// code for both, exactly as on one relay.
#include "tests/cluster/cluster_helpers.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;

TEST_CASE("a receiver on node A and a sender on node B pair with the real CLI") {
  Cluster cluster(2);
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  std::string credential = "a session token \xc3\xa9 across nodes\n";
  pair_with_cli(a.port(), b.port(), credential);

  // Each frame was accepted once, by the node of the client that sent it:
  // HELLO, REVEAL, CREDENTIAL on B; READY, RESULT on A (protocol.md, End-to-end messages).
  const std::vector<const RelayProcess*> both{&a, &b};
  CHECK(wait_until([&] { return metric_sum(both, "qrlogin_relay_pairings_completed_total") == 1; }));
  CHECK(settled(a, "qrlogin_relay_frames_forwarded_total", 2) == 2);
  CHECK(settled(b, "qrlogin_relay_frames_forwarded_total", 3) == 3);
  CHECK(metric_sum(both, "qrlogin_relay_frames_forwarded_total") == 5);
  CHECK(metric_sum(both, "qrlogin_relay_pairings_completed_total") == 1);
  CHECK(metric_sum(both, "qrlogin_relay_resumes_total{result=\"ok\"}") == 0);
  CHECK(metric_sum(both, "qrlogin_relay_intrusions_total") == 0);
  CHECK(metric_sum(both, "qrlogin_relay_fenced_total") == 0);
  CHECK(metric(a, "qrlogin_relay_redis_up") == 1);
  CHECK(metric(b, "qrlogin_relay_redis_up") == 1);
  // The channel is over: neither node holds a slot of it any more.
  CHECK(wait_until([&] { return metric_sum(both, "qrlogin_relay_channels") == 0; }));
}

TEST_CASE("a third client on a third node gets channel_full, both paired clients get one intrusion notice") {
  Cluster cluster(3);
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto& c = cluster.node(2);
  auto cid = random_cid();
  auto receiver = join(a, cid, "receiver");
  auto sender = join(b, cid, "sender", /*expect_peer=*/true);
  auto joined = receiver->next_control("peer", 5s);
  REQUIRE(joined.ok());
  CHECK(joined->control.event == "joined");

  // Paired: a frame each way, across the nodes.
  auto hello = frame_of(0x01, 65);
  auto ready = frame_of(0x02, 49);
  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver, hello);
  REQUIRE(receiver->send(ready).ok());
  expect_binary(*sender, ready);

  // Someone else holds the QR code: a second sender on C.
  auto third = connect(c, cid, "sender");
  REQUIRE(third);
  expect_error_then_close(*third.client, "channel_full", 4409);

  // Each paired client hears of it once, from its own node.
  auto notice_r = receiver->next_control("intrusion", 5s);
  REQUIRE(notice_r.ok());
  CHECK(notice_r->control.type == "intrusion");
  auto notice_s = sender->next_control("intrusion", 5s);
  REQUIRE(notice_s.ok());
  CHECK(notice_s->control.type == "intrusion");

  // A fourth client (a second receiver, on A, where the first one is) is
  // refused too, and the notice is not sent a second time.
  auto fourth = connect(a, cid, "receiver");
  REQUIRE(fourth);
  expect_error_then_close(*fourth.client, "channel_full", 4409);
  std::vector<std::string> seen_r, seen_s;
  (void)frames_within(*receiver, 700ms, &seen_r);
  (void)frames_within(*sender, 100ms, &seen_s);
  for (const auto& text : seen_r) CHECK(text.find("intrusion") == std::string::npos);
  for (const auto& text : seen_s) CHECK(text.find("intrusion") == std::string::npos);

  // The refusals were counted where they happened.
  CHECK(metric(c, "qrlogin_relay_intrusions_total") == 1);
  CHECK(metric(c, "qrlogin_relay_errors_total{code=\"channel_full\"}") == 1);
  CHECK(metric(a, "qrlogin_relay_intrusions_total") == 1);
  CHECK(metric(a, "qrlogin_relay_errors_total{code=\"channel_full\"}") == 1);
  CHECK(metric(b, "qrlogin_relay_intrusions_total") == 0);
  // The pairing itself is untouched by the refusals: frames still flow.
  auto reveal = frame_of(0x03, 49);
  REQUIRE(sender->send(reveal).ok());
  expect_binary(*receiver, reveal);
}

TEST_CASE("the real CLI reports the intrusion when a third client joins on another node") {
  Cluster cluster(3);
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto& c = cluster.node(2);
  Dir dir;
  dir.write("cred", "token");
  auto receive = cluster_receive(a.port(), dir);
  auto link = wait_link(*receive);
  auto send = cluster_send(with_port(link, a.port(), b.port()), dir);
  require_output(*send, "\"event\":\"waiting_confirmation\"", "the sender");
  require_output(*receive, "\"event\":\"sas\"", "the receiver");

  // A third device opens the same code on node C before the user confirms.
  auto other = start_send(with_port(link, a.port(), c.port()), dir, {"--timeout", "10"});
  auto other_exit = exit_of(*other);
  INFO("third: " << printed(*other));
  CHECK(other_exit == 7);
  CHECK(other->json_field("error", "code") == "channel_full");

  // Both paired CLIs stop: the code is burnt; nothing was written or sent.
  auto sent = exit_of(*send);
  auto received = exit_of(*receive);
  INFO("sender: " << printed(*send));
  INFO("receiver: " << printed(*receive));
  CHECK(send->count_events("intrusion") == 1);
  CHECK(receive->count_events("intrusion") == 1);
  CHECK(sent == 7);
  CHECK(received == 7);
  CHECK_FALSE(dir.exists("out"));
}
