// A channel's limits hold for the channel, not for the node: the frames of
// both directions count together wherever they were sent, and the lifetime
// ends both clients on their different nodes. The cap on open channels is
// the cluster's.
#include "tests/cluster/cluster_helpers.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;

TEST_CASE("the frame limit (--max-frames-per-channel) counts the frames of both nodes") {
  Cluster cluster(2, {"--max-frames-per-channel", "3"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto cid = random_cid();
  auto [receiver, sender] = join_pair(a, b, cid);

  // Two frames through A, one through B: the channel's three.
  auto r0 = frame_of(0x02, 49);
  auto r1 = frame_of(0x05, 30);
  auto s0 = frame_of(0x01, 65);
  REQUIRE(receiver->send(r0).ok());
  REQUIRE(receiver->send(r1).ok());
  expect_binary(*sender, r0);
  expect_binary(*sender, r1);
  REQUIRE(sender->send(s0).ok());
  expect_binary(*receiver, s0);

  // B has taken one frame of this channel itself; a per-node count would let
  // the next one through.
  REQUIRE(sender->send(frame_of(0x03, 49)).ok());
  expect_error_then_close(*sender, "too_large", 4413);
  CHECK(metric(b, "qrlogin_relay_rejected_total{limit=\"channel_budget\"}") == 1);
  CHECK(settled(b, "qrlogin_relay_frames_forwarded_total", 1) == 1);
  CHECK(settled(a, "qrlogin_relay_frames_forwarded_total", 2) == 2);
  // The refused frame never reached the receiver.
  std::vector<std::string> controls;
  CHECK(frames_within(*receiver, 500ms, &controls).empty());
}

TEST_CASE("a channel lifetime of 2 s ends both clients, on different nodes, with expired at about 2 s") {
  Cluster cluster(2, {"--channel-lifetime", "2s", "--grace", "1s"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto cid = random_cid();
  auto opened = Clock::now();
  auto [receiver, sender] = join_pair(a, b, cid);
  auto hello = frame_of(0x01, 65);
  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver, hello);

  for (auto* client : {receiver.get(), sender.get()}) {
    auto error = client->next_control("error", 5s);
    REQUIRE(error.ok());
    auto at = std::chrono::duration_cast<std::chrono::milliseconds>(Clock::now() - opened);
    INFO(error->text << " after " << at.count() << " ms");
    CHECK(error->control.code == "expired");
    CHECK(at >= 1900ms);
    CHECK(at <= 3500ms);
    auto closed = client->wait_closed(5s);
    REQUIRE(closed.ok());
    CHECK(closed->close_code == 4404);
  }
  // The cid is used up everywhere: a new receiver for it on either node is refused.
  for (auto* n : {&a, &b}) {
    auto again = connect(*n, cid, "receiver");
    REQUIRE(again);
    expect_error_then_close(*again.client, "expired", 4404);
  }
}

TEST_CASE("the channel cap (--max-channels) holds for the whole cluster, and a normal close frees the place on any node") {
  Cluster cluster(2, {"--max-channels", "1"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto first = random_cid();
  auto receiver = join(a, first, "receiver");
  auto sender = join(b, first, "sender", true);

  // B has no channel of its own, but the cluster is full.
  auto refused = connect(b, random_cid(), "receiver");
  REQUIRE(refused);
  expect_error_then_close(*refused.client, "unavailable", 1013);
  CHECK(metric(b, "qrlogin_relay_rejected_total{limit=\"capacity\"}") == 1);

  // The pairing ends normally on A; the place is free for a receiver on B.
  REQUIRE(receiver->close(1000).ok());
  REQUIRE(receiver->wait_closed(5s).ok());
  REQUIRE(sender->wait_closed(5s).ok());
  CHECK(wait_until([&] {
    auto next = Client::connect(options_for(b, random_cid(), "receiver"));
    if (!next) return false;
    auto joined = next.client->next(5s);
    return joined.ok() && joined->control.type == "joined";
  }));
}

// A channel whose clients dropped counts against --max-channels only until
// its grace can end it (an abnormal leave moves its end in {global}:open;
// a resume moves it back), as on one relay: here a new receiver is taken
// about 1 s after both clients were cut, not at the 8 s lifetime.
TEST_CASE("a channel that ended after its grace frees its --max-channels place") {
  Cluster cluster(2, {"--max-channels", "1", "--grace", "1s", "--channel-lifetime", "8s"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto cid = random_cid();
  auto receiver = join(a, cid, "receiver");
  auto sender = join(b, cid, "sender", true);
  // Both devices lose their network and never come back.
  receiver->abort();
  sender->abort();
  // After the grace (1 s) the channel is over; allow a sweep and a margin.
  CHECK(wait_until(
      [&] {
        auto next = Client::connect(options_for(b, random_cid(), "receiver"));
        if (!next) return false;
        auto joined = next.client->next(5s);
        return joined.ok() && joined->control.type == "joined";
      },
      3s));
}
