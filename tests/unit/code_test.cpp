// The typed code (docs/protocol.md, "Pairing by a typed code"): what a
// person sees and types. tests/vectors/code-v1.json's `entry` section is
// checked by the vector tests; these are the rules behind it.
#include <catch2/catch.hpp>

#include <set>
#include <string>

#include "crypto/pairing/code.hpp"
#include "crypto/pairing/link.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;

namespace {

const std::string kExample = "48210733159065";  // N 4821073, P 315906, C 5

std::string parsed(std::string_view typed) {
  auto code = parse_typed_code(typed);
  REQUIRE(code);
  return std::string(code->digits());
}

std::string refusal(std::string_view typed) {
  auto code = parse_typed_code(typed);
  REQUIRE_FALSE(code);
  CHECK(code.error().code.category() == code_error_category());
  return error_name(code.error().code);
}

}  // namespace

TEST_CASE("the contract's example code: its check digit, display, spoken form and channel") {
  CHECK(damm("4821073315906") == 5);
  CHECK(damm(kExample) == 0);
  auto code = parse_typed_code(kExample);
  REQUIRE(code);
  CHECK(code->nameplate() == "4821073");
  CHECK(code->password() == "315906");
  CHECK(code->display().view() == "482 1073 - 315 9065");
  CHECK(code->spoken().view() == "4 8 2, 1 0 7 3, 3 1 5, 9 0 6 5");
  CHECK(code_channel_id("4821073").text == "Sxh5uVdBYiZ9LptVN6V3Kg");
}

TEST_CASE("typed codes: the displayed form and every separator the contract lists are dropped") {
  CHECK(parsed("482 1073 - 315 9065") == kExample);
  CHECK(parsed("  4821073\t315906\r\n5 ") == kExample);
  // NBSP, en quad .. hair space, narrow NBSP, ideographic space, hyphen ..
  // horizontal bar, minus sign, full-width hyphen-minus.
  for (const char* separator : {"\u00A0", "\u2000", "\u2005", "\u200A", "\u202F", "\u3000", "\u2010", "\u2013",
                                "\u2015", "\u2212", "\uFF0D"})
    CHECK(parsed("482" + std::string(separator) + "10733159065") == kExample);
  // The invisible characters copy and paste carry.
  for (const char* invisible : {"\u00AD", "\u200B", "\u200E", "\u200F", "\u202A", "\u202E", "\u2060", "\u2066",
                                "\u2069", "\uFEFF"})
    CHECK(parsed(std::string(invisible) + "4821073315906" + invisible + "5") == kExample);
}

TEST_CASE("typed codes: full-width and Arabic-Indic digits are the same digits") {
  CHECK(parsed("\uFF14\uFF18\uFF12\uFF11\uFF10\uFF17\uFF13\uFF13\uFF11\uFF15\uFF19\uFF10\uFF16\uFF15") == kExample);
  CHECK(parsed("\u0664\u0668\u0662\u0661\u0660\u0667\u0663\u0663\u0661\u0665\u0669\u0660\u0666\u0665") == kExample);
  CHECK(parsed("\u06F4\u06F8\u06F2\u06F1\u06F0\u06F7\u06F3\u06F3\u06F1\u06F5\u06F9\u06F0\u06F6\u06F5") == kExample);
}

TEST_CASE("typed codes: another character, the wrong length and a typo are refused before anything is sent") {
  CHECK(refusal("482 1073 - 315 906a") == "code_chars");
  CHECK(refusal("482.1073.315.9065") == "code_chars");
  CHECK(refusal("\uFF21") == "code_chars");          // full-width A
  CHECK(refusal("4821073315906\xC0\x80") == "code_chars");  // an overlong NUL
  CHECK(refusal("48210733159\xE2\x80") == "code_chars");   // cut off mid-character
  CHECK(refusal("4821073315906") == "code_length");
  CHECK(refusal("482107331590650") == "code_length");
  CHECK(refusal("") == "code_length");
  CHECK(refusal("48210733159066") == "code_check");
  auto typo = parse_typed_code("48210733159066");
  REQUIRE_FALSE(typo);
  CHECK(typo.error().message.find("typo") != std::string::npos);
}

TEST_CASE("the check digit catches every one-digit typo and every swap of neighbouring digits of the example") {
  int substitutions = 0, transpositions = 0;
  for (std::size_t i = 0; i < kExample.size(); ++i) {
    for (char d = '0'; d <= '9'; ++d) {
      if (d == kExample[i]) continue;
      auto typo = kExample;
      typo[i] = d;
      CHECK(refusal(typo) == "code_check");
      ++substitutions;
    }
    if (i + 1 < kExample.size() && kExample[i] != kExample[i + 1]) {
      auto swapped = kExample;
      std::swap(swapped[i], swapped[i + 1]);
      CHECK(refusal(swapped) == "code_check");
      ++transpositions;
    }
  }
  CHECK(substitutions == 126);
  CHECK(transpositions == 12);  // 13 neighbours, one pair equal (the two 3s)
}

TEST_CASE("draws: a value at its bound is drawn again, one below it is used with its leading zeros") {
  CHECK_FALSE(nameplate_from_draw(kNameplateDrawBound));
  CHECK_FALSE(nameplate_from_draw(0xFFFFFFFFU));
  CHECK(nameplate_from_draw(kNameplateDrawBound - 1) == "9999999");
  CHECK(nameplate_from_draw(7) == "0000007");
  CHECK_FALSE(password_from_draw(kPasswordDrawBound));
  CHECK(password_from_draw(kPasswordDrawBound - 1) == "999999");
  CHECK(password_from_draw(1'000'042) == "000042");
}

TEST_CASE("drawn codes are valid, distinct and parse back to themselves") {
  std::set<std::string> nameplates;
  for (int i = 0; i < 64; ++i) {
    auto code = draw_code();
    REQUIRE(code.digits().size() == kCodeDigits);
    CHECK(damm(code.digits()) == 0);
    CHECK(parsed(code.display().view()) == code.digits());
    nameplates.insert(code.nameplate());
  }
  CHECK(nameplates.size() > 60);  // 64 draws from 10^7: a repeat is a 0.02 % event
}

TEST_CASE("the application's origin: lower case, no default port, no path") {
  CHECK(page_origin("https://LOGIN.Example.com:443/pair?x").value() == "https://login.example.com");
  CHECK(page_origin("https://login.example.com").value() == "https://login.example.com");
  CHECK(page_origin("https://login.example.com:8443/").value() == "https://login.example.com:8443");
  CHECK(page_origin("HTTP://127.0.0.1:80/pair").value() == "http://127.0.0.1");
  CHECK(page_origin("http://localhost:08080/pair").value() == "http://localhost:8080");
  CHECK(page_origin("http://[::1]:8080/").value() == "http://[::1]:8080");
  CHECK_FALSE(page_origin("http://login.example.com/"));  // plain http off loopback, as for links
  CHECK_FALSE(page_origin("ftp://login.example.com/"));
}
