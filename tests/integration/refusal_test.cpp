// Every refusal of the channel endpoint, with its code and close, leaves
// nothing behind in the relay.
#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

namespace {
int status_of(const RelayProcess& relay, const std::string& target,
              std::vector<std::pair<std::string, std::string>> headers = {}) {
  relay_client::HttpRequest req;
  req.port = relay.port();
  req.target = target;
  req.headers = std::move(headers);
  auto res = relay_client::http_request(req);
  REQUIRE(res.ok());
  return res->status;
}

int upgrade_status(const RelayProcess& relay, const std::string& target) {
  Options o;
  o.port = relay.port();
  o.target = target;
  auto c = Client::connect(o);
  CHECK_FALSE(c);
  return c.http_status;
}
}  // namespace

TEST_CASE("refusal: a bad cid or role is HTTP 400 before any upgrade", "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  for (const std::string& target : std::vector<std::string>{
           "/v1/channels/short?role=receiver",
           "/v1/channels/" + cid + "A?role=receiver",                   // 23 characters
           "/v1/channels/AAAAAAAAAAAAAAAAAAAAAB?role=receiver",          // non-canonical trailing bits
           "/v1/channels/AAAAAAAAAAAAAAAAAAAA+A?role=receiver",          // not base64url
           "/v1/channels/AAAAAAAAAAAAAAAAAAAA%41?role=receiver",
           "/v1/channels/" + cid,                                        // no role
           "/v1/channels/" + cid + "?role=admin",
           "/v1/channels/" + cid + "?role=receiver&role=sender",
           "/v1/channels/" + cid + "?role=sender&received=-1",
           "/v1/channels/" + cid + "/x?role=sender",
       }) {
    INFO(target);
    CHECK(upgrade_status(relay, target) == 400);
    CHECK(status_of(relay, target) == 400);
  }
  CHECK(channels_empty(relay));
}

TEST_CASE("refusal: a plain GET on the channel path is 426", "[integration]") {
  RelayProcess relay;
  CHECK(status_of(relay, "/v1/channels/" + random_cid() + "?role=receiver") == 426);
  CHECK(status_of(relay, "/nothing-here") == 404);
}

TEST_CASE("refusal: a sender first gets expired (4404) - and so does a sender for an unknown cid", "[integration]") {
  RelayProcess relay;
  auto c = connect(relay, random_cid(), "sender");
  REQUIRE(c);
  expect_error_then_close(*c.client, "expired", 4404);
  CHECK(channels_empty(relay));
}

TEST_CASE("refusal: a used cid cannot be opened again - by either role", "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  {
    auto receiver = join(relay, cid, "receiver");
    REQUIRE(receiver->close(1000).ok());
    REQUIRE(receiver->wait_closed().ok());
  }
  for (const char* role : {"receiver", "sender"}) {
    auto c = connect(relay, cid, role);
    REQUIRE(c);
    expect_error_then_close(*c.client, "expired", 4404);
  }
  CHECK(channels_empty(relay));
}

TEST_CASE("refusal: a text frame from a client is bad_request (1008) - the peer hears it left", "[integration]") {
  RelayProcess relay({"--grace", "1s"});
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver");
  auto sender = join(relay, cid, "sender", true);
  REQUIRE(sender->send_text(R"({"type":"joined"})").ok());
  expect_error_then_close(*sender, "bad_request", 1008);
  auto left = receiver->next_control("peer");
  REQUIRE(left.ok());
  // (the first peer event is `joined`)
  if (left->control.event == "joined") left = receiver->next_control("peer");
  REQUIRE(left.ok());
  CHECK(left->control.event == "left");
  // Nobody can come back without resume: after the grace the channel ends.
  expect_error_then_close(*receiver, "expired", 4404);
  CHECK(channels_empty(relay));
}

TEST_CASE("refusal: a frame over 65809 bytes is closed with 1009 - 65809 passes", "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver");
  auto sender = join(relay, cid, "sender", true);
  REQUIRE(receiver->next_control("peer").ok());
  auto largest = frame_of(0x04, 65809);
  REQUIRE(sender->send(largest).ok());
  expect_binary(*receiver, largest);
  (void)sender->send(frame_of(0x04, 65810));
  auto closed = sender->wait_closed();
  REQUIRE(closed.ok());
  CHECK(closed->close_code == 1009);
  CHECK(receiver->next_control("peer").ok());
}

TEST_CASE("refusal: the 17th frame of a channel is too_large (4413)", "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver");
  auto sender = join(relay, cid, "sender", true);
  for (int i = 0; i < 8; ++i) REQUIRE(receiver->send(frame_of(0x02, 49)).ok());
  for (int i = 0; i < 8; ++i) REQUIRE(sender->send(frame_of(0x03, 49)).ok());
  REQUIRE(sender->send(frame_of(0x03, 49)).ok());
  expect_error_then_close(*sender, "too_large", 4413);
}

TEST_CASE("refusal: an expired channel closes its client with expired (4404) and stays used", "[integration]") {
  RelayProcess relay({"--channel-lifetime", "1s", "--grace", "1s"});
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver");
  auto started = std::chrono::steady_clock::now();
  expect_error_then_close(*receiver, "expired", 4404, 4s);
  CHECK(std::chrono::steady_clock::now() - started >= 900ms);
  auto again = connect(relay, cid, "receiver");
  REQUIRE(again);
  expect_error_then_close(*again.client, "expired", 4404);
  auto sender = connect(relay, cid, "sender");
  REQUIRE(sender);
  expect_error_then_close(*sender.client, "expired", 4404);
  CHECK(channels_empty(relay));
}

TEST_CASE("refusal: a second receiver is channel_full (4409) and the waiting receiver hears intrusion",
          "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver");
  auto second = connect(relay, cid, "receiver");
  REQUIRE(second);
  expect_error_then_close(*second.client, "channel_full", 4409);
  auto intrusion = receiver->next(5s);
  REQUIRE(intrusion.ok());
  CHECK(intrusion->control.type == "intrusion");
}

TEST_CASE("refusal: a third client and a second sender get channel_full - intrusion goes once to each client",
          "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver");
  auto sender = join(relay, cid, "sender", true);
  REQUIRE(receiver->next_control("peer").ok());
  for (const char* role : {"sender", "receiver", "sender"}) {
    auto extra = connect(relay, cid, role);
    REQUIRE(extra);
    expect_error_then_close(*extra.client, "channel_full", 4409);
  }
  for (auto* c : {receiver.get(), sender.get()}) {
    auto intrusion = c->next(5s);
    REQUIRE(intrusion.ok());
    CHECK(intrusion->control.type == "intrusion");
    CHECK_FALSE(c->next(300ms).ok());  // only once per channel
  }
  // The pair itself still works.
  auto hello = frame_of(0x01, 65);
  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver, hello);
}

TEST_CASE("refusal: a foreign Origin is HTTP 403 before the upgrade - the relay's own origin passes",
          "[integration]") {
  RelayProcess relay;
  auto opts = options_for(relay, random_cid(), "receiver");
  opts.headers = {{"Origin", "https://evil.example"}};
  auto foreign = Client::connect(opts);
  CHECK_FALSE(foreign);
  CHECK(foreign.http_status == 403);
  CHECK(foreign.body.find("forbidden_origin") != std::string::npos);
  CHECK(channels_empty(relay));

  opts.headers = {{"Origin", "http://127.0.0.1:" + std::to_string(relay.port())}};
  auto own = Client::connect(opts);
  REQUIRE(own);
  REQUIRE(own.client->next_control("joined").ok());

  RelayProcess configured({"--allowed-origin", "https://app.example"});
  auto o2 = options_for(configured, random_cid(), "receiver");
  o2.headers = {{"Origin", "https://app.example"}};
  CHECK(Client::connect(o2));
  o2.headers = {{"Origin", "http://127.0.0.1:" + std::to_string(configured.port())}};
  CHECK(Client::connect(o2).http_status == 403);
}

}  // namespace qrlogin::testing
