#include <catch2/catch.hpp>

#include <nlohmann/json.hpp>

#include "crypto/pairing/credential.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;
using qrlogin::test::hex;

TEST_CASE("padding boundary cases of the transcript are reproduced") {
  auto cases = test::load_vectors("transcript-v1.json")["padding"];
  REQUIRE(cases.size() == 3);
  for (const auto& c : cases) {
    auto json = c["json"].get<std::string>();
    REQUIRE(json.size() == c["json_length"].get<std::size_t>());
    auto padded = pad_credential(as_bytes(json));
    REQUIRE(padded);
    CHECK(padded->size() == c["padded_length"].get<std::size_t>());
    CHECK(hex_encode(padded->view()) == c["padded_hex"].get<std::string>());
    auto back = unpad_credential(padded->view());
    REQUIRE(back);
    CHECK(back->bytes.size() == json.size() - 17);
  }
  CHECK(cases[0]["padded_length"] == 256);
  CHECK(cases[1]["padded_length"] == 512);
  CHECK(cases[2]["padded_length"] == 65792);
}

TEST_CASE("every invalid padding case is refused with its reason") {
  auto cases = test::load_vectors("transcript-v1.json")["invalid_padding"];
  REQUIRE(cases.size() == 8);
  for (const auto& c : cases) {
    INFO(c["why"].get<std::string>());
    auto r = unpad_credential(hex(c["plaintext_hex"]));
    REQUIRE_FALSE(r);
    CHECK_FALSE(r.error().message.empty());
  }
}

TEST_CASE("J is compact, credential then label, and bounded") {
  auto j = credential_json(nlohmann::json{{"user", "alice"}, {"n", 1}}, "Laptop");
  REQUIRE(j);
  CHECK(as_chars(j->view()) == R"({"credential":{"n":1,"user":"alice"},"label":"Laptop"})");
  auto no_label = credential_json_from_text(as_bytes("line1\nline2"), {});
  CHECK(as_chars(no_label->view()) == R"({"credential":"line1\nline2"})");
  CHECK_FALSE(credential_json_from_text(Bytes{0xff, 0xfe}, {}));  // not UTF-8
}

TEST_CASE("a string credential comes back byte-identical, other values as compact JSON") {
  std::string text = "tab\there \"quoted\" \xc3\xa9 \n";
  auto j = credential_json_from_text(as_bytes(text), "x");
  auto back = unpad_credential(pad_credential(j->view()).value().view());
  REQUIRE(back);
  CHECK(back->is_string);
  CHECK(as_chars(back->bytes.view()) == text);
  CHECK(back->label == "x");
}

TEST_CASE("nesting and label rules") {
  std::string deep = R"({"credential":)" + std::string(40, '[') + std::string(40, ']') + "}";
  auto r = unpad_credential(pad_credential(as_bytes(deep)).value().view());
  REQUIRE_FALSE(r);
  CHECK_THAT(r.error().message, Catch::Contains("32 levels"));
  std::string brackets_in_string = R"({"credential":")" + std::string(40, '[') + R"("})";
  CHECK(unpad_credential(pad_credential(as_bytes(brackets_in_string)).value().view()));
  auto bad_label = unpad_credential(pad_credential(as_bytes(R"({"credential":1,"label":2})")).value().view());
  REQUIRE_FALSE(bad_label);
  CHECK_THAT(bad_label.error().message, Catch::Contains("label"));
}
