// At debug level the relay's logs never carry a cid, the request path or
// query, a token offered in Sec-WebSocket-Protocol, a key, frame bytes or a
// full client address.
#include "tests/integration/helpers.hpp"

namespace qrlogin::testing {

TEST_CASE("privacy: debug logs never contain the cid - pkR - a token - a frame marker or a full address",
          "[integration]") {
  RelayProcess relay({"--log-level", "debug", "--grace", "1s"});
  auto pk_r = random_bytes(32);  // what a receiver's public key looks like
  auto cid_raw = random_bytes(16);
  auto cid = base64url_encode(cid_raw);
  auto token = base64url_encode(random_bytes(16));
  const std::string marker = "MARKER-7f3a9c-never-in-logs";

  auto ro = options_for(relay, cid, "receiver");
  ro.subprotocols = {"qrlogin.v1", "qrlogin.resume." + token};
  ro.bind_address = "127.0.0.2";
  ro.headers = {{"X-Forwarded-For", "198.51.100.77"}};
  auto receiver = Client::connect(ro);
  REQUIRE(receiver);
  REQUIRE(receiver.client->next_control("joined").ok());
  auto sender = join(relay, cid, "sender", true);
  REQUIRE(receiver.client->next_control("peer").ok());

  Bytes hello = frame_of(0x01, 65);
  std::copy(pk_r.begin(), pk_r.end(), hello.begin() + 1);
  Bytes credential(marker.begin(), marker.end());
  credential.insert(credential.begin(), 0x04);
  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver.client, hello);
  REQUIRE(sender->send(credential).ok());
  expect_binary(*receiver.client, credential);
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

  auto logs = relay.output();
  INFO(logs);
  REQUIRE(logs.find("\"event\":\"ws_open\"") != std::string::npos);
  REQUIRE(logs.find("\"channel\":\"") != std::string::npos);
  for (const std::string& secret : std::vector<std::string>{
           cid, hex_encode(cid_raw), hex_encode(pk_r), base64url_encode(pk_r), token, marker,
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
