// CPace on ristretto255/SHA-512 against draft-irtf-cfrg-cpace-21's own
// vectors (tests/vectors/external/cpace-ristretto255-sha512.json).
#include <catch2/catch.hpp>

#include <sodium.h>

#include <algorithm>
#include <cstdio>

#include "crypto/cpace.hpp"
#include "crypto/testing/scripted_rng.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using qrlogin::test::hex;

namespace {

nlohmann::json cpace_vectors() { return test::load_vectors("external/cpace-ristretto255-sha512.json"); }

std::string hex_of(const Secret& s) { return hex_encode(s.view()); }
std::string str(const nlohmann::json& v) { return v.get<std::string>(); }

Bytes sha512(std::initializer_list<ByteView> parts) {
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  for (auto part : parts) crypto_hash_sha512_update(&state, part.data(), part.size());
  Bytes out(crypto_hash_sha512_BYTES);
  crypto_hash_sha512_final(&state, out.data());
  return out;
}

// The draft's o_cat (A.3.2), for ISK_SY and sid_output_oc: we use only
// transcript_ir, so it lives here rather than in the library.
Bytes o_cat(const Bytes& a, const Bytes& b) {
  bool a_larger = std::lexicographical_compare(b.begin(), b.end(), a.begin(), a.end());
  return concat({as_bytes("oc"), a_larger ? a : b, a_larger ? b : a});
}

// One CPace run from the draft's inputs: every output the draft lists.
// Returns how many values were compared.
int check_run(const nlohmann::json& v) {
  auto prs = hex(v["PRS"]), ci = hex(v["CI"]), sid = hex(v["sid"]);
  auto ya = hex(v["ya"]), yb = hex(v["yb"]), ada = hex(v["ADa"]), adb = hex(v["ADb"]);
  auto g = cpace::generator(prs, ci, sid);
  REQUIRE(g);
  CHECK(hex_of(*g) == str(v["g"]));
  auto Ya = cpace::scalar_mult(ya, g->view());
  auto Yb = cpace::scalar_mult(yb, g->view());
  REQUIRE(Ya);
  REQUIRE(Yb);
  CHECK(hex_encode(*Ya) == str(v["Ya"]));
  CHECK(hex_encode(*Yb) == str(v["Yb"]));
  auto k_a = cpace::scalar_mult_vfy(ya, *Yb);
  auto k_b = cpace::scalar_mult_vfy(yb, *Ya);
  REQUIRE(k_a);
  REQUIRE(k_b);
  CHECK(hex_of(*k_a) == str(v["K"]));
  CHECK(hex_of(*k_b) == str(v["K"]));
  auto isk_ir = cpace::isk(sid, k_a->view(), *Ya, ada, *Yb, adb);
  CHECK(hex_of(isk_ir) == str(v["ISK_IR"]));
  auto left = cpace::lv_cat({*Ya, ada}), right = cpace::lv_cat({*Yb, adb});
  auto isk_sy = sha512({cpace::lv_cat({as_bytes("CPaceRistretto255_ISK"), sid, k_a->view()}), o_cat(left, right)});
  CHECK(hex_encode(isk_sy) == str(v["ISK_SY"]));
  auto ir = cpace::transcript_ir(*Ya, ada, *Yb, adb);
  CHECK(hex_encode(sha512({as_bytes("CPaceSidOutput"), ir})) == str(v["sid_output_ir"]));
  CHECK(hex_encode(sha512({as_bytes("CPaceSidOutput"), o_cat(left, right)})) == str(v["sid_output_oc"]));
  return 9;
}

int check_points(const nlohmann::json& valid, const std::vector<Bytes>& invalid) {
  auto s = hex(valid["s"]), X = hex(valid["X"]);
  auto product = cpace::scalar_mult(s, X);
  REQUIRE(product);
  CHECK(hex_encode(*product) == str(valid["scalar_mult"]));
  auto verified = cpace::scalar_mult_vfy(s, X);
  REQUIRE(verified);
  CHECK(hex_of(*verified) == str(valid["scalar_mult_vfy"]));
  for (const auto& point : invalid) {
    INFO("invalid point " << hex_encode(point));
    auto refused = cpace::scalar_mult_vfy(s, point);
    REQUIRE_FALSE(refused);
    CHECK(refused.error().code == crypto::Errc::invalid_point);
    CHECK_FALSE(cpace::scalar_mult(s, point));
  }
  return 2 + static_cast<int>(invalid.size());
}

}  // namespace

TEST_CASE("CPace string utilities: draft-irtf-cfrg-cpace-21 A.1.2 prepend_len, A.1.4 lv_cat, A.3.5 transcript_ir") {
  auto doc = cpace_vectors();
  int prepend = 0, lv = 0, transcripts = 0;
  for (const auto& c : doc["prepend_len"]) {
    CHECK(hex_encode(cpace::prepend_len(hex(c["input"]))) == str(c["output"]));
    ++prepend;
  }
  for (const auto& c : doc["lv_cat"]) {
    auto in = c["inputs"];
    REQUIRE(in.size() == 4);
    CHECK(hex_encode(cpace::lv_cat({hex(in[0]), hex(in[1]), hex(in[2]), hex(in[3])})) == str(c["output"]));
    ++lv;
  }
  for (const auto& c : doc["transcript_ir"]) {
    CHECK(hex_encode(cpace::transcript_ir(hex(c["Ya"]), hex(c["ADa"]), hex(c["Yb"]), hex(c["ADb"]))) ==
          str(c["output"]));
    ++transcripts;
  }
  std::printf("cases: cpace utilities %d prepend_len, %d lv_cat, %d transcript_ir\n", prepend, lv, transcripts);
  CHECK(prepend == 4);
  CHECK(lv == 1);
  CHECK(transcripts == 2);
  // Beyond the draft's vectors: a length of 2^14 takes three LEB128 bytes.
  CHECK(hex_encode(ByteView(cpace::prepend_len(Bytes(16384, 0))).first(4)) == "80800100");
}

TEST_CASE("CPace ristretto255/SHA-512: draft-irtf-cfrg-cpace-21 B.3.1 to B.3.7, and testvectors.json's G_Coffee25519") {
  auto doc = cpace_vectors();
  const auto& r = doc["ristretto255"];
  const auto& gen = r["generator"];
  auto prs = hex(gen["PRS"]), ci = hex(gen["CI"]), sid = hex(gen["sid"]);
  CHECK(str(gen["H"]) == "SHA-512");
  CHECK(gen["s_in_bytes"] == 128);
  CHECK(as_chars(hex(gen["DSI"])) == "CPaceRistretto255");
  auto gen_str = cpace::generator_string(prs, ci, sid);
  CHECK(hex_of(gen_str) == str(gen["generator_string"]));
  // zpad_length zeros follow the DSI and PRS fields and the pad's own length byte.
  CHECK(gen_str.size() == 1 + 17 + 1 + prs.size() + 1 + gen["zpad_length"].get<std::size_t>() + 1 + ci.size() + 1 +
                              sid.size());
  CHECK(hex_of(cpace::generator_hash(prs, ci, sid)) == str(gen["hash"]));
  auto g = cpace::generator(prs, ci, sid);
  REQUIRE(g);
  CHECK(hex_of(*g) == str(gen["g"]));

  // B.3.5's intermediate strings.
  auto ya = hex(r["ya"]), yb = hex(r["yb"]);
  auto Ya = hex(r["Ya"]), Yb = hex(r["Yb"]), ada = hex(r["ADa"]), adb = hex(r["ADb"]), K = hex(r["K"]);
  CHECK(hex_encode(cpace::transcript_ir(Ya, ada, Yb, adb)) == str(r["transcript_ir"]));
  CHECK(hex_encode(concat({cpace::lv_cat({as_bytes("CPaceRistretto255_ISK"), sid, K}),
                           cpace::transcript_ir(Ya, ada, Yb, adb)})) == str(r["isk_input_ir"]));

  nlohmann::json appendix = {{"PRS", gen["PRS"]}, {"CI", gen["CI"]}, {"sid", gen["sid"]}, {"g", gen["g"]}};
  for (const char* key : {"ya", "ADa", "Ya", "yb", "ADb", "Yb", "K", "ISK_IR", "ISK_SY", "sid_output_ir",
                          "sid_output_oc"})
    appendix[key] = r[key];
  int values = 5 + check_run(appendix);
  // testvectors.json, published beside the draft, must say the same.
  const auto& published = doc["testvectors_json"]["G_Coffee25519"];
  for (const auto& [key, value] : appendix.items()) CHECK(published.at(key) == value);
  values += check_run(published);
  std::printf("cases: cpace B.3 %d values compared (appendix and testvectors.json)\n", values);
}

TEST_CASE("CPace scalar_mult_vfy: B.3.10's valid point, B.3.11's invalid ones and G_Coffee25519_points") {
  auto doc = cpace_vectors();
  const auto& r = doc["ristretto255"];
  std::vector<Bytes> invalid;
  for (const auto& p : r["scalar_mult_vfy_invalid"]) invalid.push_back(hex(p));
  REQUIRE(invalid.size() == 2);
  int checked = check_points(r["scalar_mult_valid"], invalid);

  const auto& published = doc["testvectors_json"]["G_Coffee25519_points"];
  nlohmann::json valid = {{"s", published["Valid"]["s"]},
                          {"X", published["Valid"]["X"]},
                          {"scalar_mult", published["Valid"]["G.scalar_mult(s,decode(X))"]},
                          {"scalar_mult_vfy", published["Valid"]["G.scalar_mult_vfy(s,X)"]}};
  checked += check_points(valid, {hex(published["Invalid Y1"]), hex(published["Invalid Y2"])});
  std::printf("cases: cpace points %d (2 valid, 4 invalid refused)\n", checked);
  CHECK(checked == 8);
}

TEST_CASE("CPace sessions: start and derive_keys agree with the building blocks and with each other") {
  auto doc = cpace_vectors();
  const auto& r = doc["ristretto255"];
  const auto& gen = r["generator"];
  auto prs = hex(gen["PRS"]), ci = hex(gen["CI"]), sid = hex(gen["sid"]);
  auto ada = hex(r["ADa"]), adb = hex(r["ADb"]);

  testing::ScriptedRng rng;
  rng.push(hex(r["ya"]));
  rng.push(hex(r["yb"]));
  auto a = cpace::start(prs, ci, sid, rng);
  auto b = cpace::start(prs, ci, sid, rng);
  REQUIRE(a);
  REQUIRE(b);
  CHECK(rng.draws() == 2);
  CHECK(hex_encode(a->Y) == str(r["Ya"]));
  CHECK(hex_encode(b->Y) == str(r["Yb"]));

  auto ka = cpace::derive_keys(cpace::Role::initiator, a->y.view(), sid, a->Y, ada, b->Y, adb);
  auto kb = cpace::derive_keys(cpace::Role::responder, b->y.view(), sid, a->Y, ada, b->Y, adb);
  REQUIRE(ka);
  REQUIRE(kb);
  auto expected_mac_key = sha512({as_bytes("CPaceMac"), sid, hex(r["ISK_IR"])});
  CHECK(hex_of(ka->mac_key) == hex_encode(expected_mac_key));
  CHECK(hex_of(kb->mac_key) == hex_encode(expected_mac_key));
  CHECK(hex_of(cpace::mac_key(sid, hex(r["ISK_IR"]))) == hex_encode(expected_mac_key));
  CHECK(ka->psk.size() == 32);
  CHECK(hex_of(ka->psk) == hex_of(kb->psk));
  CHECK(hex_of(ka->psk) == hex_of(cpace::psk(hex(r["ISK_IR"]))));

  auto tag_r = cpace::tag(ka->mac_key.view(), a->Y, ada);
  auto tag_s = cpace::tag(kb->mac_key.view(), b->Y, adb);
  CHECK(hex_encode(tag_r) != hex_encode(tag_s));
  CHECK(cpace::tag_matches(kb->mac_key.view(), a->Y, ada, tag_r));
  CHECK(cpace::tag_matches(ka->mac_key.view(), b->Y, adb, tag_s));
  CHECK_FALSE(cpace::tag_matches(ka->mac_key.view(), a->Y, ada, tag_s));  // a reflected tag
  auto flipped = tag_r;
  flipped[63] ^= 0x01;
  CHECK_FALSE(cpace::tag_matches(kb->mac_key.view(), a->Y, ada, flipped));
  CHECK_FALSE(cpace::tag_matches(kb->mac_key.view(), a->Y, ada, ByteView(tag_r).first(63)));

  // Another password: another generator, other keys, the tag does not verify.
  testing::ScriptedRng rng2;
  rng2.push(hex(r["yb"]));
  auto wrong = cpace::start(as_bytes("Passwore"), ci, sid, rng2);
  REQUIRE(wrong);
  auto kw = cpace::derive_keys(cpace::Role::responder, wrong->y.view(), sid, a->Y, ada, wrong->Y, adb);
  auto ka2 = cpace::derive_keys(cpace::Role::initiator, a->y.view(), sid, a->Y, ada, wrong->Y, adb);
  REQUIRE(kw);
  REQUIRE(ka2);
  CHECK_FALSE(cpace::tag_matches(ka2->mac_key.view(), wrong->Y, adb, cpace::tag(kw->mac_key.view(), wrong->Y, adb)));
  CHECK(hex_of(kw->psk) != hex_of(ka2->psk));
}

TEST_CASE("CPace refuses the identity and non-canonical shares, and draws scalars below 2^252") {
  auto doc = cpace_vectors();
  const auto& r = doc["ristretto255"];
  auto sid = hex(r["generator"]["sid"]);
  auto ya = hex(r["ya"]);
  for (const auto& p : r["scalar_mult_vfy_invalid"]) {
    auto keys = cpace::derive_keys(cpace::Role::initiator, ya, sid, hex(r["Ya"]), hex(r["ADa"]), hex(p), hex(r["ADb"]));
    REQUIRE_FALSE(keys);
    CHECK(keys.error().code == crypto::Errc::invalid_point);
  }
  // The field element p = 2^255 - 19 (the encoding of 0 plus p) is not canonical.
  auto non_canonical = hex(std::string_view("edffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f"));
  auto refused = cpace::scalar_mult_vfy(ya, non_canonical);
  REQUIRE_FALSE(refused);
  CHECK(refused.error().code == crypto::Errc::invalid_point);
  CHECK(error_name(refused.error().code) == "invalid_point");
  // A zero scalar makes the identity.
  auto zero = cpace::scalar_mult(Bytes(32, 0), hex(r["Ya"]));
  REQUIRE_FALSE(zero);
  CHECK(zero.error().code == crypto::Errc::invalid_point);
  CHECK(cpace::scalar_mult_vfy(Bytes(31, 1), hex(r["Ya"])).error().code == crypto::Errc::bad_length);

  testing::ScriptedRng rng;
  rng.push(Bytes(32, 0xff));
  auto y = cpace::sample_scalar(rng);
  CHECK(hex_of(y) == std::string(62, 'f') + "0f");
}
