// Pairing links: every case of tests/vectors/links-v1.json (shared with
// tests/web/link.test.mjs), then what a person reads when a link is refused.
#include <catch2/catch.hpp>

#include <cstdio>
#include <set>
#include <string>

#include "crypto/pairing/link.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;

namespace {

const nlohmann::json& vectors() {
  static const auto doc = test::load_vectors("links-v1.json");
  return doc;
}

std::string text(const nlohmann::json& field) { return field.get<std::string>(); }

std::string error_of(std::string_view link) {
  auto r = parse_link(link);
  REQUIRE_FALSE(r);
  CHECK(r.error().code.category() == link_error_category());
  return r.error().message;
}

const std::string kKey = "ANkzCa7UkgNf7WS_5RTe5dWL5glbuhkGe3flMz5TCAg";  // 32 bytes

}  // namespace

TEST_CASE("link vectors: every error code is a LinkErrc, and every LinkErrc is in the table") {
  std::set<std::string> names;
  for (int i = 1; error_name(LinkErrc(i)) != "unknown"; ++i) names.insert(error_name(LinkErrc(i)));
  std::set<std::string> listed;
  for (const auto& [code, meaning] : vectors()["error_codes"].items()) {
    CHECK_FALSE(text(meaning).empty());
    listed.insert(code);
  }
  CHECK(names == listed);
}

TEST_CASE("link vectors: each link parses to what it yields, or is refused with its code") {
  int valid = 0;
  int refused = 0;
  for (const auto& c : vectors()["parse"]) {
    INFO(text(c["name"]) << "\n  " << text(c["link"]));
    auto link = parse_link(text(c["link"]));
    if (c.contains("error")) {
      REQUIRE_FALSE(link);
      CHECK(error_name(link.error().code) == text(c["error"]));
      CHECK(link.error().code.category() == link_error_category());
      CHECK_FALSE(link.error().message.empty());
      ++refused;
      continue;
    }
    REQUIRE(link);
    CHECK(link->page_url == text(c["page_url"]));
    CHECK(link->relay_url == text(c["relay_url"]));
    CHECK(test::to_bytes(link->receiver_public_key) == test::hex(c["receiver_public_key"]));
    CHECK(link->cid.text == text(c["cid"]));
    CHECK(channel_url(link->relay_url, link->cid.text) == text(c["channel_url"]));
    ++valid;
  }
  std::printf("cases: links-v1 parse %d valid, %d refused (C++)\n", valid, refused);
}

TEST_CASE("link vectors: each link is made as listed, or refused with its code, and reads back") {
  int made = 0;
  int refused = 0;
  for (const auto& c : vectors()["make"]) {
    INFO(text(c["name"]) << "\n  " << text(c["page_url"]) << " + " << text(c["relay_url"]));
    auto key = test::hex(c["receiver_public_key"]);
    auto link = build_link(text(c["page_url"]), key, text(c["relay_url"]));
    if (c.contains("error")) {
      REQUIRE_FALSE(link);
      CHECK(error_name(link.error().code) == text(c["error"]));
      ++refused;
      continue;
    }
    REQUIRE(link);
    CHECK(*link == text(c["link"]));
    auto back = parse_link(*link);
    REQUIRE(back);
    auto relay = text(c["relay_url"]);
    CHECK(back->relay_url == (relay.empty() ? relay_url_for_page(text(c["page_url"])).value() : relay));
    CHECK(test::to_bytes(back->receiver_public_key) == key);
    ++made;
  }
  std::printf("cases: links-v1 make %d made, %d refused (C++)\n", made, refused);
}

TEST_CASE("a refused link says what is wrong") {
  CHECK_THAT(error_of("https://example.com/pair"), Catch::Contains("no key"));
  CHECK_THAT(error_of("https://example.com/pair#v2." + kKey), Catch::Contains("not a qrlogin v1 link"));
  CHECK_THAT(error_of("https://example.com/pair#v1." + kKey.substr(0, 42)), Catch::Contains("exactly 32 bytes"));
  CHECK_THAT(error_of("https://example.com/pair#v1." + kKey + "="), Catch::Contains("padding"));
  CHECK_THAT(error_of("https://example.com/pair#v1." + kKey.substr(0, 42) + "h"), Catch::Contains("canonical"));
  CHECK_THAT(error_of("https://example.com/pair#v1.ANkzCa7UkgNf7WS+5RTe5dWL5glbuhkGe3flMz5TCAg"),
             Catch::Contains("outside"));
  CHECK_THAT(error_of("http://example.com/pair#v1." + kKey), Catch::Contains("must use https://"));
  CHECK_THAT(error_of("ftp://example.com/pair#v1." + kKey), Catch::Contains("must start with https://"));
  CHECK_THAT(error_of("https://example.com/pair?relay=https%3A%2F%2Fr.example.com#v1." + kKey),
             Catch::Contains("relay URL must start with wss://"));
  CHECK_THAT(error_of("https://example.com/pair?relay=ws%3A%2F%2Fr.example.com#v1." + kKey),
             Catch::Contains("must use wss://"));
  CHECK_THAT(error_of("https://example.com/pair?relay=wss%3A%2F%2Fa&relay=wss%3A%2F%2Fb#v1." + kKey),
             Catch::Contains("more than once"));
  CHECK_THAT(error_of("https://example.com/pair?relay=wss%3A%2F%2Fa%2#v1." + kKey),
             Catch::Contains("not followed by two hex digits"));
  CHECK_THAT(error_of("https://example.com/pair?relay=wss%3A%2F%2Fa%FF#v1." + kKey), Catch::Contains("UTF-8"));
  CHECK_THAT(error_of("https://example.com/pair?relay=wss%3A%2F%2Fa%2F%3F#v1." + kKey), Catch::Contains("query"));
  CHECK_THAT(error_of("https://user:pw@example.com/pair#v1." + kKey), Catch::Contains("user name"));
  CHECK_THAT(error_of("https://example.com:99999/pair#v1." + kKey), Catch::Contains("port"));
  CHECK_THAT(error_of("https://exa mple.com/pair#v1." + kKey), Catch::Contains("space"));
  CHECK_THAT(error_of("https://ex%61mple.com/pair#v1." + kKey), Catch::Contains("letters, digits"));
  CHECK_THAT(error_of("https:///pair#v1." + kKey), Catch::Contains("no host"));

  auto kept = build_link("https://example.com/pair?relay=x", Bytes(32, 1), "wss://r.example.net");
  REQUIRE_FALSE(kept);
  CHECK_THAT(kept.error().message, Catch::Contains("already carries a relay parameter"));
}

TEST_CASE("loopback hosts are exactly localhost, 127.0.0.0/8 in dotted decimal and [::1]") {
  for (const char* host : {"localhost", "127.0.0.1", "127.255.255.255", "127.1.2.3", "[::1]"})
    CHECK(is_loopback_host(host));
  for (const char* host : {"127.0.0", "127.0.0.256", "128.0.0.1", "localhost.example", "127.0.0.1.", "[::2]",
                           "127.-1.-1.-1", "0x7f.0.0.1", "127.1", "[0:0:0:0:0:0:0:1]"})
    CHECK_FALSE(is_loopback_host(host));
}
