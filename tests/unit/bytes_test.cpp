#include <catch2/catch.hpp>

#include "crypto/bytes.hpp"

using namespace qrlogin;

TEST_CASE("hex round trip and errors") {
  Bytes b{0x00, 0x01, 0xab, 0xff};
  CHECK(hex_encode(b) == "0001abff");
  CHECK(hex_decode("0001ABff").value() == b);
  CHECK(hex_decode("abc").error().code == crypto::Errc::bad_encoding);
  CHECK(hex_decode("zz").error().code == crypto::Errc::bad_encoding);
}

TEST_CASE("base64url encodes without padding and decodes strictly") {
  // RFC 4648 test strings, in the URL-safe alphabet without padding.
  CHECK(base64url_encode(as_bytes("")) == "");
  CHECK(base64url_encode(as_bytes("f")) == "Zg");
  CHECK(base64url_encode(as_bytes("fo")) == "Zm8");
  CHECK(base64url_encode(as_bytes("foo")) == "Zm9v");
  CHECK(base64url_encode(as_bytes("foobar")) == "Zm9vYmFy");
  CHECK(base64url_encode(Bytes{0xfb, 0xff}) == "-_8");
  CHECK(as_chars(base64url_decode("Zm9vYmE").value()) == "fooba");
  CHECK(base64url_decode("-_8").value() == Bytes{0xfb, 0xff});

  SECTION("padding is refused") {
    auto r = base64url_decode("Zg==");
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("padding") != std::string::npos);
  }
  SECTION("the standard alphabet's + and / are refused") {
    CHECK_FALSE(base64url_decode("+/8"));
  }
  SECTION("non-zero trailing bits are refused (one encoding per value)") {
    CHECK(base64url_decode("Zg"));
    auto r = base64url_decode("Zh");  // decodes to "f" too if trailing bits were ignored
    REQUIRE_FALSE(r);
    CHECK(r.error().message.find("canonical") != std::string::npos);
  }
  SECTION("an impossible length is refused") { CHECK_FALSE(base64url_decode("Zm9vY")); }
}

TEST_CASE("i2osp is big-endian and fixed width") {
  CHECK(i2osp(0x0102, 2) == Bytes{0x01, 0x02});
  CHECK(i2osp(1, 12) == Bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1});
  CHECK(i2osp(0, 0).empty());
}
