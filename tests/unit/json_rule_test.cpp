// The JSON rule and the padded status bodies (contract rev. 3): the
// transcript's cases, read by the same functions the machines use, and what
// nlohmann/json alone would let through.
#include <catch2/catch.hpp>

#include <cstdio>
#include <limits>

#include <nlohmann/json.hpp>

#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/frames.hpp"
#include "crypto/pairing/strict_json.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;
using qrlogin::test::hex;

namespace {

const nlohmann::json& transcript() {
  static const auto doc = test::load_vectors("transcript-v1.json");
  return doc;
}

bool nlohmann_accepts(std::string_view text) {
  return !nlohmann::json::parse(text, nullptr, /*allow_exceptions=*/false).is_discarded();
}

std::string strict_error(std::string_view text) {
  auto r = parse_strict_json(as_bytes(text), Errc::bad_credential, "the text");
  return r ? std::string("accepted") : r.error().message;
}

}  // namespace

TEST_CASE("nlohmann alone refuses bad UTF-8, lone surrogates and 1e400, but not the rest of the rule") {
  CHECK_FALSE(nlohmann_accepts("{\"a\":\"\xff\"}"));
  CHECK_FALSE(nlohmann_accepts(R"({"a":"\ud800"})"));
  CHECK_FALSE(nlohmann_accepts(R"({"a":"\udc00"})"));
  CHECK_FALSE(nlohmann_accepts(R"({"a":1e400})"));
  CHECK_FALSE(nlohmann_accepts(R"({"a":-1e400})"));
  // What the strict reader adds:
  CHECK(nlohmann::json::parse(R"({"a":1,"a":2})")["a"] == 2);  // the last one wins, silently
  CHECK(nlohmann_accepts(std::string(40, '[') + std::string(40, ']')));
  CHECK(nlohmann_accepts("\xef\xbb\xbf{}"));
  CHECK(nlohmann_accepts(std::string("{}") + '\0' + "anything"));  // NUL ends its input
}

TEST_CASE("the strict reader refuses each part of the rule with its own message") {
  CHECK(strict_error("{\"a\":\"\xff\"}") == "the text is not valid UTF-8");
  CHECK(strict_error("\xef\xbb\xbf{}") == "the text starts with a byte order mark (U+FEFF)");
  CHECK(strict_error(R"({"a":"\ud800"})") ==
        "the text's JSON has a lone surrogate escape (\\uD800 to \\uDFFF without its pair)");
  CHECK(strict_error(R"([1e400])") == "the text's JSON has a number too large for a double");
  CHECK(strict_error(R"({"a":{"x":1,"x":2}})") == "the text's JSON has the member name \"x\" twice");
  CHECK(strict_error("{\"" + std::string(60, 'k') + "\":1,\"" + std::string(60, 'k') + "\":2}") ==
        "the text's JSON has the same member name twice in one object");
  CHECK(strict_error(std::string(33, '[') + std::string(33, ']')) == "the text's JSON nests more than 32 levels deep");
  CHECK(strict_error(std::string("{}") + '\0') == "the text is not valid JSON");
  CHECK(strict_error("{") == "the text is not valid JSON");
  CHECK(strict_error(std::string(32, '[') + std::string(32, ']')) == "accepted");
  CHECK(strict_error(R"({"a":{"x":1},"b":{"x":1},"x":[{"x":0}]})") == "accepted");
}

TEST_CASE("a deep text is refused at depth 33 without recursing into the rest") {
  std::string deep(65536, '[');
  CHECK(strict_error(deep) == "the text's JSON nests more than 32 levels deep");
}

TEST_CASE("the transcript's status bodies are written and read as it says") {
  const auto& cases = transcript()["status_bodies"];
  int written = 0, read = 0;
  for (const auto& c : cases) {
    INFO(c["case"].get<std::string>());
    auto body = hex(c["plaintext_hex"]);
    REQUIRE(body.size() == kStatusBodyBytes);
    bool is_result = c["kind"] == "RESULT";
    if (c.contains("write")) {
      const auto& w = c["write"];
      auto reason = w["reason"].get<std::string>();
      CHECK(hex_encode(is_result ? result_body(w["accepted"].get<bool>(), reason) : abort_body(reason)) ==
            c["plaintext_hex"].get<std::string>());
      ++written;
    }
    if (is_result) {
      auto r = parse_result_body(body);
      REQUIRE(r);
      CHECK(r->accepted == c["read"]["accepted"].get<bool>());
      CHECK(r->reason == c["read"]["reason"].get<std::string>());
    } else {
      auto r = parse_abort_body(body);
      REQUIRE(r);
      CHECK(*r == c["read"]["reason"].get<std::string>());
    }
    ++read;
  }
  std::printf("cases: status bodies %d written, %d read\n", written, read);
}

TEST_CASE("every invalid status body of the transcript is refused by both readers with its message") {
  const auto& cases = transcript()["invalid_status_bodies"]["cases"];
  int refused = 0;
  for (const auto& c : cases) {
    INFO(c["why"].get<std::string>());
    auto body = hex(c["plaintext_hex"]);
    auto as_result = parse_result_body(body);
    auto as_abort = parse_abort_body(body);
    REQUIRE_FALSE(as_result);
    REQUIRE_FALSE(as_abort);
    CHECK(as_result.error().code == pairing::Errc::bad_frame);
    CHECK(as_result.error().message == c["message"].get<std::string>());
    CHECK(as_abort.error().message == c["message"].get<std::string>());
    ++refused;
  }
  CHECK(refused >= 18);
  std::printf("cases: invalid status bodies %d, all refused by both readers\n", refused);
}

TEST_CASE("status bodies are always 128 bytes, whatever the reason") {
  CHECK(result_body(true, "ignored").size() == kStatusBodyBytes);
  CHECK(as_chars(result_body(true, "ignored")).starts_with(R"({"accepted":true} )"));
  const std::size_t sizes[] = {0, 1, 97, 98, 99, 115, 116, 1000, 100000};
  for (std::size_t n : sizes) {
    INFO(n);
    for (std::string piece : {"a", "\xc3\xa9", "\xe2\x82\xac", "\xf0\x9f\x98\x80", "\n", "\x01", "\""}) {
      std::string reason;
      while (reason.size() < n) reason += piece;
      auto refused = result_body(false, reason);
      auto aborted = abort_body(reason);
      REQUIRE(refused.size() == kStatusBodyBytes);
      REQUIRE(aborted.size() == kStatusBodyBytes);
      auto back = parse_result_body(refused);
      REQUIRE(back);
      CHECK(std::string_view(reason).starts_with(back->reason));
      REQUIRE(parse_abort_body(aborted));
    }
  }
  // Invalid UTF-8 in a reason becomes U+FFFD rather than an unreadable body.
  CHECK(parse_abort_body(abort_body("bad \xff byte")).value() == "bad \xef\xbf\xbd byte");
}

TEST_CASE("the transcript's credential JSON cases are delivered or refused as it says") {
  const auto& rule = transcript()["credential_json_rule"];
  int valid = 0, invalid = 0;
  for (const auto& c : rule["valid"]) {
    INFO(c["why"].get<std::string>());
    auto r = unpad_credential(hex(c["plaintext_hex"]));
    REQUIRE(r);
    CHECK(as_chars(r->bytes.view()) == c["delivered"].get<std::string>());
    CHECK(r->is_string == c["is_string"].get<bool>());
    ++valid;
  }
  for (const auto& c : rule["invalid"]) {
    INFO(c["why"].get<std::string>());
    auto r = unpad_credential(hex(c["plaintext_hex"]));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == pairing::Errc::bad_credential);
    CHECK(r.error().message == c["message"].get<std::string>());
    ++invalid;
  }
  CHECK(invalid >= 19);
  std::printf("cases: credential JSON rule %d valid delivered, %d invalid refused\n", valid, invalid);
}

TEST_CASE("the sender's J meets the rule: no infinity, no nesting past 32") {
  auto inf = credential_json(nlohmann::json{{"n", std::numeric_limits<double>::infinity()}}, {});
  REQUIRE_FALSE(inf);
  CHECK_THAT(inf.error().message, Catch::Contains("not finite"));
  nlohmann::json deep = nlohmann::json::array();
  for (int i = 0; i < 31; ++i) deep = nlohmann::json::array({deep});
  auto too_deep = credential_json(deep, {});  // 32 arrays inside J's object
  REQUIRE_FALSE(too_deep);
  CHECK(too_deep.error().message == "the credential's JSON nests more than 32 levels deep");
  CHECK(credential_json(deep[0], {}));
}
