#include "tests/vectors/json_rule_cases.hpp"

#include <cstdio>
#include <cstdlib>
#include <string>

#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/frames.hpp"

namespace qrlogin::vectors {

using namespace qrlogin::pairing;
using nlohmann::ordered_json;

namespace {

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "generate_transcript: %s\n", what.c_str());
  std::exit(1);
}

std::string repeat(std::string_view piece, std::size_t times) {
  std::string out;
  for (std::size_t i = 0; i < times; ++i) out += piece;
  return out;
}

// `json` followed by `fill` up to `size` bytes (or cut to it).
Bytes padded_with(std::string_view json, char fill, std::size_t size = kStatusBodyBytes) {
  std::string text(json);
  text.resize(size, fill);
  return Bytes(text.begin(), text.end());
}

ordered_json read_result(const ResultBody& r) { return {{"accepted", r.accepted}, {"reason", r.reason}}; }

ordered_json status_case(std::string what, std::string_view kind, const Bytes& body) {
  ordered_json c = {{"case", std::move(what)}, {"kind", kind}};
  if (kind == "RESULT") {
    auto read = parse_result_body(body);
    if (!read) die(c["case"].get<std::string>() + ": " + read.error().message);
    c["plaintext_hex"] = hex_encode(body);
    c["read"] = read_result(*read);
  } else {
    auto read = parse_abort_body(body);
    if (!read) die(c["case"].get<std::string>() + ": " + read.error().message);
    c["plaintext_hex"] = hex_encode(body);
    c["read"] = {{"reason", *read}};
  }
  return c;
}

ordered_json written_result(std::string what, bool accepted, const std::string& reason) {
  auto c = status_case(std::move(what), "RESULT", result_body(accepted, reason));
  c["write"] = {{"accepted", accepted}, {"reason", reason}};
  return c;
}

ordered_json written_abort(std::string what, const std::string& reason) {
  auto c = status_case(std::move(what), "ABORT", abort_body(reason));
  c["write"] = {{"reason", reason}};
  return c;
}

ordered_json invalid_status(std::string why, const Bytes& body) {
  auto as_result = parse_result_body(body);
  auto as_abort = parse_abort_body(body);
  if (as_result || as_abort) die(why + ": a reader accepted it");
  if (as_result.error().message != as_abort.error().message) die(why + ": the two readers say different things");
  return {{"why", std::move(why)}, {"plaintext_hex", hex_encode(body)}, {"message", as_abort.error().message}};
}

Bytes credential_plaintext(ByteView json) {
  auto padded = pad_credential(json);
  if (!padded) die(padded.error().message);
  return Bytes(padded->view().begin(), padded->view().end());
}

ordered_json valid_credential(std::string why, std::string_view json) {
  auto plaintext = credential_plaintext(as_bytes(json));
  auto read = unpad_credential(plaintext);
  if (!read) die(why + ": " + read.error().message);
  return {{"why", std::move(why)},
          {"json", json},
          {"plaintext_hex", hex_encode(plaintext)},
          {"delivered", std::string(as_chars(read->bytes.view()))},
          {"is_string", read->is_string}};
}

ordered_json invalid_credential(std::string why, std::string_view json) {
  auto plaintext = credential_plaintext(as_bytes(json));
  auto read = unpad_credential(plaintext);
  if (read) die(why + ": unpad_credential accepted it");
  return {{"why", std::move(why)},
          {"json_hex", hex_encode(as_bytes(json))},
          {"plaintext_hex", hex_encode(plaintext)},
          {"message", read.error().message}};
}

}  // namespace

ordered_json status_bodies() {
  const std::string long_abort(200, 'x');
  return {
      written_result("RESULT accepted", true, ""),
      written_result("RESULT refused with a short reason", false, "unknown grant"),
      // 95 + 2 bytes fit the 98 a refusal leaves; the escaped newline does not.
      written_result("RESULT refused, the reason cut before an escape that does not fit", false,
                     std::string(95, 'r') + "\xc3\xa9\n and more"),
      // 96 bytes fit; the next character takes 3 and does not.
      written_result("RESULT refused, the reason cut before a character that does not fit", false,
                     std::string(96, 'r') + "\xe2\x82\xac"),
      // Escapes both libraries must write alike: short ones, \u00XX in lower
      // case, and DEL, U+2028 and non-ASCII as they are.
      written_result("RESULT refused, a reason with every kind of escape", false,
                     "q\" b\\ s/ t\t n\n r\r f\f b\b \x01\x1f del\x7f ls\xe2\x80\xa8 \xc3\xa9\xf0\x9f\x98\x80"),
      written_abort("ABORT", "sas_mismatch"),
      written_abort("ABORT, the reason cut to the 115 bytes it may take", long_abort),
      status_case("read: whitespace inside the object", "ABORT", padded_with(R"({ "reason" : "sas_mismatch" })", ' ')),
      status_case("read: members in another order, and one more", "RESULT",
                  padded_with(R"({"reason":"no","extra":[1,{"x":null}],"accepted":false})", ' ')),
      status_case("read: a surrogate pair escape", "ABORT", padded_with(R"({"reason":"\ud83d\ude00"})", ' ')),
      status_case("read: the same name in two objects", "ABORT",
                  padded_with(R"({"reason":"x","a":{"reason":1},"b":{"reason":2}})", ' ')),
      status_case("read: nesting 32 levels deep", "ABORT",
                  padded_with(R"({"reason":"x","a":)" + repeat("[", 31) + repeat("]", 31) + "}", ' ')),
      status_case("read: 128 bytes of JSON and no padding", "ABORT",
                  padded_with(R"({"reason":")" + std::string(115, 'x') + R"("})", ' ')),
  };
}

ordered_json invalid_status_bodies() {
  constexpr std::string_view kAbort = R"({"reason":"sas_mismatch"})";
  Bytes bom{0xef, 0xbb, 0xbf};
  auto with_bom = padded_with(std::string(as_chars(bom)) + std::string(kAbort), ' ');
  ordered_json cases = {
      invalid_status("127 bytes", padded_with(kAbort, ' ', 127)),
      invalid_status("129 bytes", padded_with(kAbort, ' ', 129)),
      invalid_status("a JSON object longer than 128 bytes, unpadded",
                     padded_with(R"({"reason":")" + std::string(121, 'x') + R"("})", ' ', 134)),
      invalid_status("NUL bytes where the spaces belong", padded_with(kAbort, '\0')),
      invalid_status("tabs where the spaces belong", padded_with(kAbort, '\t')),
      invalid_status("spaces before the object", padded_with(" " + std::string(kAbort), ' ')),
      invalid_status("only spaces", padded_with("", ' ')),
      invalid_status("valid JSON but not an object", padded_with(R"(["reason","sas_mismatch"])", ' ')),
      invalid_status("invalid UTF-8", padded_with("{\"reason\":\"\xff\"}", ' ')),
      invalid_status("a byte order mark before the object", with_bom),
      invalid_status("a lone high surrogate escape", padded_with(R"({"reason":"\ud800"})", ' ')),
      invalid_status("a lone low surrogate escape", padded_with(R"({"reason":"\udc00"})", ' ')),
      invalid_status("1e400", padded_with(R"({"reason":"x","n":1e400})", ' ')),
      invalid_status("-1e400", padded_with(R"({"reason":"x","n":-1e400})", ' ')),
      invalid_status("a member name twice", padded_with(R"({"reason":"user_cancelled","reason":"sas_mismatch"})", ' ')),
      invalid_status("a member name twice, once escaped", padded_with(R"({"reason":"x","\u0072eason":"y"})", ' ')),
      invalid_status("a member name twice in a nested object", padded_with(R"({"reason":"x","a":{"b":1,"b":2}})", ' ')),
      invalid_status("nesting 33 levels deep",
                     padded_with(R"({"reason":"x","a":)" + repeat("[", 32) + repeat("]", 32) + "}", ' ')),
  };
  return {{"description",
           "Every case is refused by the RESULT and the ABORT reader alike, with this message. In a pairing, "
           "as RESULT (the sender waits for it) or as ABORT after READY (either side), the pairing ends as shown."},
          {"as_result", {{"reason", "possible_attack"}, {"detail", "bad_message"}}},
          {"as_abort_after_ready", {{"reason", "possible_attack"}, {"detail", "unreadable"}}},
          {"cases", cases}};
}

ordered_json credential_json_rule() {
  ordered_json valid = {
      valid_credential("nesting 32 levels deep", R"({"credential":)" + repeat("[", 31) + repeat("]", 31) + "}"),
      valid_credential("the same name in two objects", R"({"credential":{"a":{"x":1},"b":{"x":2}}})"),
      valid_credential("a surrogate pair escape", R"({"credential":"\ud83d\ude00"})"),
      valid_credential("whitespace around J (JSON's own)", " \t\r\n{\"credential\":\"x\"}\n "),
      valid_credential("1e308 and 1e-400 are finite doubles", R"({"credential":"x","n":[1e308,1e-400]})"),
  };
  const std::string deep_arrays = R"({"credential":)" + repeat("[", 32) + repeat("]", 32) + "}";
  const std::string deep_objects = R"({"credential":)" + repeat(R"({"a":)", 32) + "1" + repeat("}", 32) + "}";
  ordered_json invalid = {
      invalid_credential("invalid UTF-8 (a lone continuation byte)", "{\"credential\":\"\x80\"}"),
      invalid_credential("invalid UTF-8 (an overlong '/')", "{\"credential\":\"\xc0\xaf\"}"),
      invalid_credential("invalid UTF-8 (an encoded surrogate)", "{\"credential\":\"\xed\xa0\x80\"}"),
      invalid_credential("invalid UTF-8 outside a string", "{\"credential\":1}\xff"),
      invalid_credential("a byte order mark before J", "\xef\xbb\xbf{\"credential\":\"x\"}"),
      invalid_credential("a NUL byte after J", std::string(R"({"credential":"x"})") + '\0' + "junk"),
      invalid_credential("a lone high surrogate escape", R"({"credential":"\ud800"})"),
      invalid_credential("a lone low surrogate escape", R"({"credential":"\udc00"})"),
      invalid_credential("a high surrogate escape followed by another escape", R"({"credential":"\ud800\u0041"})"),
      invalid_credential("a lone surrogate escape in a member name", R"({"credential":{"\udbff":1}})"),
      invalid_credential("1e400", R"({"credential":1e400})"),
      invalid_credential("-1e400", R"({"credential":-1e400})"),
      invalid_credential("an integer beyond a double's range", R"({"credential":1)" + std::string(400, '0') + "}"),
      invalid_credential("a member name twice at the top", R"({"credential":"a","credential":"b"})"),
      invalid_credential("the label twice", R"({"credential":"x","label":"a","label":"b"})"),
      invalid_credential("a member name twice in a nested object", R"({"credential":{"user":"alice","user":"mallory"}})"),
      invalid_credential("a member name twice, once escaped", R"({"credential":{"a":1,"\u0061":2}})"),
      invalid_credential("arrays nesting 33 levels deep", deep_arrays),
      invalid_credential("objects nesting 33 levels deep", deep_objects),
  };
  return {{"description",
           "J under the JSON rule, padded as a CREDENTIAL plaintext. Every invalid case is refused with this "
           "message; in a pairing the receiver ends as shown and delivers nothing."},
          {"in_pairing", {{"reason", "possible_attack"}, {"detail", "bad_credential"}}},
          {"valid", valid},
          {"invalid", invalid}};
}

}  // namespace qrlogin::vectors
