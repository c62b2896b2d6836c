// Project Wycheproof vectors for each primitive: every valid case must match,
// every invalid case must be rejected, and the tests say how many ran.
#include <catch2/catch.hpp>

#include <cstdio>

#include "crypto/aead.hpp"
#include "crypto/hash.hpp"
#include "crypto/x25519.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using qrlogin::test::hex;
using qrlogin::test::load_vectors;

namespace {
bool has_flag(const nlohmann::json& tc, std::string_view flag) {
  for (const auto& f : tc.value("flags", nlohmann::json::array()))
    if (f.get<std::string>() == flag) return true;
  return false;
}
}  // namespace

TEST_CASE("Wycheproof x25519") {
  auto doc = load_vectors("external/wycheproof/x25519_test.json");
  int matched = 0, low_order = 0;
  for (const auto& group : doc["testGroups"]) {
    for (const auto& tc : group["tests"]) {
      INFO("tcId " << tc["tcId"] << ": " << tc["comment"].get<std::string>());
      auto result = x25519::shared_secret(hex(tc["private"]), hex(tc["public"]));
      std::string verdict = tc["result"];
      if (verdict == "invalid") {
        CHECK_FALSE(result);
      } else if (has_flag(tc, "ZeroSharedSecret")) {
        // RFC 9180 §7.1.4: an all-zero shared secret must be refused.
        REQUIRE_FALSE(result);
        CHECK(result.error().code == crypto::Errc::low_order_point);
        ++low_order;
      } else {
        REQUIRE(result);
        CHECK(hex_encode(result->view()) == tc["shared"].get<std::string>());
        ++matched;
      }
    }
  }
  std::printf("cases: wycheproof x25519 %d matched, %d low-order rejected\n", matched, low_order);
  CHECK(matched + low_order == doc["numberOfTests"].get<int>());
  CHECK(low_order > 0);
}

TEST_CASE("Wycheproof AES-GCM") {
  auto doc = load_vectors("external/wycheproof/aes_gcm_test.json");
  int valid = 0, rejected = 0, unsupported = 0;
  for (const auto& group : doc["testGroups"]) {
    int key_bits = group["keySize"];
    bool supported = group["ivSize"] == 96 && group["tagSize"] == 128 && (key_bits == 128 || key_bits == 256);
    auto alg = key_bits == 128 ? aead::Algorithm::aes128_gcm : aead::Algorithm::aes256_gcm;
    for (const auto& tc : group["tests"]) {
      INFO("tcId " << tc["tcId"] << ": " << tc["comment"].get<std::string>());
      Bytes key = hex(tc["key"]), iv = hex(tc["iv"]), aad = hex(tc["aad"]), msg = hex(tc["msg"]);
      Bytes sealed = concat({hex(tc["ct"]), hex(tc["tag"])});
      auto opened = aead::open(alg, key, iv, aad, sealed);
      if (!supported) {
        // AES-192 and nonces other than 96 bits are not ours to accept.
        REQUIRE_FALSE(opened);
        CHECK(opened.error().code == crypto::Errc::bad_length);
        ++unsupported;
        continue;
      }
      if (tc["result"] == "invalid") {
        REQUIRE_FALSE(opened);
        CHECK(opened.error().code == crypto::Errc::auth_failed);
        ++rejected;
      } else {
        REQUIRE(opened);
        CHECK(test::to_bytes(opened->view()) == msg);
        auto resealed = aead::seal(alg, key, iv, aad, msg);
        REQUIRE(resealed);
        CHECK(*resealed == sealed);
        ++valid;
      }
    }
  }
  std::printf("cases: wycheproof aes-gcm %d valid matched, %d invalid rejected, %d unsupported refused\n", valid,
              rejected, unsupported);
  CHECK(valid + rejected + unsupported == doc["numberOfTests"].get<int>());
}

TEST_CASE("Wycheproof HKDF-SHA256") {
  auto doc = load_vectors("external/wycheproof/hkdf_sha256_test.json");
  int valid = 0, rejected = 0;
  for (const auto& group : doc["testGroups"]) {
    for (const auto& tc : group["tests"]) {
      INFO("tcId " << tc["tcId"]);
      auto okm = hkdf(hex(tc["salt"]), hex(tc["ikm"]), hex(tc["info"]), tc["size"].get<std::size_t>());
      if (tc["result"] == "invalid") {
        REQUIRE_FALSE(okm);
        CHECK(okm.error().code == crypto::Errc::limit_exceeded);
        ++rejected;
      } else {
        REQUIRE(okm);
        CHECK(hex_encode(okm->view()) == tc["okm"].get<std::string>());
        ++valid;
      }
    }
  }
  std::printf("cases: wycheproof hkdf-sha256 %d valid matched, %d invalid rejected\n", valid, rejected);
  CHECK(valid + rejected == doc["numberOfTests"].get<int>());
  CHECK(rejected > 0);
}

TEST_CASE("Wycheproof HMAC-SHA256") {
  auto doc = load_vectors("external/wycheproof/hmac_sha256_test.json");
  int valid = 0, rejected = 0;
  for (const auto& group : doc["testGroups"]) {
    for (const auto& tc : group["tests"]) {
      INFO("tcId " << tc["tcId"]);
      Bytes key = hex(tc["key"]), msg = hex(tc["msg"]), tag = hex(tc["tag"]);
      bool verified = hmac_sha256_verify(key, msg, tag);
      if (tc["result"] == "invalid") {
        CHECK_FALSE(verified);
        ++rejected;
      } else {
        CHECK(verified);
        auto full = hmac_sha256(key, {msg});
        CHECK(hex_encode(ByteView(full).first(tag.size())) == tc["tag"].get<std::string>());
        ++valid;
      }
    }
  }
  std::printf("cases: wycheproof hmac-sha256 %d valid matched, %d invalid rejected\n", valid, rejected);
  CHECK(valid + rejected == doc["numberOfTests"].get<int>());
}
