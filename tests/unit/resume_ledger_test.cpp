// The CLI's resume bookkeeping on its own: which frames a resume sends
// again, which counts it reports, what it refuses, and the retry schedule.
#include <catch2/catch.hpp>

#include "cli/resume_ledger.hpp"

using namespace qrlogin;
using namespace qrlogin::cli;
using namespace std::chrono_literals;

namespace {
Bytes frame(std::uint8_t type, std::size_t size) { return Bytes(size, type); }

std::vector<Bytes> copies(const std::vector<ByteView>& views) {
  std::vector<Bytes> out;
  for (auto v : views) out.emplace_back(v.begin(), v.end());
  return out;
}
}  // namespace

TEST_CASE("resume ledger: a resume re-sends exactly the frames the relay did not confirm, in order") {
  ResumeLedger ledger;
  CHECK_FALSE(ledger.can_resume());
  REQUIRE(ledger.on_joined("token-one", std::nullopt));
  CHECK(ledger.can_resume());
  CHECK(ledger.token() == "token-one");

  auto hello = frame(1, 65), reveal = frame(3, 49), credential = frame(4, 273);
  ledger.on_sent(hello);
  ledger.on_received();  // READY
  ledger.on_sent(reveal);
  ledger.on_sent(credential);
  CHECK(ledger.sent() == 3);
  CHECK(ledger.received() == 1);
  CHECK(copies(ledger.unconfirmed()) == std::vector<Bytes>{hello, reveal, credential});

  // The relay had HELLO only: REVEAL and CREDENTIAL go again.
  REQUIRE(ledger.on_joined("token-two", 1));
  CHECK(ledger.token() == "token-two");
  CHECK(copies(ledger.unconfirmed()) == std::vector<Bytes>{reveal, credential});
  CHECK(ledger.sent() == 3);

  // A second resume after it had everything: nothing to send again.
  REQUIRE(ledger.on_joined("token-three", 3));
  CHECK(ledger.unconfirmed().empty());
  CHECK(ledger.sent() == 3);
}

TEST_CASE("resume ledger: a relay that cannot count ends the channel and forgets the token") {
  for (std::uint64_t bad : {std::uint64_t{0}, std::uint64_t{3}}) {
    INFO(bad);
    ResumeLedger ledger;
    REQUIRE(ledger.on_joined("t1", std::nullopt));
    ledger.on_sent(frame(1, 65));
    ledger.on_sent(frame(3, 49));
    REQUIRE(ledger.on_joined("t2", 1));  // confirmed 1 of 2
    auto status = ledger.on_joined("t3", bad);  // below what it confirmed, or above what we sent
    CHECK_FALSE(status.ok());
    CHECK_FALSE(ledger.can_resume());
  }
}

TEST_CASE("resume ledger: an empty token leaves nothing to resume with; forget_token wipes it") {
  ResumeLedger ledger;
  REQUIRE(ledger.on_joined("", std::nullopt));
  CHECK_FALSE(ledger.can_resume());
  REQUIRE(ledger.on_joined("abc", std::nullopt));
  ledger.forget_token();
  CHECK_FALSE(ledger.can_resume());
  CHECK(ledger.token().empty());
}

TEST_CASE("resume ledger: whether our frame was the last one on the channel") {
  ResumeLedger ledger;
  CHECK_FALSE(ledger.last_frame_ours());
  ledger.on_received();  // HELLO
  CHECK_FALSE(ledger.last_frame_ours());
  ledger.on_sent(frame(2, 49));  // READY
  CHECK(ledger.last_frame_ours());
  ledger.on_received();  // REVEAL
  ledger.on_received();  // CREDENTIAL
  CHECK_FALSE(ledger.last_frame_ours());
  ledger.on_sent(frame(5, 49));  // RESULT: nothing will answer it
  CHECK(ledger.last_frame_ours());
}

TEST_CASE("backoff: 250 ms doubling to a 4 s cap, and from the start again after reset") {
  Backoff backoff;
  std::vector<std::chrono::milliseconds> got;
  for (int i = 0; i < 7; ++i) got.push_back(backoff.next());
  CHECK(got == std::vector<std::chrono::milliseconds>{250ms, 500ms, 1000ms, 2000ms, 4000ms, 4000ms, 4000ms});
  backoff.reset();
  CHECK(backoff.next() == 250ms);
}
