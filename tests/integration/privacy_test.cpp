// At debug level the relay's logs never carry a cid, the request path or
// query, a token offered in Sec-WebSocket-Protocol, a key, frame bytes or a
// full client address.
#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

TEST_CASE("privacy: debug logs never contain the cid - pkR - a resume token - a frame marker or a full address",
          "[integration]") {
  RelayProcess relay({"--log-level", "debug", "--grace", "1s"});
  auto pk_r = random_bytes(32);  // what a receiver's public key looks like
  auto cid_raw = random_bytes(16);
  auto cid = base64url_encode(cid_raw);
  auto token = base64url_encode(random_bytes(16));
  const std::string marker = "MARKER-7f3a9c-never-in-logs";

  std::vector<std::string> tokens;  // every resume token handed out
  auto ro = options_for(relay, cid, "receiver");
  ro.bind_address = "127.0.0.2";
  ro.headers = {{"X-Forwarded-For", "198.51.100.77"}};
  auto receiver = Client::connect(ro);
  REQUIRE(receiver);
  auto r_joined = receiver.client->next_control("joined");
  REQUIRE(r_joined.ok());
  tokens.push_back(r_joined->control.resume_token);
  auto so = options_for(relay, cid, "sender");
  auto first = Client::connect(so);
  REQUIRE(first);
  auto s_joined = first.client->next_control("joined");
  REQUIRE(s_joined.ok());
  tokens.push_back(s_joined->control.resume_token);
  REQUIRE(receiver.client->next_control("peer").ok());

  Bytes hello = frame_of(0x01, 65);
  std::copy(pk_r.begin(), pk_r.end(), hello.begin() + 1);
  Bytes credential(marker.begin(), marker.end());
  credential.insert(credential.begin(), 0x04);
  REQUIRE(first.client->send(hello).ok());
  expect_binary(*receiver.client, hello);
  // The sender drops and resumes with its token (a new one comes back).
  first.client->abort();
  so.resume_token = tokens.back();
  so.received = 0;
  auto resumed = Client::connect(so);
  REQUIRE(resumed);
  auto again = resumed.client->next_control("joined");
  REQUIRE(again.ok());
  REQUIRE(again->control.received == 1u);
  tokens.push_back(again->control.resume_token);
  auto& sender = resumed.client;
  // A wrong token: refused, an intrusion, and still not logged.
  so.resume_token = token;
  auto wrong = Client::connect(so);
  REQUIRE(wrong);
  expect_error_then_close(*wrong.client, "expired", 4404);
  REQUIRE(sender->send(credential).ok());
  // peer left, peer back and intrusion come first.
  for (auto e = receiver.client->next(5s); e.ok(); e = receiver.client->next(5s)) {
    INFO(e->text);
    REQUIRE(e->kind != Event::Kind::closed);
    if (e->kind == Event::Kind::binary) {
      CHECK(e->bytes == credential);
      break;
    }
  }
  REQUIRE(sender->send_text(marker).ok());  // refused, and still not logged
  expect_error_then_close(*sender, "bad_request", 1008);
  // Refusals are logged too: a bad cid, a third client, a used cid.
  (void)connect(relay, cid, "sender");
  relay_client::HttpRequest bad;
  bad.port = relay.port();
  bad.target = "/v1/channels/" + cid + "?role=" + marker;
  (void)relay_client::http_request(bad);
  REQUIRE(receiver.client->close(1000).ok());
  (void)connect(relay, cid, "receiver");
  CHECK(channels_empty(relay));
  relay.stop();

  for (const auto& t : tokens) REQUIRE(t.size() == 43);  // 256 bits, base64url
  auto logs = relay.output();
  INFO(logs);
  REQUIRE(logs.find("\"event\":\"ws_open\"") != std::string::npos);
  REQUIRE(logs.find("\"channel\":\"") != std::string::npos);
  for (const std::string& secret : std::vector<std::string>{
           cid, hex_encode(cid_raw), hex_encode(pk_r), base64url_encode(pk_r), token, tokens[0], tokens[1], tokens[2],
           marker,
           std::string("/v1/channels"), std::string("role="), std::string("qrlogin.resume"),
           std::string("127.0.0.2"), std::string("198.51.100.77"), std::string("127.0.0.1\""),
       }) {
    INFO("must not appear: " << secret);
    CHECK(logs.find(secret) == std::string::npos);
  }
  // Addresses appear truncated only.
  CHECK(logs.find("127.0.0.0/24") != std::string::npos);
}

}  // namespace qrlogin::testing
