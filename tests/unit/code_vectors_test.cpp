// tests/vectors/code-v1.json recomputed from its inputs with the primitives
// (crypto/cpace, HPKE mode_psk, the frame and body helpers, the code format):
// every value, every frame, and for each failure case both its frame and the
// outcome the primitives give it. The machines are tested against the same
// file elsewhere; this test pins the file to the contract's formulas.
#include <catch2/catch.hpp>

#include <cstdio>
#include <functional>
#include <map>
#include <string>

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
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;
using qrlogin::test::hex;
using nlohmann::json;

namespace {

const json& doc() {
  static const json d = test::load_vectors("code-v1.json");
  return d;
}
std::string str(const json& v) { return v.get<std::string>(); }
std::string hex_of(const Secret& s) { return hex_encode(s.view()); }

constexpr std::string_view kCodeLabel = "qrlogin/v1 code";

Bytes fixed(std::string_view label) {
  auto d = sha256({as_bytes("qrlogin/v1 code transcript "), as_bytes(label)});
  return Bytes(d.begin(), d.end());
}

Bytes ad(std::string_view label, ByteView key) { return concat({as_bytes(label), key}); }
Bytes ci_for(std::string_view app, ByteView cid_raw) {
  return cpace::lv_cat({as_bytes(kCodeLabel), as_bytes(app), cid_raw});
}
Bytes frame(std::uint8_t type, std::initializer_list<ByteView> parts) {
  Bytes out{type};
  Bytes body = concat(parts);
  out.insert(out.end(), body.begin(), body.end());
  return out;
}

// The pairing recomputed from the inputs.
struct Pairing {
  Bytes skR, skE, sid, ya, yb;
  std::string app;
  ChannelId cid;
  x25519::PublicKey pkR{}, enc{};
  Bytes prs, ci, ada, adb, info;
  cpace::Point Ya{}, Yb{};
  cpace::Tag tag_r{}, tag_s{};
  Secret psk;

  Pairing() {
    const auto& in = doc()["inputs"];
    skR = hex(in["skR"]);
    skE = hex(in["skE"]);
    sid = hex(in["sid"]);
    ya = hex(in["ya"]);
    yb = hex(in["yb"]);
    app = page_origin(str(in["page_url"])).value();
    cid = code_channel_id(str(in["nameplate"]));
    pkR = x25519::from_secret(skR)->public_key;
    enc = x25519::from_secret(skE)->public_key;
    prs = test::to_bytes(as_bytes(str(in["password"])));
    ci = ci_for(app, cid.raw);
    ada = ad("qrlogin/v1 R", pkR);
    adb = ad("qrlogin/v1 S", enc);
    info = concat({as_bytes(kCodeLabel), cid.raw});
    auto g = cpace::generator(prs, ci, sid);
    REQUIRE(g);
    Ya = cpace::scalar_mult(ya, g->view()).value();
    Yb = cpace::scalar_mult(yb, g->view()).value();
    auto keys = cpace::derive_keys(cpace::Role::initiator, ya, sid, Ya, ada, Yb, adb);
    REQUIRE(keys);
    tag_r = cpace::tag(keys->mac_key.view(), Ya, ada);
    tag_s = cpace::tag(keys->mac_key.view(), Yb, adb);
    psk = std::move(keys->psk);
  }

  [[nodiscard]] hpke::SenderSetup sender_setup(ByteView pk_receiver) const {
    testing::ScriptedRng rng;
    rng.push(skE);
    auto s = internal::hpke_setup_psk_sender(kAead, internal::hpke_ephemeral_key(rng), pk_receiver, info, psk.view(),
                                             as_bytes(kCodeLabel), nullptr);
    REQUIRE(s);
    return std::move(s).value();
  }
  [[nodiscard]] Result<hpke::Context> receiver_context(ByteView enc_in, internal::KeyScheduleTrace* trace = nullptr,
                                                       ByteView psk_in = {}) const {
    return internal::hpke_setup_psk_receiver(kAead, enc_in, skR, info, psk_in.empty() ? psk.view() : psk_in,
                                             as_bytes(kCodeLabel), trace);
  }
  [[nodiscard]] Bytes pake_r() const { return frame(0x07, {sid, Ya, pkR}); }
  [[nodiscard]] Bytes pake_s() const { return frame(0x08, {Yb, enc, tag_s}); }

  // PAKE_S as a sender makes it with its own password, sid and enc.
  [[nodiscard]] Bytes pake_s_from(std::string_view password, ByteView sid_s, ByteView enc_s) const {
    auto g = cpace::generator(as_bytes(password), ci, sid_s);
    REQUIRE(g);
    auto Yb_s = cpace::scalar_mult(yb, g->view()).value();
    auto adb_s = ad("qrlogin/v1 S", enc_s);
    auto keys = cpace::derive_keys(cpace::Role::responder, yb, sid_s, Ya, ada, Yb_s, adb_s);
    REQUIRE(keys);
    return frame(0x08, {Yb_s, enc_s, cpace::tag(keys->mac_key.view(), Yb_s, adb_s)});
  }

  // What a code receiver that sent PAKE_R concludes from a frame, by the
  // contract's checks in their order, with the primitives.
  [[nodiscard]] std::string receiver_outcome(const json& after, ByteView f) const {
    if (after.empty()) {
      if (f.empty() || f[0] != 0x08) return "unexpected_message";
      if (f.size() != 129) return "bad_message";
      auto Yb_in = f.subspan(1, 32), enc_in = f.subspan(33, 32), tag_in = f.subspan(65, 64);
      auto adb_in = ad("qrlogin/v1 S", enc_in);
      auto keys = cpace::derive_keys(cpace::Role::initiator, ya, sid, Ya, ada, Yb_in, adb_in);
      if (!keys) return keys.error().code == crypto::Errc::invalid_point ? "bad_key" : "other";
      if (!cpace::tag_matches(keys->mac_key.view(), Yb_in, adb_in, tag_in)) return "wrong_code";
      auto ctx = receiver_context(enc_in, nullptr, keys->psk.view());
      if (!ctx) return ctx.error().code == crypto::Errc::low_order_point ? "bad_key" : "other";
      return "ok";
    }
    if (after == json::array({"PAKE_S"})) {
      if (f.empty() || f[0] != 0x04) return "unexpected_message";
      if (f.size() < 273) return "bad_message";
      auto ctx = receiver_context(enc);
      REQUIRE(ctx);
      return open_frame(*ctx, f) ? "ok" : "other";
    }
    return "unknown 'after'";
  }

  // What a code sender that typed the code concludes.
  [[nodiscard]] std::string sender_outcome(const json& after, ByteView f) const {
    if (after.empty()) {
      if (f.empty() || f[0] != 0x07) return "unexpected_message";
      if (f.size() != 81) return "bad_message";
      auto sid_in = f.subspan(1, 16), Ya_in = f.subspan(17, 32), pkR_in = f.subspan(49, 32);
      auto g = cpace::generator(prs, ci, sid_in);
      REQUIRE(g);
      auto Yb_s = cpace::scalar_mult(yb, g->view()).value();
      auto keys = cpace::derive_keys(cpace::Role::responder, yb, sid_in, Ya_in, ad("qrlogin/v1 R", pkR_in), Yb_s, adb);
      if (!keys) return keys.error().code == crypto::Errc::invalid_point ? "bad_key" : "other";
      testing::ScriptedRng rng;
      rng.push(skE);
      auto s = internal::hpke_setup_psk_sender(kAead, internal::hpke_ephemeral_key(rng), pkR_in, info,
                                               keys->psk.view(), as_bytes(kCodeLabel), nullptr);
      if (!s) return s.error().code == crypto::Errc::low_order_point ? "bad_key" : "other";
      return "ok";
    }
    if (after == json::array({"PAKE_R"})) {
      if (f.empty() || f[0] != 0x09) return "unexpected_message";
      if (f.size() != 65) return "bad_message";
      auto keys = cpace::derive_keys(cpace::Role::responder, yb, sid, Ya, ada, Yb, adb);
      REQUIRE(keys);
      return cpace::tag_matches(keys->mac_key.view(), Ya, ada, f.subspan(1)) ? "ok" : "wrong_code";
    }
    return "unknown 'after'";
  }
};

}  // namespace

TEST_CASE("code-v1.json: the code, cid, every CPace value and the mode_psk key schedule, from the inputs") {
  const auto& v = doc();
  const auto& in = v["inputs"];
  Pairing p;
  CHECK(v["suite"] == json::parse(R"({"cpace":"CPACE-RISTR255-SHA512","cpace_draft":"draft-irtf-cfrg-cpace-21",
                                      "kem_id":32,"kdf_id":1,"aead_id":2,"hpke_mode":1})"));
  // The inputs are the contract's labels.
  CHECK(str(in["skR"]) == hex_encode(fixed("skR")));
  CHECK(str(in["skE"]) == hex_encode(fixed("skE")));
  CHECK(str(in["sid"]) == hex_encode(ByteView(fixed("sid")).first(16)));
  for (const char* label : {"ya", "yb"}) {
    auto y = fixed(label);
    y[31] &= 0x0F;
    CHECK(str(in[label]) == hex_encode(y));
  }
  CHECK(str(in["page_url"]) == "https://login.example.com");
  CHECK(str(in["nameplate"]) == "4821073");
  CHECK(str(in["password"]) == "315906");

  std::string np = str(in["nameplate"]) + str(in["password"]);
  std::string digits = np + std::to_string(damm(np));
  Code code{SecretString::copy_of(digits)};
  CHECK(str(v["code"]) == digits);
  CHECK(str(v["check_digit"]) == digits.substr(13));
  CHECK(str(v["display"]) == code.display().view());
  CHECK(str(v["spoken"]) == code.spoken().view());
  CHECK(str(v["app"]) == p.app);
  CHECK(str(v["cid_raw"]) == hex_encode(p.cid.raw));
  CHECK(str(v["cid"]) == p.cid.text);
  CHECK(p.cid.text == "Sxh5uVdBYiZ9LptVN6V3Kg");  // the contract's own figure
  CHECK(str(v["pkR"]) == hex_encode(p.pkR));
  CHECK(str(v["enc"]) == hex_encode(p.enc));

  CHECK(str(v["prs"]) == hex_encode(p.prs));
  CHECK(str(v["ci"]) == hex_encode(p.ci));
  CHECK(str(v["gen_str"]) == hex_of(cpace::generator_string(p.prs, p.ci, p.sid)));
  CHECK(str(v["gen_hash"]) == hex_of(cpace::generator_hash(p.prs, p.ci, p.sid)));
  CHECK(str(v["g"]) == hex_of(cpace::generator(p.prs, p.ci, p.sid).value()));
  CHECK(str(v["Ya"]) == hex_encode(p.Ya));
  CHECK(str(v["ADa"]) == hex_encode(p.ada));
  CHECK(str(v["Yb"]) == hex_encode(p.Yb));
  CHECK(str(v["ADb"]) == hex_encode(p.adb));
  auto K = cpace::scalar_mult_vfy(p.ya, p.Yb);
  REQUIRE(K);
  CHECK(str(v["K"]) == hex_of(*K));
  CHECK(str(v["K"]) == hex_of(cpace::scalar_mult_vfy(p.yb, p.Ya).value()));
  auto isk = cpace::isk(p.sid, K->view(), p.Ya, p.ada, p.Yb, p.adb);
  CHECK(str(v["ISK"]) == hex_of(isk));
  CHECK(str(v["mac_key"]) == hex_of(cpace::mac_key(p.sid, isk.view())));
  CHECK(str(v["tag_R"]) == hex_encode(p.tag_r));
  CHECK(str(v["tag_S"]) == hex_encode(p.tag_s));
  CHECK(str(v["psk"]) == hex_of(p.psk));
  CHECK(str(v["psk"]) == hex_of(cpace::psk(isk.view())));
  CHECK(str(v["psk_id"]) == hex_encode(as_bytes(kCodeLabel)));
  CHECK(str(v["info"]) == hex_encode(p.info));

  internal::KeyScheduleTrace trace;
  auto ctx = p.receiver_context(p.enc, &trace);
  REQUIRE(ctx);
  CHECK(str(v["hpke"]["key"]) == hex_of(trace.key));
  CHECK(str(v["hpke"]["base_nonce"]) == hex_of(trace.base_nonce));
  CHECK(str(v["hpke"]["exporter_secret"]) == hex_of(trace.exporter_secret));
  CHECK(str(v["exports"]["response_key"]) ==
        hex_of(ctx->export_secret(as_bytes(kLabelResponseKey), 32).value()));
  CHECK(str(v["exports"]["response_nonce"]) ==
        hex_of(ctx->export_secret(as_bytes(kLabelResponseNonce), 12).value()));
}

TEST_CASE("code-v1.json: the five frames and both ABORTs, from the inputs") {
  const auto& v = doc();
  Pairing p;
  auto j = credential_json_from_text(as_bytes(str(v["inputs"]["credential"])), str(v["inputs"]["label"]));
  REQUIRE(j);
  CHECK(str(v["credential_json"]) == as_chars(j->view()));
  auto padded = pad_credential(j->view());
  REQUIRE(padded);
  CHECK(str(v["credential_plaintext_hex"]) == hex_of(*padded));
  CHECK(str(v["result_json"]) == R"({"accepted":true})");
  CHECK(str(v["result_plaintext_hex"]) == hex_encode(result_body(true, "")));

  auto setup = p.sender_setup(p.pkR);
  CHECK(hex_encode(setup.enc) == hex_encode(p.enc));
  auto credential = seal_frame(setup.context, MessageType::credential, padded->view());
  REQUIRE(credential);
  auto ctx = p.receiver_context(p.enc);
  REQUIRE(ctx);
  auto response = response_aead(*ctx);
  REQUIRE(response);
  auto result = seal_frame(*response, MessageType::result, result_body(true, ""));
  REQUIRE(result);

  struct Expected {
    const char* type;
    const char* from;
    Bytes bytes;
    std::size_t size;
  };
  std::vector<Expected> expected = {{"PAKE_R", "receiver", p.pake_r(), 81},
                                    {"PAKE_S", "sender", p.pake_s(), 129},
                                    {"CONFIRM_R", "receiver", frame(0x09, {p.tag_r}), 65},
                                    {"CREDENTIAL", "sender", *credential, 273},
                                    {"RESULT", "receiver", *result, 145}};
  const auto& frames = v["frames"];
  REQUIRE(frames.size() == expected.size());
  for (std::size_t i = 0; i < expected.size(); ++i) {
    INFO(expected[i].type);
    CHECK(str(frames[i]["type"]) == expected[i].type);
    CHECK(str(frames[i]["from"]) == expected[i].from);
    CHECK(str(frames[i]["hex"]) == hex_encode(expected[i].bytes));
    CHECK(expected[i].bytes.size() == expected[i].size);
  }

  auto cancelled = abort_body("user_cancelled");
  for (const char* side : {"receiver_abort", "sender_abort"}) {
    INFO(side);
    const auto& a = v[side];
    CHECK(str(a["reason"]) == "user_cancelled");
    CHECK(str(a["body_hex"]) == hex_encode(cancelled));
  }
  auto fresh_ctx = p.receiver_context(p.enc);
  REQUIRE(fresh_ctx);
  auto fresh_response = response_aead(*fresh_ctx);
  REQUIRE(fresh_response);
  CHECK(str(v["receiver_abort"]["hex"]) == hex_encode(seal_frame(*fresh_response, MessageType::abort, cancelled).value()));
  auto fresh_setup = p.sender_setup(p.pkR);
  CHECK(str(v["sender_abort"]["hex"]) ==
        hex_encode(seal_frame(fresh_setup.context, MessageType::abort, cancelled).value()));
  // And each opens at its peer as the reason it carries.
  auto at_s = p.sender_setup(p.pkR);
  auto s_response = response_aead(at_s.context);
  REQUIRE(s_response);
  CHECK(read_abort_code(*s_response, hex(v["receiver_abort"]["hex"])) == "user_cancelled");
  auto at_r = p.receiver_context(p.enc);
  REQUIRE(at_r);
  CHECK(read_abort_code(*at_r, hex(v["sender_abort"]["hex"])) == "user_cancelled");
}

TEST_CASE("code-v1.json: each failure frame, and the outcome the primitives give it") {
  const auto& v = doc();
  Pairing p;
  auto credential = hex(v["frames"][3]["hex"]);
  auto short_by_one = [](Bytes b) {
    b.pop_back();
    return b;
  };
  auto long_by_one = [](Bytes b) {
    b.push_back(0);
    return b;
  };
  auto other = fixed("other sid");
  Bytes other_sid(other.begin(), other.begin() + 16);
  auto flipped = p.tag_r;
  flipped[0] ^= 0x01;
  auto invalid = hex(std::string_view("2b3c6b8c4f3800e7aef6864025b4ed79bd599117e427c41bd47d93d654b4a51c"));
  auto non_canonical = hex(std::string_view("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));
  auto low_order = hex(std::string_view("e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800"));

  const std::map<std::string, Bytes> frames = {
      {"wrong password typed on the sender (315907)", p.pake_s_from("315907", p.sid, p.enc)},
      {"Yb is 32 zero bytes", frame(0x08, {Bytes(32, 0), p.enc, p.tag_s})},
      {"Yb is B.3.11 Y_i1", frame(0x08, {invalid, p.enc, p.tag_s})},
      {"enc is 32 zero bytes with a valid tag_S", p.pake_s_from("315906", p.sid, Bytes(32, 0))},
      {"PAKE_S under another sid", p.pake_s_from("315906", other_sid, p.enc)},
      {"tag_R with a flipped bit", frame(0x09, {flipped})},
      {"CONFIRM_R equal to tag_S", frame(0x09, {p.tag_s})},
      {"Ya is the identity", frame(0x07, {p.sid, Bytes(32, 0), p.pkR})},
      {"Ya is not canonical", frame(0x07, {p.sid, non_canonical, p.pkR})},
      {"pkR is a low-order point", frame(0x07, {p.sid, p.Ya, low_order})},
      {"HELLO to a code receiver", make_hello(p.enc, commitment(p.cid, p.enc, fixed("Ns")))},
      {"PAKE_R to a QR sender", p.pake_r()},
      {"PAKE_R one byte short", short_by_one(p.pake_r())},
      {"PAKE_R one byte long", long_by_one(p.pake_r())},
      {"PAKE_S one byte short", short_by_one(p.pake_s())},
      {"PAKE_S one byte long", long_by_one(p.pake_s())},
      {"CONFIRM_R one byte short", short_by_one(frame(0x09, {p.tag_r}))},
      {"CONFIRM_R one byte long", long_by_one(frame(0x09, {p.tag_r}))},
      {"CREDENTIAL one byte below its minimum (272)", short_by_one(credential)},
  };

  std::map<std::string, int> by_expect;
  std::size_t seen = 0;
  for (const auto& f : v["failures"]) {
    auto name = str(f["name"]);
    INFO(name);
    auto known = frames.find(name);
    REQUIRE(known != frames.end());
    ++seen;
    CHECK(str(f["frame"]) == hex_encode(known->second));
    auto bytes = hex(f["frame"]);
    auto to = str(f["to"]);
    std::string outcome = to == "receiver" ? p.receiver_outcome(f["after"], bytes)
                          : to == "sender" ? p.sender_outcome(f["after"], bytes)
                          : (to == "qr_sender" && bytes[0] >= 0x07 && bytes[0] <= 0x09) ? "unexpected_message"
                                                                                         : "unknown side";
    CHECK(outcome == str(f["expect"]));
    ++by_expect[str(f["expect"])];
  }
  CHECK(seen == frames.size());
  std::printf("cases: code-v1 failures %zu (wrong_code %d, bad_key %d, bad_message %d, unexpected_message %d)\n", seen,
              by_expect["wrong_code"], by_expect["bad_key"], by_expect["bad_message"], by_expect["unexpected_message"]);

  // The frames of the successful run pass the same checks.
  CHECK(p.receiver_outcome(json::array(), p.pake_s()) == "ok");
  CHECK(p.receiver_outcome(json::array({"PAKE_S"}), credential) == "ok");
  CHECK(p.sender_outcome(json::array(), p.pake_r()) == "ok");
  CHECK(p.sender_outcome(json::array({"PAKE_R"}), frame(0x09, {p.tag_r})) == "ok");
}

TEST_CASE("code-v1.json: origins, the Damm table, typed entry and the draws") {
  const auto& v = doc();
  auto cid_raw = hex(v["cid_raw"]);
  int origins = 0;
  bool two_byte_length = false;
  for (const auto& o : v["origins"]) {
    INFO(str(o["page_url"]));
    auto app = page_origin(str(o["page_url"]));
    REQUIRE(app);
    CHECK(str(o["app"]) == *app);
    auto ci = ci_for(*app, cid_raw);
    CHECK(str(o["ci"]) == hex_encode(ci));
    two_byte_length = two_byte_length || (app->size() >= 128 && ci[16] >= 0x80);
    ++origins;
  }
  CHECK(two_byte_length);
  CHECK(str(v["origins"][1]["app"]) == "https://login.example.com");

  const auto& entry = v["entry"];
  const auto& table = entry["damm_table"];
  REQUIRE(table.size() == 10);
  for (char d = '0'; d <= '9'; ++d) {
    auto row = static_cast<std::size_t>(str(table[0])[static_cast<std::size_t>(d - '0')] - '0');
    for (char c = '0'; c <= '9'; ++c)
      CHECK(damm(std::string{d, c}) == str(table[row])[static_cast<std::size_t>(c - '0')] - '0');
  }
  int cases = 0, typos = 0;
  for (const auto& c : entry["cases"]) {
    auto input = str(c["input"]);
    INFO(input);
    auto parsed = parse_typed_code(input);
    std::string result = parsed ? std::string(parsed->digits()) : error_name(parsed.error().code);
    CHECK(str(c["result"]) == result);
    ++cases;
    if (result == "code_check") ++typos;
  }
  CHECK(typos >= 126);
  int draws = 0;
  for (const auto& d : entry["draws"]) {
    auto bytes = hex(d["bytes"]);
    REQUIRE(bytes.size() == 4);
    auto u = static_cast<std::uint32_t>(bytes[0]) << 24 | static_cast<std::uint32_t>(bytes[1]) << 16 |
             static_cast<std::uint32_t>(bytes[2]) << 8 | bytes[3];
    auto value = str(d["what"]) == "nameplate" ? nameplate_from_draw(u) : password_from_draw(u);
    CHECK(d["accepted"].get<bool>() == value.has_value());
    if (value) CHECK(str(d["value"]) == *value);
    ++draws;
  }
  std::printf("cases: code-v1 %d origins, %d entry cases (%d typos), %d draws\n", origins, cases, typos, draws);
}
