#include <catch2/catch.hpp>

#include <string>
#include <system_error>

#include "crypto/bytes.hpp"
#include "crypto/error.hpp"
#include "crypto/pairing/error.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/result.hpp"

using namespace qrlogin;

TEST_CASE("each module's codes have their category and their stable machine name") {
  std::error_code bad_length = crypto::Errc::bad_length;
  CHECK(std::string(bad_length.category().name()) == "crypto");
  CHECK(error_name(bad_length) == "bad_length");
  CHECK(error_name(crypto::Errc::low_order_point) == "low_order_point");

  std::error_code bad_url = pairing::Errc::bad_url;
  CHECK(std::string(bad_url.category().name()) == "pairing");
  CHECK(error_name(bad_url) == "bad_url");
  std::error_code no_key = pairing::LinkErrc::no_key;
  CHECK(std::string(no_key.category().name()) == "link");
  CHECK(error_name(no_key) == "no_key");

  // The same enumerator name in two modules is two different codes.
  CHECK(std::error_code(crypto::Errc::internal) != std::error_code(pairing::Errc::internal));
  CHECK(error_name(crypto::Errc::internal) == error_name(pairing::Errc::internal));
}

TEST_CASE("an error code is never the zero 'no error' value") {
  CHECK(static_cast<bool>(std::error_code(crypto::Errc{})) == false);
  CHECK(static_cast<bool>(std::error_code(crypto::Errc::invalid_argument)));
  CHECK(static_cast<bool>(std::error_code(pairing::Errc::bad_url)));
  CHECK(static_cast<bool>(std::error_code(pairing::LinkErrc::no_key)));
}

TEST_CASE("a Result compares its error with the module's enum") {
  auto decoded = hex_decode("abc");
  REQUIRE_FALSE(decoded);
  CHECK(decoded.error().code == crypto::Errc::bad_encoding);
  CHECK(decoded.error().code != crypto::Errc::bad_length);
  CHECK(decoded.error().code != pairing::Errc::bad_url);

  auto link = pairing::parse_link("https://example.com/pair");
  REQUIRE_FALSE(link.ok());
  CHECK(link.error().code == pairing::LinkErrc::no_key);
  CHECK_FALSE(link.error().message.empty());
}

TEST_CASE("Status and make_error") {
  Status fine;
  CHECK(fine.ok());
  Status failed = make_error(pairing::Errc::invalid_argument, "why");
  CHECK_FALSE(failed);
  CHECK(failed.error().code == pairing::Errc::invalid_argument);
  CHECK(failed.error().message == "why");

  // Another layer's code is passed on as it is.
  Status passed = make_error(std::make_error_code(std::errc::connection_refused), "relay");
  CHECK(passed.error().code == std::errc::connection_refused);
}
