// Writes tests/vectors/code-v1.json: one pairing by a typed code with the
// contract's fixed inputs (protocol-code.md, "Test vectors"), its failure
// cases, the origin serializations and the code-entry cases, in the schema
// every implementation's test reads. Built from the primitives (crypto/cpace,
// HPKE mode_psk, the pairing frames and bodies), not from the machines, so
// that the machines are checked against it.
// Run once by a person (scripts/make-transcript); tests only read the file.
#include <cstdio>
#include <cstdlib>
#include <iostream>
#include <string>

#include <nlohmann/json.hpp>

#include "crypto/cpace.hpp"
#include "crypto/hash.hpp"
#include "crypto/hpke.hpp"
#include "crypto/internal.hpp"
#include "crypto/pairing/channel.hpp"
#include "crypto/pairing/code.hpp"
#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/frames.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/testing/scripted_rng.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;
using nlohmann::ordered_json;

namespace {

constexpr std::string_view kPageUrl = "https://login.example.com";
constexpr std::string_view kNameplate = "4821073";
constexpr std::string_view kPassword = "315906";
constexpr std::string_view kWrongPassword = "315907";
constexpr std::string_view kExpectedCid = "Sxh5uVdBYiZ9LptVN6V3Kg";
constexpr std::string_view kCredential = "grant_7f3a9c: single-use login grant for alice@example.com";
constexpr std::string_view kLabel = "Alice's phone";
constexpr std::string_view kCodeLabel = "qrlogin/v1 code";  // CI's first field, psk_id, info's prefix
constexpr std::string_view kAdR = "qrlogin/v1 R";
constexpr std::string_view kAdS = "qrlogin/v1 S";
constexpr std::uint8_t kPakeR = 0x07, kPakeS = 0x08, kConfirmR = 0x09;

// B.3.11's Y_i1 (draft-irtf-cfrg-cpace-21): not a ristretto255 encoding.
constexpr std::string_view kDraftInvalidPoint = "2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c";
// The field prime 2^255 - 19, little endian: a non-canonical encoding of 0.
constexpr std::string_view kNonCanonical = "edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f";
// An X25519 point of order 8 (RFC 7748's low-order list, as Wycheproof).
constexpr std::string_view kLowOrderX25519 = "e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800";

[[noreturn]] void die(const std::string& what) {
  std::fprintf(stderr, "generate_code: %s\n", what.c_str());
  std::exit(1);
}

template <class T>
T take(Result<T> r, const char* what) {
  if (!r) die(std::string(what) + ": " + r.error().message);
  return std::move(r).value();
}

Bytes from_hex(std::string_view text) { return take(hex_decode(text), "hex"); }

Bytes fixed(std::string_view label) {
  auto d = sha256({as_bytes("qrlogin/v1 code transcript "), as_bytes(label)});
  return Bytes(d.begin(), d.end());
}
Bytes scalar(std::string_view label) {
  auto y = fixed(label);
  y[31] &= 0x0F;
  return y;
}

Bytes frame(std::uint8_t type, std::initializer_list<ByteView> parts) {
  Bytes body = concat(parts);
  Bytes out{type};
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

std::string hex_of(const Secret& s) { return hex_encode(s.view()); }

Bytes ad(std::string_view label, ByteView key) { return concat({as_bytes(label), key}); }
Bytes ci_for(std::string_view app, ByteView cid_raw) {
  return cpace::lv_cat({as_bytes(kCodeLabel), as_bytes(app), cid_raw});
}

// What the sender puts in PAKE_S for a given password, sid and enc: its
// share under its own generator and tag_S under its own keys.
Bytes sender_pake_s(std::string_view password, ByteView ci, ByteView sid, ByteView yb, ByteView Ya, ByteView ada,
                    ByteView enc) {
  auto g = take(cpace::generator(as_bytes(password), ci, sid), "sender g");
  auto Yb = take(cpace::scalar_mult(yb, g.view()), "sender Yb");
  auto adb = ad(kAdS, enc);
  auto keys = take(cpace::derive_keys(cpace::Role::responder, yb, sid, Ya, ada, Yb, adb), "sender keys");
  auto tag_s = cpace::tag(keys.mac_key.view(), Yb, adb);
  return frame(kPakeS, {Yb, enc, tag_s});
}

ordered_json failure(std::string name, std::string to, ordered_json after, ByteView bytes, std::string expect) {
  return {{"name", std::move(name)}, {"to", std::move(to)}, {"after", std::move(after)},
          {"frame", hex_encode(bytes)}, {"expect", std::move(expect)}};
}

Bytes short_by_one(Bytes b) {
  b.pop_back();
  return b;
}
Bytes long_by_one(Bytes b) {
  b.push_back(0x00);
  return b;
}

std::string utf8(char32_t c) {
  std::string s;
  if (c < 0x80) {
    s += static_cast<char>(c);
  } else if (c < 0x800) {
    s += static_cast<char>(0xC0 | (c >> 6));
    s += static_cast<char>(0x80 | (c & 0x3F));
  } else {
    s += static_cast<char>(0xE0 | (c >> 12));
    s += static_cast<char>(0x80 | ((c >> 6) & 0x3F));
    s += static_cast<char>(0x80 | (c & 0x3F));
  }
  return s;
}

std::string entry_result(std::string_view input) {
  auto parsed = parse_typed_code(input);
  if (!parsed) return error_name(parsed.error().code);
  return std::string(parsed->digits());
}

ordered_json entry_cases(std::string_view code) {
  ordered_json cases = ordered_json::array();
  auto add = [&](const std::string& input, const char* expect) {
    auto result = entry_result(input);
    if (expect && result != expect) die("entry case '" + input + "' gives " + result + ", not " + expect);
    cases.push_back({{"input", input}, {"result", result}});
  };
  std::string digits(code), nameplate = digits.substr(0, 7), rest = digits.substr(7);
  add("482 1073 - 315 9065", "48210733159065");
  add(digits, "48210733159065");
  // Every separator and invisible character the contract drops, between N and P.
  std::vector<char32_t> dropped = {U' ', U'\t', U'\r', U'\n', 0x00A0, 0x202F, 0x3000, U'-', 0x2212, 0xFF0D,
                                   0x00AD, 0x2060, 0xFEFF};
  for (char32_t c = 0x2000; c <= 0x200A; ++c) dropped.push_back(c);
  for (char32_t c = 0x2010; c <= 0x2015; ++c) dropped.push_back(c);
  for (char32_t c = 0x200B; c <= 0x200F; ++c) dropped.push_back(c);
  for (char32_t c = 0x202A; c <= 0x202E; ++c) dropped.push_back(c);
  for (char32_t c = 0x2066; c <= 0x2069; ++c) dropped.push_back(c);
  for (char32_t c : dropped) add(nameplate + utf8(c) + rest, "48210733159065");
  // Each digit script, whole and mixed with ASCII.
  for (char32_t zero : {char32_t{0xFF10}, char32_t{0x0660}, char32_t{0x06F0}}) {
    std::string whole, half;
    for (std::size_t i = 0; i < digits.size(); ++i) {
      auto d = static_cast<char32_t>(digits[i] - '0');
      whole += utf8(zero + d);
      half += i % 2 ? utf8(zero + d) : std::string(1, digits[i]);
    }
    add(whole, "48210733159065");
    add(half, "48210733159065");
  }
  add(digits.substr(0, 13), "code_length");
  add(digits + "0", "code_length");
  add(digits.substr(0, 10) + "O" + digits.substr(11), "code_chars");  // a letter O for a zero
  add(digits + "a", "code_chars");
  // All 126 single-digit substitutions and every adjacent transposition.
  for (std::size_t i = 0; i < digits.size(); ++i)
    for (char d = '0'; d <= '9'; ++d) {
      if (d == digits[i]) continue;
      std::string typo = digits;
      typo[i] = d;
      add(typo, "code_check");
    }
  for (std::size_t i = 0; i + 1 < digits.size(); ++i) {
    if (digits[i] == digits[i + 1]) continue;
    std::string swapped = digits;
    std::swap(swapped[i], swapped[i + 1]);
    add(swapped, "code_check");
  }
  return cases;
}

ordered_json draw(const char* what, std::uint32_t u) {
  auto value = std::string_view(what) == "nameplate" ? nameplate_from_draw(u) : password_from_draw(u);
  ordered_json d = {{"what", what}, {"bytes", hex_encode(i2osp(u, 4))}, {"accepted", value.has_value()}};
  if (value) d["value"] = *value;
  return d;
}

}  // namespace

int main() {
  ordered_json out;
  out["description"] =
      "qrlogin v1 typed-code transcript: one pairing by a typed code with fixed inputs, its failures, the "
      "origin serializations and the code-entry cases (generated by tests/vectors/generate_code.cpp; do not edit)";
  out["suite"] = {{"cpace", "CPACE-RISTR255-SHA512"}, {"cpace_draft", "draft-irtf-cfrg-cpace-21"},
                  {"kem_id", hpke::kKemX25519Sha256}, {"kdf_id", hpke::kKdfHkdfSha256},
                  {"aead_id", static_cast<int>(kAead)}, {"hpke_mode", hpke::kModePsk}};

  auto skR = fixed("skR"), skE = fixed("skE"), ya = scalar("ya"), yb = scalar("yb");
  auto sid_full = fixed("sid");
  Bytes sid(sid_full.begin(), sid_full.begin() + 16);
  out["inputs"] = {{"page_url", kPageUrl},        {"nameplate", kNameplate}, {"password", kPassword},
                   {"skR", hex_encode(skR)},      {"skE", hex_encode(skE)},  {"sid", hex_encode(sid)},
                   {"ya", hex_encode(ya)},        {"yb", hex_encode(yb)},    {"credential", kCredential},
                   {"label", kLabel}};

  // The code and its forms.
  std::string np = std::string(kNameplate) + std::string(kPassword);
  std::string digits = np + std::to_string(damm(np));
  Code code{SecretString::copy_of(digits)};
  if (damm(digits) != 0) die("the check digit does not check");
  out["code"] = digits;
  out["check_digit"] = digits.substr(13);
  out["display"] = std::string(code.display().view());
  out["spoken"] = std::string(code.spoken().view());

  auto app = take(page_origin(kPageUrl), "origin");
  auto cid = code_channel_id(kNameplate);
  if (cid.text != kExpectedCid) die("cid is " + cid.text + ", the contract says " + std::string(kExpectedCid));
  out["app"] = app;
  out["cid_raw"] = hex_encode(cid.raw);
  out["cid"] = cid.text;

  auto receiver_keys = take(x25519::from_secret(skR), "skR");
  auto sender_keys = take(x25519::from_secret(skE), "skE");
  const auto& pkR = receiver_keys.public_key;
  const auto& enc = sender_keys.public_key;
  out["pkR"] = hex_encode(pkR);
  out["enc"] = hex_encode(enc);

  // CPace.
  auto prs = as_bytes(kPassword);
  auto ci = ci_for(app, cid.raw);
  out["prs"] = hex_encode(prs);
  out["ci"] = hex_encode(ci);
  out["gen_str"] = hex_of(cpace::generator_string(prs, ci, sid));
  out["gen_hash"] = hex_of(cpace::generator_hash(prs, ci, sid));
  auto g = take(cpace::generator(prs, ci, sid), "g");
  out["g"] = hex_of(g);
  auto Ya = take(cpace::scalar_mult(ya, g.view()), "Ya");
  auto Yb = take(cpace::scalar_mult(yb, g.view()), "Yb");
  auto ada = ad(kAdR, pkR), adb = ad(kAdS, enc);
  out["Ya"] = hex_encode(Ya);
  out["ADa"] = hex_encode(ada);
  out["Yb"] = hex_encode(Yb);
  out["ADb"] = hex_encode(adb);
  auto K = take(cpace::scalar_mult_vfy(ya, Yb), "K");
  if (hex_of(K) != hex_of(take(cpace::scalar_mult_vfy(yb, Ya), "K at S"))) die("the two sides' K differ");
  auto isk = cpace::isk(sid, K.view(), Ya, ada, Yb, adb);
  auto mac_key = cpace::mac_key(sid, isk.view());
  auto tag_r = cpace::tag(mac_key.view(), Ya, ada);
  auto tag_s = cpace::tag(mac_key.view(), Yb, adb);
  auto psk = cpace::psk(isk.view());
  out["K"] = hex_of(K);
  out["ISK"] = hex_of(isk);
  out["mac_key"] = hex_of(mac_key);
  out["tag_R"] = hex_encode(tag_r);
  out["tag_S"] = hex_encode(tag_s);
  out["psk"] = hex_of(psk);
  auto psk_id = as_bytes(kCodeLabel);
  auto info = concat({as_bytes(kCodeLabel), cid.raw});
  out["psk_id"] = hex_encode(psk_id);
  out["info"] = hex_encode(info);

  // HPKE mode_psk: both sides' key schedules must agree.
  auto sender_context = [&] {
    testing::ScriptedRng rng;
    rng.push(skE);
    return take(internal::hpke_setup_psk_sender(kAead, internal::hpke_ephemeral_key(rng), pkR, info, psk.view(),
                                                psk_id, nullptr),
                "SetupPSKS");
  };
  auto receiver_context = [&](internal::KeyScheduleTrace* trace) {
    return take(internal::hpke_setup_psk_receiver(kAead, enc, skR, info, psk.view(), psk_id, trace), "SetupPSKR");
  };
  internal::KeyScheduleTrace trace;
  auto ctx_r = receiver_context(&trace);
  auto setup_s = sender_context();
  if (hex_encode(setup_s.enc) != hex_encode(enc)) die("enc differs");
  out["hpke"] = {{"key", hex_of(trace.key)},
                 {"base_nonce", hex_of(trace.base_nonce)},
                 {"exporter_secret", hex_of(trace.exporter_secret)}};
  out["exports"] = {
      {"response_key", hex_of(take(ctx_r.export_secret(as_bytes(kLabelResponseKey), 32), "key_r"))},
      {"response_nonce", hex_of(take(ctx_r.export_secret(as_bytes(kLabelResponseNonce), 12), "nonce_r"))}};

  auto j = take(credential_json_from_text(as_bytes(kCredential), kLabel), "credential");
  auto padded = take(pad_credential(j.view()), "pad");
  out["credential_json"] = std::string(as_chars(j.view()));
  out["credential_plaintext_hex"] = hex_of(padded);
  out["result_json"] = R"({"accepted":true})";
  auto result_plain = result_body(true, "");
  out["result_plaintext_hex"] = hex_encode(result_plain);

  auto pake_r = frame(kPakeR, {sid, Ya, pkR});
  auto pake_s = frame(kPakeS, {Yb, enc, tag_s});
  auto confirm_r = frame(kConfirmR, {tag_r});
  auto credential = take(seal_frame(setup_s.context, MessageType::credential, padded.view()), "CREDENTIAL");
  auto opened = take(open_frame(ctx_r, credential), "open CREDENTIAL");
  if (hex_of(opened) != hex_of(padded)) die("CREDENTIAL does not open to J");
  auto response_r = take(response_aead(ctx_r), "response at R");
  auto result = take(seal_frame(response_r, MessageType::result, result_plain), "RESULT");
  auto response_s = take(response_aead(setup_s.context), "response at S");
  if (hex_of(take(open_frame(response_s, result), "open RESULT")) != hex_encode(result_plain))
    die("RESULT does not open at S");
  if (pake_r.size() != 81 || pake_s.size() != 129 || confirm_r.size() != 65 || credential.size() != 273 ||
      result.size() != 145)
    die("a frame has the wrong size");
  out["frames"] = {{{"type", "PAKE_R"}, {"from", "receiver"}, {"hex", hex_encode(pake_r)}},
                   {{"type", "PAKE_S"}, {"from", "sender"}, {"hex", hex_encode(pake_s)}},
                   {{"type", "CONFIRM_R"}, {"from", "receiver"}, {"hex", hex_encode(confirm_r)}},
                   {{"type", "CREDENTIAL"}, {"from", "sender"}, {"hex", hex_encode(credential)}},
                   {{"type", "RESULT"}, {"from", "receiver"}, {"hex", hex_encode(result)}}};

  // The two ABORTs, each as the first message its sender seals.
  auto cancelled = abort_body("user_cancelled");
  {
    auto ctx = receiver_context(nullptr);
    auto response = take(response_aead(ctx), "response");
    out["receiver_abort"] = {{"reason", "user_cancelled"},
                             {"body_hex", hex_encode(cancelled)},
                             {"hex", hex_encode(take(seal_frame(response, MessageType::abort, cancelled), "ABORT"))}};
  }
  {
    auto setup = sender_context();
    out["sender_abort"] = {
        {"reason", "user_cancelled"},
        {"body_hex", hex_encode(cancelled)},
        {"hex", hex_encode(take(seal_frame(setup.context, MessageType::abort, cancelled), "ABORT"))}};
  }

  // Failures.
  ordered_json failures = ordered_json::array();
  auto none = ordered_json::array();
  failures.push_back(failure("wrong password typed on the sender (315907)", "receiver", none,
                             sender_pake_s(kWrongPassword, ci, sid, yb, Ya, ada, enc), "wrong_code"));
  failures.push_back(failure("Yb is 32 zero bytes", "receiver", none, frame(kPakeS, {Bytes(32, 0), enc, tag_s}),
                             "bad_key"));
  failures.push_back(failure("Yb is B.3.11 Y_i1", "receiver", none,
                             frame(kPakeS, {from_hex(kDraftInvalidPoint), enc, tag_s}), "bad_key"));
  failures.push_back(failure("enc is 32 zero bytes with a valid tag_S", "receiver", none,
                             sender_pake_s(kPassword, ci, sid, yb, Ya, ada, Bytes(32, 0)), "bad_key"));
  {
    auto other = fixed("other sid");
    Bytes other_sid(other.begin(), other.begin() + 16);
    failures.push_back(failure("PAKE_S under another sid", "receiver", none,
                               sender_pake_s(kPassword, ci, other_sid, yb, Ya, ada, enc), "wrong_code"));
  }
  auto flipped = tag_r;
  flipped[0] ^= 0x01;
  failures.push_back(failure("tag_R with a flipped bit", "sender", {"PAKE_R"}, frame(kConfirmR, {flipped}),
                             "wrong_code"));
  failures.push_back(failure("CONFIRM_R equal to tag_S", "sender", {"PAKE_R"}, frame(kConfirmR, {tag_s}),
                             "wrong_code"));
  failures.push_back(failure("Ya is the identity", "sender", none, frame(kPakeR, {sid, Bytes(32, 0), pkR}),
                             "bad_key"));
  failures.push_back(failure("Ya is not canonical", "sender", none,
                             frame(kPakeR, {sid, from_hex(kNonCanonical), pkR}), "bad_key"));
  failures.push_back(failure("pkR is a low-order point", "sender", none,
                             frame(kPakeR, {sid, Ya, from_hex(kLowOrderX25519)}), "bad_key"));
  auto hello = make_hello(enc, commitment(cid, enc, fixed("Ns")));
  failures.push_back(failure("HELLO to a code receiver", "receiver", none, hello, "unexpected_message"));
  failures.push_back(failure("PAKE_R to a QR sender", "qr_sender", none, pake_r, "unexpected_message"));
  failures.push_back(failure("PAKE_R one byte short", "sender", none, short_by_one(pake_r), "bad_message"));
  failures.push_back(failure("PAKE_R one byte long", "sender", none, long_by_one(pake_r), "bad_message"));
  failures.push_back(failure("PAKE_S one byte short", "receiver", none, short_by_one(pake_s), "bad_message"));
  failures.push_back(failure("PAKE_S one byte long", "receiver", none, long_by_one(pake_s), "bad_message"));
  failures.push_back(failure("CONFIRM_R one byte short", "sender", {"PAKE_R"}, short_by_one(confirm_r),
                             "bad_message"));
  failures.push_back(failure("CONFIRM_R one byte long", "sender", {"PAKE_R"}, long_by_one(confirm_r),
                             "bad_message"));
  failures.push_back(failure("CREDENTIAL one byte below its minimum (272)", "receiver", {"PAKE_S"},
                             short_by_one(credential), "bad_message"));
  out["failures"] = failures;

  // Origins: what app becomes for each page URL, and the CI it gives.
  ordered_json origins = ordered_json::array();
  std::string long_host = std::string(60, 'a') + "." + std::string(60, 'b') + ".example";
  for (std::string page : {std::string(kPageUrl), std::string("https://LOGIN.Example.com:443/pair?x"),
                           std::string("http://127.0.0.1:8080/pair"), "https://" + long_host + "/"}) {
    auto origin = take(page_origin(page), "origin");
    auto origin_ci = ci_for(origin, cid.raw);
    if (origin.size() >= 128 && origin_ci[16] < 0x80) die("the long origin's length is not two bytes");
    origins.push_back({{"page_url", page}, {"app", origin}, {"ci", hex_encode(origin_ci)}});
  }
  if (origins[1]["app"] != app) die("https://LOGIN.Example.com:443/pair?x is not the same origin");
  if (origins[3]["app"].get<std::string>().size() < 128) die("the long origin is too short");
  out["origins"] = origins;

  // Code entry.
  ordered_json entry;
  entry["damm_table"] = {"0317598642", "7092154863", "4206871359", "1750983426", "6123045978",
                         "3674209581", "5869720134", "8945362017", "9438617205", "2581436790"};
  // The table as damm() uses it: one digit d reaches row T[0][d], so the
  // two digits d c must give T[T[0][d]][c].
  const auto& table = entry["damm_table"];
  for (char d = '0'; d <= '9'; ++d) {
    int row = table[0].get<std::string>()[static_cast<std::size_t>(d - '0')] - '0';
    for (char c = '0'; c <= '9'; ++c)
      if (damm(std::string{d, c}) != table[static_cast<std::size_t>(row)].get<std::string>()[static_cast<std::size_t>(c - '0')] - '0')
        die("damm() and the contract's table differ");
  }
  entry["cases"] = entry_cases(digits);
  entry["draws"] = {draw("nameplate", kNameplateDrawBound - 1), draw("nameplate", kNameplateDrawBound),
                    draw("password", kPasswordDrawBound - 1), draw("password", kPasswordDrawBound),
                    draw("nameplate", 0), draw("password", 0)};
  out["entry"] = entry;

  std::cout << out.dump(2, ' ', true) << "\n";
  return 0;
}
