// The sessions' deadline queue (relay/core/deadline_queue.hpp): each
// client has one deadline, moved or dropped at will, and take_due hands
// out exactly the due ones, earliest first, whatever order they came in.
#include <catch2/catch.hpp>

#include <algorithm>
#include <memory>
#include <optional>
#include <random>
#include <vector>

#include "relay/core/deadline_queue.hpp"

using qrlogin::relay::DeadlineQueue;
using qrlogin::relay::TimePoint;
using namespace std::chrono_literals;

namespace {

struct FakeClient : DeadlineQueue::Client, std::enable_shared_from_this<FakeClient> {
  void deadline_reached() override { ++reached; }
  std::shared_ptr<void> keep_alive() override { return weak_from_this().lock(); }
  int reached = 0;
};

}  // namespace

TEST_CASE("deadline queue: due deadlines come out earliest first, moved and dropped ones as they now are", "[unit]") {
  DeadlineQueue queue;
  std::vector<TimePoint> woken;
  queue.set_waker([&](TimePoint at) { woken.push_back(at); });
  const TimePoint t0{};
  std::vector<std::shared_ptr<FakeClient>> clients;
  for (int i = 0; i < 200; ++i) clients.push_back(std::make_shared<FakeClient>());

  std::mt19937 rng(7);
  std::vector<std::optional<TimePoint>> expected(clients.size());
  for (int step = 0; step < 2000; ++step) {
    auto i = rng() % clients.size();
    if (rng() % 5 == 0) {
      queue.cancel(*clients[i]);
      expected[i].reset();
    } else {
      auto at = t0 + std::chrono::milliseconds(rng() % 1000);
      queue.schedule(*clients[i], at);
      expected[i] = at;
    }
  }
  auto live = static_cast<std::size_t>(std::count_if(expected.begin(), expected.end(), [](auto& e) { return e.has_value(); }));
  CHECK(queue.size() == live);

  TimePoint next;
  auto due = queue.take_due(t0 + 500ms, next);
  std::size_t want = 0;
  TimePoint earliest_left = TimePoint::max();
  for (auto& e : expected) {
    if (!e) continue;
    if (*e <= t0 + 500ms) ++want;
    else earliest_left = std::min(earliest_left, *e);
  }
  CHECK(due.size() == want);
  CHECK(next == earliest_left);
  for (auto& d : due) {
    auto i = static_cast<std::size_t>(std::find_if(clients.begin(), clients.end(),
                                                   [&](auto& c) { return c.get() == d.client; }) -
                                      clients.begin());
    REQUIRE(i < clients.size());
    CHECK(*expected[i] <= t0 + 500ms);
    expected[i].reset();
  }
  CHECK(queue.size() == live - want);
  // Rescheduling a taken client works like a new one.
  queue.schedule(*clients[0], t0 + 1ms);
  CHECK(woken.back() == t0 + 1ms);  // the new earliest: the waker hears it
  auto again = queue.take_due(t0 + 1ms, next);
  REQUIRE(again.size() == 1);
  CHECK(again[0].client == clients[0].get());
}

TEST_CASE("deadline queue: the waker hears only of a new earliest deadline - a client being destroyed is not handed out",
          "[unit]") {
  DeadlineQueue queue;
  std::vector<TimePoint> woken;
  queue.set_waker([&](TimePoint at) { woken.push_back(at); });
  const TimePoint t0{};
  auto a = std::make_shared<FakeClient>();
  auto b = std::make_shared<FakeClient>();
  queue.schedule(*a, t0 + 100ms);
  queue.schedule(*b, t0 + 200ms);  // later than the earliest: no wake-up
  queue.schedule(*b, t0 + 50ms);   // now the earliest
  CHECK(woken == std::vector<TimePoint>{t0 + 100ms, t0 + 50ms});

  // A client whose last owner is gone cancels itself in its destructor (as
  // WsSession does); the queue then never hands it out.
  struct Cancelling : FakeClient {
    explicit Cancelling(DeadlineQueue& q) : q_(q) {}
    ~Cancelling() override { q_.cancel(*this); }
    DeadlineQueue& q_;
  };
  {
    auto c = std::make_shared<Cancelling>(queue);
    queue.schedule(*c, t0 + 10ms);
  }
  TimePoint next;
  auto due = queue.take_due(t0 + 1s, next);
  REQUIRE(due.size() == 2);
  CHECK(due[0].client == b.get());
  CHECK(due[1].client == a.get());
  CHECK(next == TimePoint::max());
  CHECK(queue.size() == 0);
}
