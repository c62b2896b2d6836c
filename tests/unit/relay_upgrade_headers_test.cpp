// The channel upgrade's header checks (relay/core/upgrade_headers): what a
// client offering subprotocols, a resume token and an Origin gets.
#include <catch2/catch.hpp>
#include <string>
#include <variant>
#include <vector>

#include "relay/core/upgrade_headers.hpp"

namespace qrlogin::relay {
namespace {

const std::vector<std::string> kAllowed = {"https://relay.example", "http://127.0.0.1:8080"};

UpgradeOffer accepted(const UpgradeHeaders& headers, const std::vector<std::string>& allowed = kAllowed) {
  auto result = check_upgrade_headers(headers, allowed);
  REQUIRE(std::holds_alternative<UpgradeOffer>(result));
  return std::get<UpgradeOffer>(result);
}

UpgradeRefusal refused(const UpgradeHeaders& headers, const std::vector<std::string>& allowed = kAllowed) {
  auto result = check_upgrade_headers(headers, allowed);
  REQUIRE(std::holds_alternative<UpgradeRefusal>(result));
  return std::get<UpgradeRefusal>(result);
}

const std::string kToken(43, 'A');

UpgradeHeaders origin_only(std::string_view origin) {
  UpgradeHeaders headers;
  headers.origin = origin;
  return headers;
}
UpgradeHeaders protocols_only(std::string_view protocols) {
  UpgradeHeaders headers;
  headers.protocols = protocols;
  return headers;
}

TEST_CASE("upgrade headers: no Origin and no subprotocol (curl) is accepted without a subprotocol answer") {
  auto offer = accepted({});
  CHECK_FALSE(offer.answer_subprotocol);
  CHECK_FALSE(offer.resume_token);
}

TEST_CASE("upgrade headers: an allowed Origin, in any ASCII case; any other is forbidden_origin") {
  CHECK_FALSE(accepted(origin_only("https://relay.example")).answer_subprotocol);
  accepted(origin_only("HTTPS://Relay.Example"));
  accepted(origin_only("http://127.0.0.1:8080"));
  for (std::string_view origin : {"https://relay.example.evil", "https://relay.exampl", "https://relay.example/",
                                  "http://relay.example", "null", ""}) {
    CAPTURE(origin);
    CHECK(refused(origin_only(origin)) == UpgradeRefusal::forbidden_origin);
  }
  CHECK(refused(origin_only("https://relay.example"), {}) == UpgradeRefusal::forbidden_origin);
}

TEST_CASE("upgrade headers: the Origin is checked first, before the subprotocol") {
  CHECK(refused(UpgradeHeaders{"https://evil.example", "chat"}) == UpgradeRefusal::forbidden_origin);
}

TEST_CASE("upgrade headers: Sec-WebSocket-Protocol must list qrlogin.v1") {
  CHECK(accepted(protocols_only("qrlogin.v1")).answer_subprotocol);
  CHECK(accepted(protocols_only("chat,  qrlogin.v1 , other")).answer_subprotocol);
  for (std::string_view protocols : {"", "chat", "qrlogin.v2", "qrlogin.v1x", "Qrlogin.v1", "qrlogin.v1;q=1",
                                     "\tqrlogin.v1"}) {
    CAPTURE(protocols);
    CHECK(refused(protocols_only(protocols)) == UpgradeRefusal::no_subprotocol);
  }
}

TEST_CASE("upgrade headers: one qrlogin.resume.<token> gives the token, as a view into the header") {
  std::string header = "qrlogin.v1, qrlogin.resume." + kToken;
  auto offer = accepted(protocols_only(header));
  REQUIRE(offer.resume_token);
  CHECK(*offer.resume_token == kToken);
  CHECK(offer.resume_token->data() == header.data() + header.find(kToken));

  std::string first = "qrlogin.resume.abc-_09 ,qrlogin.v1";
  CHECK(accepted(protocols_only(first)).resume_token == std::string_view("abc-_09"));
  std::string longest = "qrlogin.v1, qrlogin.resume." + std::string(kMaxResumeTokenChars, 'z');
  CHECK(accepted(protocols_only(longest)).resume_token->size() == kMaxResumeTokenChars);
  CHECK_FALSE(accepted(protocols_only("qrlogin.v1, x-qrlogin.resume.abc")).resume_token);
}

TEST_CASE("upgrade headers: two resume entries or a bad token are refused") {
  for (const std::string& protocols :
       {"qrlogin.v1, qrlogin.resume." + kToken + ", qrlogin.resume." + kToken, std::string("qrlogin.v1, qrlogin.resume."),
        "qrlogin.v1, qrlogin.resume." + std::string(kMaxResumeTokenChars + 1, 'z'),
        std::string("qrlogin.v1, qrlogin.resume.abc+/="), std::string("qrlogin.v1, qrlogin.resume.a b")}) {
    CAPTURE(protocols);
    CHECK(refused(protocols_only(protocols)) == UpgradeRefusal::bad_resume_token);
  }
  // Without qrlogin.v1 the subprotocol is the reason, whatever the token.
  CHECK(refused(protocols_only("qrlogin.resume.abc")) == UpgradeRefusal::no_subprotocol);
}

TEST_CASE("upgrade headers: each refusal's response, which never echoes the request") {
  auto origin = refusal_response(UpgradeRefusal::forbidden_origin);
  CHECK(origin.status == 403);
  CHECK(origin.code == "forbidden_origin");
  CHECK(origin.message == "this relay does not serve pages of that origin");
  auto subprotocol = refusal_response(UpgradeRefusal::no_subprotocol);
  CHECK(subprotocol.status == 400);
  CHECK(subprotocol.code == "bad_request");
  CHECK(subprotocol.message == "the WebSocket subprotocol must include qrlogin.v1");
  auto token = refusal_response(UpgradeRefusal::bad_resume_token);
  CHECK(token.status == 400);
  CHECK(token.code == "bad_request");
  CHECK(token.message == "at most one qrlogin.resume.<token>, a base64url token");
}

}  // namespace
}  // namespace qrlogin::relay
