#include <catch2/catch.hpp>

#include "crypto/pairing/link.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;

namespace {
const std::string kKey = "ANkzCa7UkgNf7WS_5RTe5dWL5glbuhkGe3flMz5TCAg";  // 32 bytes

std::string error_of(std::string_view link) {
  auto r = parse_link(link);
  REQUIRE_FALSE(r);
  CHECK(r.error().code == pairing::Errc::bad_link);
  return r.error().message;
}
}  // namespace

TEST_CASE("good links parse, with the relay derived or given") {
  auto a = parse_link("https://login.example.com/pair#v1." + kKey);
  REQUIRE(a);
  CHECK(a->page_url == "https://login.example.com/pair");
  CHECK(a->relay_url == "wss://login.example.com");
  CHECK(base64url_encode(a->receiver_public_key) == kKey);
  CHECK(a->cid.text.size() == 22);
  CHECK(channel_url(a->relay_url, a->cid.text) == "wss://login.example.com/v1/channels/" + a->cid.text);

  auto b = parse_link("https://example.com:8443/pair?relay=wss%3A%2F%2Frelay.example.net%2Fqr#v1." + kKey);
  REQUIRE(b);
  CHECK(b->relay_url == "wss://relay.example.net/qr");
  CHECK(channel_url(b->relay_url, "abc") == "wss://relay.example.net/qr/v1/channels/abc");

  for (std::string host : {"localhost:8080", "127.0.0.1:8080", "127.9.8.7", "[::1]:9000"}) {
    auto c = parse_link("http://" + host + "/pair#v1." + kKey);
    INFO(host);
    REQUIRE(c);
    CHECK(c->relay_url == "ws://" + host);
  }
  // The query is read as a browser reads it (URLSearchParams): names are
  // %-decoded too.
  auto encoded_name = parse_link("https://example.com/pair?rel%61y=wss%3A%2F%2Fr.example.net#v1." + kKey);
  REQUIRE(encoded_name);
  CHECK(encoded_name->relay_url == "wss://r.example.net");
  auto local_relay = parse_link("http://localhost:8080/pair?relay=ws%3A%2F%2F127.0.0.1%3A9999#v1." + kKey);
  REQUIRE(local_relay);
  CHECK(local_relay->relay_url == "ws://127.0.0.1:9999");
}

TEST_CASE("build_link and parse_link agree") {
  Bytes key(32, 0x5a);
  auto plain = build_link("https://example.com/pair", key);
  REQUIRE(plain);
  CHECK(*plain == "https://example.com/pair#v1." + base64url_encode(key));
  auto same_relay = build_link("https://example.com/pair", key, "wss://example.com");
  CHECK(*same_relay == *plain);  // the derived relay is not repeated
  auto other = build_link("http://127.0.0.1:8080/pair", key, "ws://127.0.0.1:9000");
  REQUIRE(other);
  auto parsed = parse_link(*other);
  REQUIRE(parsed);
  CHECK(parsed->relay_url == "ws://127.0.0.1:9000");
  CHECK(Bytes(parsed->receiver_public_key.begin(), parsed->receiver_public_key.end()) == key);
  CHECK_FALSE(build_link("http://example.com/pair", key));  // http off loopback
  CHECK_FALSE(build_link("https://example.com/pair", Bytes(31, 1)));
}

TEST_CASE("each bad link has its own clear error") {
  CHECK_THAT(error_of("https://example.com/pair"), Catch::Contains("no key"));
  CHECK_THAT(error_of("https://example.com/pair#v2." + kKey), Catch::Contains("not a qrlogin v1 link"));
  CHECK_THAT(error_of("https://example.com/pair#" + kKey), Catch::Contains("not a qrlogin v1 link"));
  CHECK_THAT(error_of("https://example.com/pair#V1." + kKey), Catch::Contains("not a qrlogin v1 link"));
  CHECK_THAT(error_of("https://example.com/pair#v1." + kKey.substr(0, 42)), Catch::Contains("exactly 32 bytes"));
  CHECK_THAT(error_of("https://example.com/pair#v1." + kKey + "AAAA"), Catch::Contains("exactly 32 bytes"));
  CHECK_THAT(error_of("https://example.com/pair#v1." + kKey + "="), Catch::Contains("padding"));
  // 43 characters carry 258 bits: the last character's low 2 bits must be 0.
  CHECK_THAT(error_of("https://example.com/pair#v1." + kKey.substr(0, 42) + "h"), Catch::Contains("canonical"));
  CHECK_THAT(error_of("https://example.com/pair#v1.ANkzCa7UkgNf7WS+5RTe5dWL5glbuhkGe3flMz5TCAg"),
             Catch::Contains("outside"));
  CHECK_THAT(error_of("http://example.com/pair#v1." + kKey), Catch::Contains("must use https://"));
  CHECK_THAT(error_of("http://127.0.0.1.example.com/pair#v1." + kKey), Catch::Contains("must use https://"));
  CHECK_THAT(error_of("http://127.-1.-1.-1/pair#v1." + kKey), Catch::Contains("must use https://"));
  CHECK_THAT(error_of("http://127.0.0.256/pair#v1." + kKey), Catch::Contains("must use https://"));
  CHECK_THAT(error_of("ftp://example.com/pair#v1." + kKey), Catch::Contains("must start with https://"));
  CHECK_THAT(error_of("https://example.com/pair?relay=https%3A%2F%2Fr.example.com#v1." + kKey),
             Catch::Contains("relay URL must start with wss://"));
  CHECK_THAT(error_of("https://example.com/pair?relay=ws%3A%2F%2Fr.example.com#v1." + kKey),
             Catch::Contains("must use wss://"));
  CHECK_THAT(error_of("https://example.com/pair?relay=wss%3A%2F%2Fa&relay=wss%3A%2F%2Fb#v1." + kKey),
             Catch::Contains("twice"));
  CHECK_THAT(error_of("https://example.com/pair?relay=wss%3A%2F%2Fa%2#v1." + kKey), Catch::Contains("%-escape"));
  CHECK_THAT(error_of("https://user:pw@example.com/pair#v1." + kKey), Catch::Contains("user name"));
  CHECK_THAT(error_of("https://example.com:99999/pair#v1." + kKey), Catch::Contains("port"));
  CHECK_THAT(error_of("https://exa mple.com/pair#v1." + kKey), Catch::Contains("space"));
  CHECK_THAT(error_of("https:///pair#v1." + kKey), Catch::Contains("no host"));
}
