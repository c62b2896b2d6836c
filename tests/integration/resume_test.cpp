// Resume, both directions, through a real relay: sockets cut with an RST
// (SO_LINGER 0) while frames are in flight both ways; the clients come back
// with their tokens and `received=N`, and every frame arrives exactly once,
// in order. Then the refusals: after the grace, a replayed token (an
// intrusion), and a takeover of a socket that still looks alive.
#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

namespace {

// One side of a pairing that remembers what a real client must: its resume
// token, the frames it received, and its own frames (to re-send those the
// relay had not received).
struct Side {
  std::string role;
  std::unique_ptr<Client> client;
  std::string token;
  std::vector<Bytes> got;    // binary frames received on this channel, in order
  std::vector<Bytes> mine;   // frames this side sends, in order
  std::vector<std::string> peer_events;

  void take(const Event& e) {
    if (e.kind == Event::Kind::binary) got.push_back(e.bytes);
    else if (e.kind == Event::Kind::control && e.control.type == "peer") peer_events.push_back(e.control.event);
  }
  // Everything already read from the socket counts as received.
  void drain() {
    while (auto e = client->try_next()) take(*e);
  }
};

Options resume_options(const RelayProcess& relay, const std::string& cid, const Side& side) {
  auto o = options_for(relay, cid, side.role);
  o.resume_token = side.token;
  o.received = side.got.size();
  return o;
}

// Connects with the token; expects `joined` with `received` and a fresh
// token; returns the relay's count of our frames.
std::uint64_t resume(const RelayProcess& relay, const std::string& cid, Side& side) {
  auto c = Client::connect(resume_options(relay, cid, side));
  INFO(c.error);
  REQUIRE(c);
  CHECK(c.subprotocol == "qrlogin.v1");
  auto joined = c.client->next(5s);
  REQUIRE(joined.ok());
  INFO(joined->text);
  REQUIRE(joined->control.type == "joined");
  REQUIRE(joined->control.received.has_value());
  CHECK(joined->control.resume_token.size() >= 22);
  CHECK(joined->control.resume_token != side.token);
  side.token = joined->control.resume_token;
  side.client = std::move(c.client);
  return *joined->control.received;
}

Side open_side(const RelayProcess& relay, const std::string& cid, const std::string& role, bool expect_peer) {
  auto c = connect(relay, cid, role);
  INFO(c.error);
  REQUIRE(c);
  auto joined = c.client->next(5s);
  REQUIRE(joined.ok());
  INFO(joined->text);
  REQUIRE(joined->control.type == "joined");
  REQUIRE(joined->control.peer == expect_peer);
  CHECK_FALSE(joined->control.received.has_value());  // only on a resume
  Side side;
  side.role = role;
  side.token = joined->control.resume_token;
  side.client = std::move(c.client);
  return side;
}

// Reads until `side` holds `count` frames, then checks that nothing more comes.
void read_until(Side& side, std::size_t count) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (side.got.size() < count && std::chrono::steady_clock::now() < deadline) {
    auto e = side.client->next(1s);
    if (e.ok()) {
      INFO(e->text << " " << e->close_reason);
      REQUIRE(e->kind != Event::Kind::closed);
      side.take(*e);
    }
  }
  REQUIRE(side.got.size() == count);
  std::this_thread::sleep_for(300ms);
  side.drain();
  CHECK(side.got.size() == count);  // nothing twice
}

}  // namespace

TEST_CASE("resume: RST on both sockets with frames in flight both ways - each frame arrives exactly once in order",
          "[integration]") {
  RelayProcess relay({"--grace", "20s"});
  for (int round = 0; round < 3; ++round) {
    auto cid = random_cid();
    auto receiver = open_side(relay, cid, "receiver", false);
    auto sender = open_side(relay, cid, "sender", true);
    REQUIRE(receiver.token.size() >= 22);  // >= 128 bits
    REQUIRE(sender.token != receiver.token);
    REQUIRE(receiver.client->next_control("peer").ok());
    receiver.mine = {frame_of(0x02, 49), frame_of(0x02, 1000), frame_of(0x02, 65809), frame_of(0x05, 145)};
    sender.mine = {frame_of(0x01, 65), frame_of(0x03, 49), frame_of(0x04, 65809), frame_of(0x04, 273)};

    // Both send everything, then both sockets are cut mid-flight.
    for (std::size_t i = 0; i < 4; ++i) {
      REQUIRE(receiver.client->send(receiver.mine[i]).ok());
      REQUIRE(sender.client->send(sender.mine[i]).ok());
    }
    receiver.client->abort();
    sender.client->abort();
    receiver.drain();
    sender.drain();
    INFO("round " << round << ": receiver had " << receiver.got.size() << ", sender had " << sender.got.size());

    // The receiver comes back first, re-sends what the relay missed, then the sender.
    auto relay_had_r = resume(relay, cid, receiver);
    REQUIRE(relay_had_r <= 4);
    for (auto i = relay_had_r; i < 4; ++i) REQUIRE(receiver.client->send(receiver.mine[i]).ok());
    auto relay_had_s = resume(relay, cid, sender);
    REQUIRE(relay_had_s <= 4);
    for (auto i = relay_had_s; i < 4; ++i) REQUIRE(sender.client->send(sender.mine[i]).ok());

    read_until(receiver, 4);
    read_until(sender, 4);
    CHECK(receiver.got == sender.mine);
    CHECK(sender.got == receiver.mine);
    // The receiver saw its peer go and come back.
    auto back = std::find(receiver.peer_events.begin(), receiver.peer_events.end(), "back");
    CHECK(back != receiver.peer_events.end());

    // The pairing ends normally: the channel is gone at once.
    REQUIRE(receiver.client->close(1000).ok());
    auto closed = sender.client->wait_closed();
    REQUIRE(closed.ok());
    CHECK(closed->close_code == 1000);
  }
  CHECK(channels_empty(relay));
}

TEST_CASE("resume: after the grace period the token is expired", "[integration]") {
  RelayProcess relay({"--grace", "1s"});
  auto cid = random_cid();
  auto receiver = open_side(relay, cid, "receiver", false);
  auto sender = open_side(relay, cid, "sender", true);
  REQUIRE(receiver.client->next_control("peer").ok());  // joined
  sender.client->abort();
  auto left = receiver.client->next_control("peer");
  REQUIRE(left.ok());
  CHECK(left->control.event == "left");
  expect_error_then_close(*receiver.client, "expired", 4404, 5s);
  auto late = Client::connect(resume_options(relay, cid, sender));
  REQUIRE(late);
  expect_error_then_close(*late.client, "expired", 4404);
  CHECK(channels_empty(relay));
}

TEST_CASE("resume: a replayed token is refused and is an intrusion", "[integration]") {
  RelayProcess relay({"--grace", "20s"});
  auto cid = random_cid();
  auto receiver = open_side(relay, cid, "receiver", false);
  auto sender = open_side(relay, cid, "sender", true);
  auto first_token = sender.token;
  sender.client->abort();
  (void)resume(relay, cid, sender);
  auto back = receiver.client->next_control("peer");
  REQUIRE(back.ok());
  // Someone else replays the token the sender used.
  Side thief;
  thief.role = "sender";
  thief.token = first_token;
  auto replay = Client::connect(resume_options(relay, cid, thief));
  REQUIRE(replay);
  expect_error_then_close(*replay.client, "expired", 4404);
  for (auto* side : {&receiver, &sender}) {
    auto intrusion = side->client->next_control("intrusion");
    REQUIRE(intrusion.ok());
    CHECK(intrusion->control.type == "intrusion");
  }
  // A token of the other role does not fit either (and no second intrusion).
  thief.role = "receiver";
  thief.token = sender.token;
  auto wrong_role = Client::connect(resume_options(relay, cid, thief));
  REQUIRE(wrong_role);
  expect_error_then_close(*wrong_role.client, "expired", 4404);
  // The real sender still works.
  auto frame = frame_of(0x01, 65);
  REQUIRE(sender.client->send(frame).ok());
  expect_binary(*receiver.client, frame);
}

TEST_CASE("resume: a valid token takes over a live slot - the old socket gets replaced 4001", "[integration]") {
  RelayProcess relay({"--grace", "20s"});
  auto cid = random_cid();
  auto receiver = open_side(relay, cid, "receiver", false);
  auto sender = open_side(relay, cid, "sender", true);
  REQUIRE(receiver.client->next_control("peer").ok());
  auto early = frame_of(0x02, 49);
  REQUIRE(receiver.client->send(early).ok());
  expect_binary(*sender.client, early);
  sender.got.push_back(early);

  Side again;
  again.role = "sender";
  again.token = sender.token;
  again.got = sender.got;
  auto had = resume(relay, cid, again);
  CHECK(had == 0);
  expect_error_then_close(*sender.client, "replaced", 4001);
  auto back = receiver.client->next_control("peer");
  REQUIRE(back.ok());
  CHECK(back->control.event == "back");
  auto next = frame_of(0x02, 100);
  REQUIRE(receiver.client->send(next).ok());
  expect_binary(*again.client, next);  // not `early` again: received=1 confirmed it
}

TEST_CASE("resume: after a normal close 1000 there is nothing to resume", "[integration]") {
  RelayProcess relay({"--grace", "20s"});
  auto cid = random_cid();
  auto receiver = open_side(relay, cid, "receiver", false);
  auto sender = open_side(relay, cid, "sender", true);
  REQUIRE(sender.client->close(1000).ok());
  auto closed = receiver.client->wait_closed();
  REQUIRE(closed.ok());
  CHECK(closed->close_code == 1000);
  auto late = Client::connect(resume_options(relay, cid, receiver));
  REQUIRE(late);
  expect_error_then_close(*late.client, "expired", 4404);
}

TEST_CASE("resume: a malformed or repeated resume token is HTTP 400", "[integration]") {
  RelayProcess relay;
  auto o = options_for(relay, random_cid(), "sender");
  o.subprotocols = {"qrlogin.v1", "qrlogin.resume.abc", "qrlogin.resume.def"};
  auto twice = Client::connect(o);
  CHECK(twice.http_status == 400);
  o.subprotocols = {"qrlogin.v1", "qrlogin.resume.a+b"};
  auto bad = Client::connect(o);
  CHECK(bad.http_status == 400);
}

}  // namespace qrlogin::testing
