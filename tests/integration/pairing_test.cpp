// A pairing-shaped exchange through a real relay: contract-sized frames in
// both directions arrive unchanged and in order, and the channel is gone
// after the normal close. (The pairing state machines will drive this once
// they land; until then the frames are raw bytes of the contract's sizes.)
#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

namespace {
void run_pairing(RelayProcess& relay, std::size_t credential_bytes) {
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver", false);
  auto sender = join(relay, cid, "sender", true);
  auto peer = receiver->next_control("peer");
  REQUIRE(peer.ok());
  CHECK(peer->control.event == "joined");

  auto hello = frame_of(0x01, 65);
  auto ready = frame_of(0x02, 49);
  auto reveal = frame_of(0x03, 49);
  auto credential = frame_of(0x04, credential_bytes);
  auto result = frame_of(0x05, 1 + 128 + 16);  // RESULT's body is padded to 128 bytes

  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver, hello);
  REQUIRE(receiver->send(ready).ok());
  expect_binary(*sender, ready);
  REQUIRE(sender->send(reveal).ok());
  REQUIRE(sender->send(credential).ok());
  expect_binary(*receiver, reveal);
  expect_binary(*receiver, credential);
  REQUIRE(receiver->send(result).ok());
  expect_binary(*sender, result);

  // A pairing that finished closes with 1000: the channel ends at once.
  REQUIRE(receiver->close(1000).ok());
  auto left = sender->next(5s);
  REQUIRE(left.ok());
  CHECK(left->control.type == "peer");
  CHECK(left->control.event == "left");
  auto closed = sender->wait_closed();
  REQUIRE(closed.ok());
  CHECK(closed->close_code == 1000);
  CHECK(channels_empty(relay));

  // The cid is used up.
  auto again = connect(relay, cid, "receiver");
  REQUIRE(again);
  expect_error_then_close(*again.client, "expired", 4404);
}
}  // namespace

TEST_CASE("pairing: contract-sized frames are forwarded both ways - in order - unchanged", "[integration]") {
  RelayProcess relay;
  run_pairing(relay, 273);
}

TEST_CASE("pairing: the largest CREDENTIAL (65809 bytes) passes - with two relay threads", "[integration]") {
  RelayProcess relay({"--threads", "2"});
  run_pairing(relay, 65809);
}

TEST_CASE("pairing: frames sent before the peer joins are delivered when it joins - in order", "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver", false);
  auto early1 = frame_of(0x02, 49);
  auto early2 = frame_of(0x02, 100);
  REQUIRE(receiver->send(early1).ok());
  REQUIRE(receiver->send(early2).ok());
  auto sender = join(relay, cid, "sender", true);
  expect_binary(*sender, early1);
  expect_binary(*sender, early2);
}

TEST_CASE("pairing: a burst of frames keeps its order", "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver", false);
  auto sender = join(relay, cid, "sender", true);
  std::vector<Bytes> frames;
  for (int i = 0; i < 16; ++i) frames.push_back(frame_of(static_cast<std::uint8_t>(i), 10 + static_cast<std::size_t>(i)));
  for (const auto& f : frames) REQUIRE(sender->send(f).ok());
  REQUIRE(receiver->next_control("peer").ok());
  for (const auto& f : frames) expect_binary(*receiver, f);
}

TEST_CASE("pairing: a message in 1-byte fragments arrives whole", "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver", false);
  auto sender = join(relay, cid, "sender", true);
  REQUIRE(receiver->next_control("peer").ok());
  auto hello = frame_of(0x01, 65);
  REQUIRE(sender->send_fragmented(hello, 1).ok());
  expect_binary(*receiver, hello);
}

TEST_CASE("pairing: the relay answers the qrlogin.v1 subprotocol - and accepts clients without one",
          "[integration]") {
  RelayProcess relay;
  auto with = connect(relay, random_cid(), "receiver");
  REQUIRE(with);
  CHECK(with.subprotocol == "qrlogin.v1");
  auto opts = options_for(relay, random_cid(), "receiver");
  opts.subprotocols.clear();
  auto without = Client::connect(opts);
  REQUIRE(without);
  CHECK(without.subprotocol.empty());
  REQUIRE(without.client->next_control("joined").ok());
  opts = options_for(relay, random_cid(), "receiver");
  opts.subprotocols = {"chat"};
  auto other = Client::connect(opts);
  CHECK_FALSE(other);
  CHECK(other.http_status == 400);
}

TEST_CASE("pairing: SIGTERM sends going_away to every client and exits 0", "[integration]") {
  RelayProcess relay({"--close-timeout", "1s"});
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver", false);
  auto sender = join(relay, cid, "sender", true);
  relay.signal(SIGTERM);
  expect_error_then_close(*sender, "going_away", 1001);
  expect_error_then_close(*receiver, "going_away", 1001);
  CHECK(relay.stop() == 0);
}

}  // namespace qrlogin::testing
