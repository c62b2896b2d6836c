#include <catch2/catch.hpp>

#include <concepts>
#include <ostream>
#include <string>
#include <string_view>
#include <type_traits>

#include "crypto/secret.hpp"

using namespace qrlogin;

namespace {
template <class T>
concept Streamable = requires(std::ostream& os, const T& t) { os << t; };
}  // namespace

// A secret cannot be copied, compared with == or printed by accident.
static_assert(!std::is_copy_constructible_v<Secret>);
static_assert(!std::is_copy_assignable_v<Secret>);
static_assert(std::is_nothrow_move_constructible_v<Secret>);
static_assert(!std::equality_comparable<Secret>);
static_assert(!Streamable<Secret>);

TEST_CASE("Secret holds bytes, moves, and wipes") {
  Bytes source{1, 2, 3, 4};
  auto s = Secret::copy_of(source);
  REQUIRE(s.size() == 4);
  CHECK(ct_equal(s.view(), source));

  Secret moved = std::move(s);
  CHECK(s.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  CHECK(moved.size() == 4);

  moved.wipe();
  CHECK(moved.empty());
  CHECK(moved.view().empty());
}

TEST_CASE("secure_wipe zeroes memory") {
  Bytes b{9, 9, 9};
  secure_wipe(b);
  CHECK(b == Bytes{0, 0, 0});
}

TEST_CASE("ct_equal compares content and length") {
  CHECK(ct_equal(Bytes{1, 2}, Bytes{1, 2}));
  CHECK_FALSE(ct_equal(Bytes{1, 2}, Bytes{1, 3}));
  CHECK_FALSE(ct_equal(Bytes{1, 2}, Bytes{1, 2, 3}));
  CHECK(ct_equal(Bytes{}, Bytes{}));
}

// The same for text: no copy, no ==, no printing, no silent std::string.
static_assert(!std::is_copy_constructible_v<SecretString>);
static_assert(!std::is_copy_assignable_v<SecretString>);
static_assert(std::is_nothrow_move_constructible_v<SecretString>);
static_assert(std::is_nothrow_move_assignable_v<SecretString>);
static_assert(!std::equality_comparable<SecretString>);
static_assert(!Streamable<SecretString>);
static_assert(!std::is_convertible_v<SecretString, std::string>);
static_assert(!std::is_convertible_v<SecretString, std::string_view>);
static_assert(!std::is_convertible_v<std::string, SecretString>);  // taking text over is explicit

TEST_CASE("SecretString gives its text as a view and a C string") {
  auto s = SecretString::copy_of("hunter2");
  CHECK(s.view() == "hunter2");
  CHECK(s.size() == 7);
  CHECK(std::string_view(s.c_str()) == "hunter2");
  CHECK(as_chars(s.bytes()) == "hunter2");

  SecretString none;
  CHECK(none.empty());
  CHECK(none.view().empty());
  CHECK(std::string_view(none.c_str()).empty());
  CHECK(SecretString::copy_of("").empty());
}

TEST_CASE("SecretString wipes the string it takes over") {
  // Longer than any small-string buffer: the bytes stay in the string's own
  // heap buffer, which the string keeps after clear().
  std::string token(64, 'k');
  const char* buffer = token.data();
  SecretString s(std::move(token));
  CHECK(s.view() == std::string(64, 'k'));
  CHECK(token.empty());  // NOLINT(bugprone-use-after-move): it was wiped, not moved from
  REQUIRE(token.data() == buffer);
  CHECK(std::string_view(buffer, 64) == std::string(64, '\0'));
}

TEST_CASE("SecretString moves, reassigns and wipes") {
  auto a = SecretString::copy_of("first");
  SecretString b = std::move(a);
  CHECK(a.empty());  // NOLINT(bugprone-use-after-move): the moved-from state is defined
  CHECK(b.view() == "first");

  b = SecretString::copy_of("second");
  CHECK(b.view() == "second");

  b.wipe();
  CHECK(b.empty());
  CHECK(b.view().empty());
}

TEST_CASE("secure_wipe zeroes a string in place") {
  std::string text = "password";
  secure_wipe(text);
  CHECK(text == std::string(8, '\0'));
}
