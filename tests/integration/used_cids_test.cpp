// relay/core/used_cids: the compact memory of used cids, against a plain
// reference (a deque in insertion order and a set), with hashes that
// collide on purpose.
#include <catch2/catch.hpp>
#include <deque>
#include <random>
#include <set>
#include <utility>

#include "relay/core/used_cids.hpp"

namespace qrlogin::relay {
namespace {

using namespace std::chrono_literals;

Cid cid_number(std::uint32_t n) {
  Cid c{};
  for (int i = 0; i < 4; ++i) c[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(n >> (8 * i));
  c[15] = 0x5a;
  return c;
}

// Distinct keys (the cid's number in the high half) whose low bits, which
// pick the index slot, collide.
std::uint64_t number_of(const Cid& cid) noexcept {
  std::uint64_t n = 0;
  for (int i = 0; i < 4; ++i) n |= std::uint64_t{cid[static_cast<std::size_t>(i)]} << (8 * i);
  return n;
}
std::uint64_t all_in_one_bucket(const Cid& cid) noexcept { return (number_of(cid) << 32) | 7u; }
std::uint64_t four_buckets(const Cid& cid) noexcept { return (number_of(cid) << 32) | (cid[0] & 3u); }

const TimePoint t0 = TimePoint{} + 1000s;

TEST_CASE("used cids: remembered until their forget time, oldest first", "[unit]") {
  UsedCids used;
  CHECK(used.insert(cid_number(1), t0 + 10s));
  CHECK(used.insert(cid_number(2), t0 + 20s));
  CHECK(used.insert(cid_number(3), t0 + 30s));
  CHECK(used.size() == 3);
  used.forget_through(t0 + 20s - 1ms);
  CHECK_FALSE(used.contains(cid_number(1)));
  CHECK(used.contains(cid_number(2)));
  CHECK(used.contains(cid_number(3)));
  used.forget_through(t0 + 20s);  // forgotten at its forget time, not after
  CHECK_FALSE(used.contains(cid_number(2)));
  CHECK(used.contains(cid_number(3)));
  CHECK(used.size() == 1);
  used.forget_through(t0 + 1h);
  CHECK(used.size() == 0);
  CHECK_FALSE(used.contains(cid_number(3)));
}

TEST_CASE("used cids: a second insert changes nothing, an earlier forget time waits its turn", "[unit]") {
  UsedCids used;
  CHECK(used.insert(cid_number(1), t0 + 10s));
  CHECK_FALSE(used.insert(cid_number(1), t0 + 99s));  // keeps its first forget time
  CHECK(used.size() == 1);
  CHECK(used.insert(cid_number(2), t0 + 5s));  // behind cid 1, as in insertion order
  used.forget_through(t0 + 6s);
  CHECK(used.contains(cid_number(2)));
  used.forget_through(t0 + 10s);
  CHECK_FALSE(used.contains(cid_number(1)));
  CHECK_FALSE(used.contains(cid_number(2)));
}

TEST_CASE("used cids: colliding hashes find every cid, also after removals in the middle of a run", "[unit]") {
  for (auto hasher : {&all_in_one_bucket, &four_buckets}) {
    UsedCids used(hasher);
    for (std::uint32_t n = 0; n < 200; ++n) REQUIRE(used.insert(cid_number(n), t0 + std::chrono::seconds{n}));
    for (std::uint32_t n = 0; n < 200; ++n) CHECK(used.contains(cid_number(n)));
    CHECK_FALSE(used.contains(cid_number(1000)));
    used.forget_through(t0 + 99s);
    for (std::uint32_t n = 0; n < 200; ++n) CHECK(used.contains(cid_number(n)) == (n >= 100));
    for (std::uint32_t n = 200; n < 300; ++n) REQUIRE(used.insert(cid_number(n), t0 + std::chrono::seconds{n}));
    for (std::uint32_t n = 0; n < 300; ++n) CHECK(used.contains(cid_number(n)) == (n >= 100));
  }
}

TEST_CASE("used cids: grows and shrinks at 24 bytes a slot, the ring wrapping in between", "[unit]") {
  UsedCids used;
  CHECK(used.memory_bytes() == 0);
  // Wrap the ring before it grows: forget from the front while inserting.
  std::uint32_t next = 0;
  for (; next < 12; ++next) used.insert(cid_number(next), t0 + std::chrono::seconds{next});
  used.forget_through(t0 + 7s);  // 0..7 gone, 8..11 stay
  for (; next < 100000; ++next) REQUIRE(used.insert(cid_number(next), t0 + std::chrono::seconds{next}));
  CHECK(used.size() == 100000 - 8);
  CHECK(used.capacity() >= used.size());
  CHECK(used.capacity() < 2 * used.size());
  CHECK(used.memory_bytes() == used.capacity() * 24);
  for (std::uint32_t n = 0; n < 100000; n += 97) CHECK(used.contains(cid_number(n)) == (n >= 8));
  used.forget_through(t0 + std::chrono::seconds{99990});
  CHECK(used.size() == 9);
  CHECK(used.capacity() <= 64);
  for (std::uint32_t n = 99985; n < 100000; ++n) CHECK(used.contains(cid_number(n)) == (n > 99990));
  used.forget_through(t0 + 1000000s);
  CHECK(used.size() == 0);
}

TEST_CASE("used cids: the same answers as a plain set under random inserts and expiry", "[unit]") {
  for (auto hasher : {&four_buckets, &UsedCids::keyed_hash}) {
    UsedCids used(hasher);
    std::deque<std::pair<TimePoint, Cid>> order;
    std::set<Cid> reference;
    std::mt19937 rng(42);
    TimePoint now = t0;
    for (int step = 0; step < 20000; ++step) {
      now += std::chrono::milliseconds{rng() % 50};
      auto cid = cid_number(static_cast<std::uint32_t>(rng() % 3000));
      bool inserted = used.insert(cid, now + 150ms);
      CHECK(inserted == reference.insert(cid).second);
      if (inserted) order.emplace_back(now + 150ms, cid);
      if (rng() % 4 == 0) {
        used.forget_through(now);
        while (!order.empty() && order.front().first <= now) {
          reference.erase(order.front().second);
          order.pop_front();
        }
      }
      REQUIRE(used.size() == reference.size());
      auto probe = cid_number(static_cast<std::uint32_t>(rng() % 3000));
      CHECK(used.contains(probe) == reference.contains(probe));
    }
  }
}

}  // namespace
}  // namespace qrlogin::relay
