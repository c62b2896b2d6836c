#include <catch2/catch.hpp>

#include <cstdio>
#include <vector>

#include "crypto/hpke.hpp"
#include "crypto/internal.hpp"
#include "crypto/testing/scripted_rng.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using qrlogin::test::hex;
using qrlogin::test::to_bytes;

namespace {

using Json = nlohmann::json;

// The key schedule's values, as one side computed them, against the vector's.
void check_schedule(const internal::KeyScheduleTrace& trace, const Json& v) {
  CHECK(hex_encode(trace.shared_secret.view()) == v["shared_secret"].get<std::string>());
  CHECK(hex_encode(trace.key.view()) == v["key"].get<std::string>());
  CHECK(hex_encode(trace.base_nonce.view()) == v["base_nonce"].get<std::string>());
  CHECK(hex_encode(trace.exporter_secret.view()) == v["exporter_secret"].get<std::string>());
}

struct Checked {
  int encryptions = 0;
  int exports = 0;
};

// Every encryption of the vector sealed by `sender` and opened, in order,
// by each receiver context; every export from the sender and the first
// receiver.
template <class SenderContext, class ReceiverContext>
Checked check_messages(SenderContext& sender, std::vector<ReceiverContext*> receivers, const Json& v) {
  Checked checked;
  for (const auto& e : v["encryptions"]) {
    auto ct = sender.seal(hex(e["aad"]), hex(e["plaintext"]));
    REQUIRE(ct);
    CHECK(hex_encode(*ct) == e["ciphertext"].get<std::string>());
    for (auto* r : receivers) {
      auto pt = r->open(hex(e["aad"]), hex(e["ciphertext"]));
      REQUIRE(pt);
      CHECK(hex_encode(pt->view()) == e["plaintext"].get<std::string>());
    }
    ++checked.encryptions;
  }
  for (const auto& x : v["exports"]) {
    auto length = x["L"].get<std::size_t>();
    auto from_sender = sender.export_secret(hex(x["exporter_context"]), length);
    auto from_receiver = receivers.front()->export_secret(hex(x["exporter_context"]), length);
    REQUIRE(from_sender);
    REQUIRE(from_receiver);
    CHECK(hex_encode(from_sender->view()) == x["exported_value"].get<std::string>());
    CHECK(hex_encode(from_receiver->view()) == x["exported_value"].get<std::string>());
    ++checked.exports;
  }
  return checked;
}

}  // namespace

TEST_CASE("RFC 9180 vectors: mode_base, DHKEM(X25519), HKDF-SHA256, AES-128-GCM and AES-256-GCM") {
  auto doc = test::load_vectors("external/hpke-rfc9180-x25519-sha256.json");
  int suites = 0, encryptions = 0, exports = 0;
  for (const auto& v : doc) {
    if (v["mode"] != 0 || v["kem_id"] != 0x20 || v["kdf_id"] != 1) continue;
    int aead_id = v["aead_id"];
    if (aead_id != 1 && aead_id != 2) continue;
    auto alg = static_cast<aead::Algorithm>(aead_id);
    INFO("aead_id " << aead_id);
    ++suites;

    auto receiver = hpke::derive_key_pair(hex(v["ikmR"]));
    auto ephemeral = hpke::derive_key_pair(hex(v["ikmE"]));
    REQUIRE(receiver);
    REQUIRE(ephemeral);
    CHECK(hex_encode(receiver->secret_key.view()) == v["skRm"].get<std::string>());
    CHECK(hex_encode(receiver->public_key) == v["pkRm"].get<std::string>());
    CHECK(hex_encode(ephemeral->public_key) == v["pkEm"].get<std::string>());

    internal::KeyScheduleTrace sender_trace, receiver_trace;
    testing::ScriptedRng draws_ephemeral;
    draws_ephemeral.push(ephemeral->secret_key.view());
    auto sender = internal::hpke_setup_base_sender(alg, receiver->public_key, hex(v["info"]), draws_ephemeral,
                                                   &sender_trace);
    REQUIRE(sender);
    CHECK(hex_encode(sender->enc) == v["enc"].get<std::string>());
    auto recv = internal::hpke_setup_base_receiver(alg, sender->enc, receiver->secret_key.view(), hex(v["info"]),
                                                   &receiver_trace);
    REQUIRE(recv);
    check_schedule(sender_trace, v);
    check_schedule(receiver_trace, v);
    auto checked = check_messages(sender->context, std::vector{&recv.value()}, v);
    encryptions += checked.encryptions;
    exports += checked.exports;
  }
  std::printf("cases: rfc9180 %d base-mode suites, %d encryptions, %d exports\n", suites, encryptions, exports);
  CHECK(suites == 2);
  CHECK(encryptions > 0);
  CHECK(exports > 0);
}

TEST_CASE("RFC 9180 vectors: mode_psk, DHKEM(X25519), HKDF-SHA256, AES-128-GCM and AES-256-GCM") {
  auto doc = test::load_vectors("external/hpke-rfc9180-x25519-sha256.json");
  int suites = 0, encryptions = 0, exports = 0;
  for (const auto& v : doc) {
    if (v["mode"] != hpke::kModePsk || v["kem_id"] != 0x20 || v["kdf_id"] != 1) continue;
    int aead_id = v["aead_id"];
    if (aead_id != 1 && aead_id != 2) continue;
    auto alg = static_cast<aead::Algorithm>(aead_id);
    INFO("aead_id " << aead_id);
    ++suites;

    auto receiver = hpke::derive_key_pair(hex(v["ikmR"]));
    auto ephemeral = hpke::derive_key_pair(hex(v["ikmE"]));
    REQUIRE(receiver);
    REQUIRE(ephemeral);
    CHECK(hex_encode(ephemeral->secret_key.view()) == v["skEm"].get<std::string>());
    auto psk = hex(v["psk"]), psk_id = hex(v["psk_id"]), info = hex(v["info"]);

    testing::ScriptedRng draws_ephemeral;
    draws_ephemeral.push(ephemeral->secret_key.view());
    auto key = internal::hpke_ephemeral_key(draws_ephemeral);
    CHECK(hex_encode(key.enc()) == v["pkEm"].get<std::string>());
    internal::KeyScheduleTrace sender_trace, receiver_trace;
    auto sender = internal::hpke_setup_psk_sender(alg, std::move(key), receiver->public_key, info, psk, psk_id,
                                                  &sender_trace);
    REQUIRE(sender);
    CHECK(hex_encode(sender->enc) == v["enc"].get<std::string>());
    auto recv = internal::hpke_setup_psk_receiver(alg, sender->enc, receiver->secret_key.view(), info, psk, psk_id,
                                                  &receiver_trace);
    REQUIRE(recv);
    check_schedule(sender_trace, v);
    check_schedule(receiver_trace, v);
    // The public entry points give the same context.
    auto public_recv = hpke::setup_psk_receiver(alg, sender->enc, receiver->secret_key.view(), info, psk, psk_id);
    REQUIRE(public_recv);
    auto checked = check_messages(sender->context, std::vector{&recv.value(), &public_recv.value()}, v);
    encryptions += checked.encryptions;
    exports += checked.exports;
  }
  std::printf("cases: rfc9180 %d psk-mode suites, %d encryptions, %d exports\n", suites, encryptions, exports);
  CHECK(suites == 2);
  CHECK(encryptions > 0);
  CHECK(exports > 0);
}

TEST_CASE("mode_psk: VerifyPSKInputs, a psk of at least 32 bytes, and a wrong psk fails to open") {
  auto alg = aead::Algorithm::aes256_gcm;
  auto r = x25519::generate();
  Bytes psk(32, 0x5a), id = to_bytes(as_bytes("qrlogin/v1 code"));
  struct Case {
    const char* what;
    Bytes psk, psk_id;
  };
  for (const auto& c : {Case{"no psk", {}, id}, Case{"no psk_id", psk, {}}, Case{"a 31-byte psk", Bytes(31, 0x5a), id}}) {
    INFO(c.what);
    auto s = hpke::setup_psk_sender(alg, hpke::EphemeralKey::generate(), r.public_key, {}, c.psk, c.psk_id);
    REQUIRE_FALSE(s);
    CHECK(s.error().code == crypto::Errc::invalid_argument);
    auto e = hpke::EphemeralKey::generate();
    auto rc = hpke::setup_psk_receiver(alg, e.enc(), r.secret_key.view(), {}, c.psk, c.psk_id);
    REQUIRE_FALSE(rc);
    CHECK(rc.error().code == crypto::Errc::invalid_argument);
  }

  auto low = hpke::setup_psk_sender(alg, hpke::EphemeralKey::generate(), Bytes(32, 0), {}, psk, id);
  REQUIRE_FALSE(low);
  CHECK(low.error().code == crypto::Errc::low_order_point);

  auto s = hpke::setup_psk_sender(alg, hpke::EphemeralKey::generate(), r.public_key, as_bytes("info"), psk, id);
  REQUIRE(s);
  auto ct = s->context.seal(Bytes{0x04}, as_bytes("the credential"));
  REQUIRE(ct);
  auto right = hpke::setup_psk_receiver(alg, s->enc, r.secret_key.view(), as_bytes("info"), psk, id);
  REQUIRE(right);
  CHECK(right->open(Bytes{0x04}, *ct));
  Bytes other_psk = psk;
  other_psk[0] ^= 1;
  auto wrong = hpke::setup_psk_receiver(alg, s->enc, r.secret_key.view(), as_bytes("info"), other_psk, id);
  REQUIRE(wrong);
  CHECK_FALSE(wrong->open(Bytes{0x04}, *ct));
  auto base = hpke::setup_base_receiver(alg, s->enc, r.secret_key.view(), as_bytes("info"));
  REQUIRE(base);
  CHECK_FALSE(base->open(Bytes{0x04}, *ct));  // mode_base does not open a mode_psk message

  // Two fresh ephemeral keys differ.
  CHECK(hex_encode(hpke::EphemeralKey::generate().enc()) != hex_encode(hpke::EphemeralKey::generate().enc()));
}

namespace {
struct Pair {
  hpke::Context sender;
  hpke::Context receiver;
  hpke::Enc enc;
};

Pair make_pair(aead::Algorithm alg = aead::Algorithm::aes256_gcm) {
  auto r = x25519::generate();
  auto s = hpke::setup_base_sender(alg, r.public_key, as_bytes("info"));
  REQUIRE(s);
  auto rc = hpke::setup_base_receiver(alg, s->enc, r.secret_key.view(), as_bytes("info"));
  REQUIRE(rc);
  return Pair{std::move(s->context), std::move(rc).value(), s->enc};
}

Bytes flip(Bytes b, std::size_t bit) {
  b[bit / 8] ^= static_cast<std::uint8_t>(1u << (bit % 8));
  return b;
}
}  // namespace

TEST_CASE("a flipped bit anywhere is rejected and does not advance the sequence") {
  auto p = make_pair();
  Bytes aad{0x04};
  Bytes msg = to_bytes(as_bytes("the credential"));
  auto ct = p.sender.seal(aad, msg);
  REQUIRE(ct);

  for (std::size_t bit = 0; bit < ct->size() * 8; ++bit) {  // body and tag
    auto r = p.receiver.open(aad, flip(*ct, bit));
    REQUIRE_FALSE(r);
    CHECK(r.error().code == crypto::Errc::auth_failed);
  }
  for (std::size_t bit = 0; bit < 8; ++bit) CHECK_FALSE(p.receiver.open(flip(aad, bit), *ct));
  CHECK(p.receiver.sequence() == 0);  // failures left the sequence alone
  auto good = p.receiver.open(aad, *ct);
  REQUIRE(good);
  CHECK(to_bytes(good->view()) == msg);
  CHECK(p.receiver.sequence() == 1);
}

TEST_CASE("a flipped nonce bit is rejected") {
  Bytes key(32, 7), nonce(12, 1), aad{0x01};
  auto ct = aead::seal(aead::Algorithm::aes256_gcm, key, nonce, aad, as_bytes("hello"));
  REQUIRE(ct);
  for (std::size_t bit = 0; bit < nonce.size() * 8; ++bit) {
    auto r = aead::open(aead::Algorithm::aes256_gcm, key, flip(nonce, bit), aad, *ct);
    REQUIRE_FALSE(r);
    CHECK(r.error().code == crypto::Errc::auth_failed);
  }
}

TEST_CASE("messages must be opened in order") {
  auto p = make_pair(aead::Algorithm::aes128_gcm);
  auto first = p.sender.seal({}, as_bytes("one"));
  auto second = p.sender.seal({}, as_bytes("two"));
  REQUIRE(first);
  REQUIRE(second);
  CHECK_FALSE(p.receiver.open({}, *second));  // wrong nonce for sequence 0
  CHECK(p.receiver.open({}, *first));
  CHECK(p.receiver.open({}, *second));
  CHECK_FALSE(p.receiver.open({}, *second));  // a replay is refused
}

TEST_CASE("setup refuses low-order keys and bad sizes") {
  Bytes zero_key(32, 0);
  auto s = hpke::setup_base_sender(aead::Algorithm::aes256_gcm, zero_key, {});
  REQUIRE_FALSE(s);
  CHECK(s.error().code == crypto::Errc::low_order_point);

  auto r = x25519::generate();
  auto rc = hpke::setup_base_receiver(aead::Algorithm::aes256_gcm, zero_key, r.secret_key.view(), {});
  REQUIRE_FALSE(rc);
  CHECK(rc.error().code == crypto::Errc::low_order_point);

  auto short_enc = hpke::setup_base_receiver(aead::Algorithm::aes256_gcm, Bytes(31, 9), r.secret_key.view(), {});
  REQUIRE_FALSE(short_enc);
  CHECK(short_enc.error().code == crypto::Errc::bad_length);
}

TEST_CASE("a sequenced AEAD refuses a base nonce or key of the wrong size instead of truncating it") {
  auto key = [] { return Secret::copy_of(Bytes(32, 7)); };
  auto good = hpke::SequencedAead::create(aead::Algorithm::aes256_gcm, key(), Secret::copy_of(Bytes(12, 1)));
  REQUIRE(good);
  CHECK(good->seal({}, Bytes(3, 0)));
  for (std::size_t size : {0U, 11U, 13U, 24U}) {
    auto bad = hpke::SequencedAead::create(aead::Algorithm::aes256_gcm, key(), Secret::copy_of(Bytes(size, 1)));
    REQUIRE_FALSE(bad);
    CHECK(bad.error().code == crypto::Errc::invalid_argument);
    CHECK(bad.error().message.find("nonce") != std::string::npos);
  }
  auto short_key = hpke::SequencedAead::create(aead::Algorithm::aes256_gcm, Secret::copy_of(Bytes(16, 7)), Secret::copy_of(Bytes(12, 1)));
  REQUIRE_FALSE(short_key);
  CHECK(short_key.error().code == crypto::Errc::invalid_argument);
}

TEST_CASE("a ciphertext shorter than the tag is a clear error") {
  auto p = make_pair();
  auto r = p.receiver.open({}, Bytes(15, 0));
  REQUIRE_FALSE(r);
  CHECK(r.error().code == crypto::Errc::bad_length);
}

TEST_CASE("exports are bounded") {
  auto p = make_pair();
  auto big = p.sender.export_secret({}, 8161);
  REQUIRE_FALSE(big);
  CHECK(big.error().code == crypto::Errc::limit_exceeded);
}
