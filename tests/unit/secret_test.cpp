#include <catch2/catch.hpp>

#include <concepts>
#include <ostream>
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
