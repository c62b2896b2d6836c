// One channel model, two backends: every scenario runs step by step against
// the memory backend and against two Redis backends (two nodes, one
// redis-server), asserts what each client sees (joined, peer notices,
// frames, intrusion, the error that ends it) and the counters, and the two
// transcripts must be identical.
#include <catch2/catch.hpp>

#include <functional>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "tests/conformance/backend_harness.hpp"
#include "tests/support/redis_server.hpp"

using namespace qrlogin;
using namespace qrlogin::relay;
using namespace qrlogin::testing;
using namespace std::chrono_literals;
using Lines = std::vector<std::string>;

namespace {

constexpr int R = 0;  // the receiver (desktop)
constexpr int S = 1;  // the sender (phone)
constexpr int X = 2;  // someone else

Limits base_limits() {
  Limits l;
  l.channel_lifetime = 4000ms;
  l.code_lifetime = 4000ms;
  l.grace = 400ms;
  return l;
}
constexpr auto kPastGrace = 700ms;

struct Scenario {
  std::string name;
  Limits limits = base_limits();
  std::function<void(BackendHarness&)> steps;
  std::map<int, Lines> expected;                    // every line each client saw
  std::map<std::string, std::uint64_t> counters;    // the events that must be counted so
};

void pair(BackendHarness& h, int channel = 0) {
  h.open(R, channel, Role::receiver);
  h.open(S, channel, Role::sender);
}

void open_code(BackendHarness& h, int client, int channel, Role role, int address = -1) {
  h.open(client, channel, role, address, ChannelKind::code);
}

void pair_code(BackendHarness& h, int channel = 0) {
  open_code(h, R, channel, Role::receiver);
  open_code(h, S, channel, Role::sender);
}

const Lines kPairedR = {"#1 joined peer=0 resumed=0 received=0", "#1 peer joined"};
const Lines kPairedS = {"#1 joined peer=1 resumed=0 received=0"};

Lines operator+(Lines a, const Lines& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

std::vector<Scenario> scenarios() {
  std::vector<Scenario> all;

  all.push_back({"pair and exchange frames",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.send(R, 10);
                   h.send(S, 20);
                   h.send(S, 21);
                 },
                 {{R, kPairedR + Lines{"#1 frame 0 (20 bytes)", "#1 frame 1 (21 bytes)"}},
                  {S, kPairedS + Lines{"#1 frame 0 (10 bytes)"}}},
                 {{"forwarded", 3}}});

  all.push_back({"a sender before its receiver, and a cid used up",
                 base_limits(),
                 [](BackendHarness& h) {
                   h.open(S, 0, Role::sender);
                   h.open(R, 1, Role::receiver);
                   h.close(R);
                   h.open(X, 1, Role::receiver);
                 },
                 {{S, {"#1 refused expired"}},
                  {R, {"#1 joined peer=0 resumed=0 received=0"}},
                  {X, {"#1 refused expired"}}},
                 {}});

  all.push_back({"a channel over its grace ends at the next join, whenever the sweep runs",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.drop(S);
                   h.sleep(kPastGrace);
                   h.open(X, 0, Role::receiver);
                 },
                 {{R, kPairedR + Lines{"#1 peer left", "#1 end expired"}}, {S, kPairedS}, {X, {"#1 refused expired"}}},
                 {}});

  all.push_back({"a normal close ends the pairing for both",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.send(S, 30);
                   h.close(S);
                 },
                 {{R, kPairedR + Lines{"#1 frame 0 (30 bytes)", "#1 end peer_closed"}}, {S, kPairedS}},
                 {{"forwarded", 1}, {"completed", 1}}});

  all.push_back({"an abnormal close: peer left, then expired after the grace",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.drop(S);
                   h.wait(kPastGrace);
                 },
                 {{R, kPairedR + Lines{"#1 peer left", "#1 end expired"}}, {S, kPairedS}},
                 {}});

  // Found by the differential fuzzer: the Redis backend scheduled a joiner's
  // next look at the channel's lifetime, not at the absent peer's grace.
  all.push_back({"a sender that joins while the receiver is away hears expired when the receiver's grace ends",
                 base_limits(),
                 [](BackendHarness& h) {
                   h.open(R, 0, Role::receiver);
                   h.drop(R);
                   h.open(S, 0, Role::sender);
                   h.wait(kPastGrace);
                 },
                 {{R, {"#1 joined peer=0 resumed=0 received=0"}},
                  {S, {"#1 joined peer=0 resumed=0 received=0", "#1 end expired"}}},
                 {}});

  all.push_back({"the receiver resumes with frames in flight",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.stall(R, true);
                   h.send(S, 40);
                   h.send(S, 41);
                   h.drop(R);  // the two frames never reached it
                   h.stall(R, false);
                   h.resume(R);
                   h.send(S, 42);
                 },
                 {{R, kPairedR + Lines{"#2 joined peer=1 resumed=1 received=0", "#2 frame 0 (40 bytes)",
                                       "#2 frame 1 (41 bytes)", "#2 frame 2 (42 bytes)"}},
                  {S, kPairedS + Lines{"#1 peer left", "#1 peer back"}}},
                 {{"forwarded", 3}, {"resumed", 1}}});

  all.push_back({"the sender resumes: what it had taken is not sent again",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.send(R, 50);
                   h.send(S, 51);
                   h.drop(S);
                   h.send(R, 52);
                   h.resume(S);
                   h.send(S, 53);
                 },
                 {{R, kPairedR + Lines{"#1 frame 0 (51 bytes)", "#1 peer left", "#1 peer back", "#1 frame 1 (53 bytes)"}},
                  {S, kPairedS + Lines{"#1 frame 0 (50 bytes)", "#2 joined peer=1 resumed=1 received=1",
                                       "#2 frame 1 (52 bytes)"}}},
                 {{"forwarded", 4}, {"resumed", 1}}});

  all.push_back({"a resume takes over a slot whose socket still looks alive",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.resume(R);
                   h.send(S, 60);
                 },
                 {{R, kPairedR + Lines{"#2 joined peer=1 resumed=1 received=0", "#1 end replaced", "#2 frame 0 (60 bytes)"}},
                  {S, kPairedS + Lines{"#1 peer back"}}},
                 {{"forwarded", 1}, {"resumed", 1}}});

  all.push_back({"a wrong token is an intrusion, and the right one still resumes",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.drop(R);
                   h.resume(R, TokenChoice::wrong);
                   h.resume(R, TokenChoice::current);
                 },
                 {{R, kPairedR + Lines{"#2 refused expired", "#3 joined peer=1 resumed=1 received=0"}},
                  {S, kPairedS + Lines{"#1 peer left", "#1 intrusion", "#1 peer back"}}},
                 {{"resume_refused", 1}, {"resumed", 1}, {"intrusion_attempt", 1}, {"intrusion_noticed", 1}}});

  all.push_back({"a used token is refused",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.drop(S);
                   h.resume(S);
                   h.drop(S);
                   h.resume(S, TokenChoice::stale);
                 },
                 {{R, kPairedR + Lines{"#1 peer left", "#1 peer back", "#1 peer left", "#1 intrusion"}},
                  {S, kPairedS + Lines{"#2 joined peer=1 resumed=1 received=0", "#3 refused expired"}}},
                 {{"resumed", 1}, {"resume_refused", 1}, {"intrusion_attempt", 1}, {"intrusion_noticed", 1}}});

  all.push_back({"a third client: channel_full, and one intrusion notice per channel",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair(h);
                   h.open(X, 0, Role::sender);
                   h.open(X + 1, 0, Role::receiver);
                   h.send(S, 70);
                 },
                 {{R, kPairedR + Lines{"#1 intrusion", "#1 frame 0 (70 bytes)"}},
                  {S, kPairedS + Lines{"#1 intrusion"}},
                  {X, {"#1 refused channel_full"}},
                  {X + 1, {"#1 refused channel_full"}}},
                 {{"intrusion_attempt", 2}, {"intrusion_noticed", 1}, {"forwarded", 1}}});

  {
    auto l = base_limits();
    l.channel_lifetime = 1200ms;
    all.push_back({"the channel's lifetime ends it for both",
                   l,
                   [](BackendHarness& h) {
                     pair(h);
                     h.wait(1600ms);
                     h.resume(R);
                   },
                   {{R, kPairedR + Lines{"#1 end expired", "#2 refused expired"}}, {S, kPairedS + Lines{"#1 end expired"}}},
                   {{"resume_refused", 1}}});
  }

  {
    auto l = base_limits();
    l.max_frame_bytes = 100;
    all.push_back({"a frame over the largest size",
                   l,
                   [](BackendHarness& h) {
                     pair(h);
                     h.send(S, 101);
                   },
                   {{R, kPairedR + Lines{"#1 peer left"}}, {S, kPairedS + Lines{"#1 end too_large"}}},
                   {{"rejected:channel_budget", 1}}});
  }

  {
    auto l = base_limits();
    l.max_frames_per_channel = 3;
    all.push_back({"frames per channel, counted over both directions",
                   l,
                   [](BackendHarness& h) {
                     pair(h);
                     h.send(S, 10);
                     h.send(R, 11);
                     h.send(S, 12);
                     h.send(R, 13);
                   },
                   {{R, kPairedR + Lines{"#1 frame 0 (10 bytes)", "#1 frame 1 (12 bytes)", "#1 end too_large"}},
                    {S, kPairedS + Lines{"#1 frame 0 (11 bytes)", "#1 peer left"}}},
                   {{"forwarded", 3}, {"rejected:channel_budget", 1}}});
  }

  {
    auto l = base_limits();
    l.max_channel_bytes = 100;
    all.push_back({"a reader that does not take its frames is the slow one",
                   l,
                   [](BackendHarness& h) {
                     pair(h);
                     h.stall(R, true);
                     h.send(S, 60);
                     h.send(S, 60);
                   },
                   {{R, kPairedR + Lines{"#1 end slow_consumer"}}, {S, kPairedS + Lines{"#1 end too_large"}}},
                   {{"forwarded", 1}, {"rejected:channel_budget", 1}}});
  }

  {
    auto l = base_limits();
    l.max_channel_bytes = 100;
    // A frame confirms the peer's frames its client's socket took; those go
    // first when the budget needs room (unconfirmed ones are the resume log).
    all.push_back({"frames the reader confirmed make room under the channel's budget",
                   l,
                   [](BackendHarness& h) {
                     pair(h);
                     h.send(S, 60);
                     h.send(R, 10);  // confirms the sender's 60
                     h.send(S, 40);  // 110 > 100: the confirmed 60 goes
                     h.send(S, 30);  // 10 + 40 + 30 fits
                   },
                   {{R, kPairedR + Lines{"#1 frame 0 (60 bytes)", "#1 frame 1 (40 bytes)", "#1 frame 2 (30 bytes)"}},
                    {S, kPairedS + Lines{"#1 frame 0 (10 bytes)"}}},
                   {{"forwarded", 4}}});
  }

  {
    auto l = base_limits();
    l.max_channel_bytes = 100;
    all.push_back({"frames taken but not confirmed stay: a reader that never answers is the slow one",
                   l,
                   [](BackendHarness& h) {
                     pair(h);
                     h.send(S, 60);
                     h.send(S, 60);
                   },
                   {{R, kPairedR + Lines{"#1 frame 0 (60 bytes)", "#1 end slow_consumer"}},
                    {S, kPairedS + Lines{"#1 end too_large"}}},
                   {{"forwarded", 1}, {"rejected:channel_budget", 1}}});
  }

  {
    auto l = base_limits();
    l.max_channels = 1;
    all.push_back({"the channel cap, freed by a normal close",
                   l,
                   [](BackendHarness& h) {
                     h.open(R, 0, Role::receiver);
                     h.open(X, 1, Role::receiver);
                     h.close(R);
                     h.open(X, 2, Role::receiver);
                   },
                   {{R, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X, {"#1 refused unavailable", "#2 joined peer=0 resumed=0 received=0"}}},
                   {{"rejected:capacity", 1}}});
  }

  {
    auto l = base_limits();
    l.channel_rate_per_address = 0.01;
    l.channel_burst_per_address = 2;
    all.push_back({"the channel rate of one address",
                   l,
                   [](BackendHarness& h) {
                     h.open(R, 0, Role::receiver, 7);
                     h.open(X, 1, Role::receiver, 7);
                     h.open(X + 1, 2, Role::receiver, 7);
                     h.open(X + 2, 3, Role::receiver, 8);
                   },
                   {{R, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X + 1, {"#1 refused rate_limited"}},
                    {X + 2, {"#1 joined peer=0 resumed=0 received=0"}}},
                   {{"rejected:channel_rate", 1}}});
  }

  {
    auto l = base_limits();
    l.max_channels_per_network = 2;
    all.push_back({"open channels per network",
                   l,
                   [](BackendHarness& h) {
                     h.open(R, 0, Role::receiver, 1);
                     h.open(X, 1, Role::receiver, 2);
                     h.open(X + 1, 2, Role::receiver, 3);
                     h.close(R);
                     h.open(X + 2, 3, Role::receiver, 4);
                   },
                   {{R, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X + 1, {"#1 refused rate_limited"}},
                    {X + 2, {"#1 joined peer=0 resumed=0 received=0"}}},
                   {{"rejected:open_channels", 1}}});
  }


  // ---- code channels (kind=code): docs/relay.md, "Code channels" ----------

  all.push_back({"a code channel pairs and forwards like any other, each sender join a lookup",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair_code(h);
                   h.send(R, 10);
                   h.send(S, 20);
                   h.close(S);
                 },
                 {{R, kPairedR + Lines{"#1 frame 0 (20 bytes)", "#1 end peer_closed"}},
                  {S, kPairedS + Lines{"#1 frame 0 (10 bytes)"}}},
                 {{"forwarded", 2}, {"completed", 1}, {"lookup:hit", 1}}});

  all.push_back({"a code receiver finds its cid open, then remembered: taken, and nobody is warned",
                 base_limits(),
                 [](BackendHarness& h) {
                   open_code(h, R, 0, Role::receiver);
                   open_code(h, X, 0, Role::receiver);
                   h.close(R);
                   open_code(h, X + 1, 0, Role::receiver);
                 },
                 {{R, {"#1 joined peer=0 resumed=0 received=0"}},
                  {X, {"#1 refused taken"}},
                  {X + 1, {"#1 refused taken"}}},
                 {{"lookup:taken", 2}}});

  all.push_back({"a second sender of a code channel: channel_full, and no intrusion notice",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair_code(h);
                   open_code(h, X, 0, Role::sender);
                   h.send(S, 30);
                 },
                 {{R, kPairedR + Lines{"#1 frame 0 (30 bytes)"}}, {S, kPairedS}, {X, {"#1 refused channel_full"}}},
                 {{"forwarded", 1}, {"lookup:hit", 1}, {"lookup:full", 1}}});

  all.push_back({"a wrong or used token on a code channel: expired, no intrusion, and the right one resumes",
                 base_limits(),
                 [](BackendHarness& h) {
                   pair_code(h);
                   h.drop(R);
                   h.resume(R, TokenChoice::wrong);
                   h.resume(R, TokenChoice::current);
                   h.drop(S);
                   h.resume(S);
                   h.drop(S);
                   h.resume(S, TokenChoice::stale);
                 },
                 {{R, kPairedR + Lines{"#2 refused expired", "#3 joined peer=1 resumed=1 received=0", "#3 peer left",
                                       "#3 peer back", "#3 peer left"}},
                  {S, kPairedS + Lines{"#1 peer left", "#1 peer back", "#2 joined peer=1 resumed=1 received=0",
                                       "#3 refused expired"}}},
                 {{"lookup:hit", 1}, {"lookup:refused_token", 2}, {"resumed", 2}, {"resume_refused", 2}}});

  all.push_back({"a request of the other kind: a sender hears expired, a receiver taken, nobody is warned",
                 base_limits(),
                 [](BackendHarness& h) {
                   open_code(h, R, 0, Role::receiver);
                   h.open(X, 0, Role::sender);
                   h.open(X + 1, 0, Role::receiver);
                   h.open(S, 1, Role::receiver);
                   open_code(h, X + 2, 1, Role::sender);
                   open_code(h, X + 3, 1, Role::receiver);
                 },
                 {{R, {"#1 joined peer=0 resumed=0 received=0"}},
                  {S, {"#1 joined peer=0 resumed=0 received=0"}},
                  {X, {"#1 refused expired"}},
                  {X + 1, {"#1 refused taken"}},
                  {X + 2, {"#1 refused expired"}},
                  {X + 3, {"#1 refused taken"}}},
                 {{"lookup:taken", 2}, {"lookup:miss", 1}}});

  all.push_back({"ten lookups a minute per address: the eleventh is refused before it looks",
                 base_limits(),
                 [](BackendHarness& h) {
                   for (int i = 0; i < 11; ++i) open_code(h, X + i, 100 + i, Role::sender, 7);
                   open_code(h, X + 11, 111, Role::sender, 8);  // another address
                 },
                 {{X + 9, {"#1 refused expired"}},
                  {X + 10, {"#1 refused rate_limited"}},
                  {X + 11, {"#1 refused expired"}}},
                 {{"lookup:miss", 11}, {"lookup:rate_limited", 1}, {"rejected:code_lookups", 1}}});

  all.push_back({"sixty lookups a minute per network (IPv4 /24)",
                 base_limits(),
                 [](BackendHarness& h) {
                   for (int i = 0; i < 63; ++i) open_code(h, X + i, 200 + i, Role::sender, 10 + i / 9);
                 },
                 {{X + 59, {"#1 refused expired"}},
                  {X + 60, {"#1 refused rate_limited"}},
                  {X + 62, {"#1 refused rate_limited"}}},
                 {{"lookup:miss", 60}, {"lookup:rate_limited", 3}, {"rejected:code_lookups", 3}}});

  {
    auto l = base_limits();
    l.max_code_lookups = 2;
    all.push_back({"the deployment's lookup budget spent: new code channels are unavailable, QR channels open",
                   l,
                   [](BackendHarness& h) {
                     for (int i = 0; i < 3; ++i) open_code(h, X + i, 300 + i, Role::sender);
                     open_code(h, R, 0, Role::receiver);
                     h.open(S, 1, Role::receiver);
                   },
                   {{R, {"#1 refused unavailable"}}, {S, {"#1 joined peer=0 resumed=0 received=0"}}},
                   {{"lookup:miss", 3}, {"rejected:code_lookup_budget", 1}}});
  }

  {
    auto l = base_limits();
    l.max_code_channels = 1;
    all.push_back({"code channels in total: past the cap, unavailable; QR channels still open",
                   l,
                   [](BackendHarness& h) {
                     open_code(h, R, 0, Role::receiver);
                     open_code(h, X, 1, Role::receiver);
                     h.open(X + 1, 2, Role::receiver);
                   },
                   {{R, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X, {"#1 refused unavailable"}},
                    {X + 1, {"#1 joined peer=0 resumed=0 received=0"}}},
                   {{"rejected:code_channels", 1}}});
  }

  {
    auto l = base_limits();
    l.max_code_channels_per_address = 2;
    l.max_code_channels_per_network = 3;
    all.push_back({"open code channels per address and per network",
                   l,
                   [](BackendHarness& h) {
                     open_code(h, R, 0, Role::receiver, 1);
                     open_code(h, X, 1, Role::receiver, 1);
                     open_code(h, X + 1, 2, Role::receiver, 1);  // a third at one address
                     open_code(h, X + 2, 3, Role::receiver, 2);
                     open_code(h, X + 3, 4, Role::receiver, 3);  // a fourth in one /24
                     h.open(X + 4, 5, Role::receiver, 1);         // a QR channel is not one
                     h.close(R);
                     open_code(h, X + 5, 6, Role::receiver, 3);
                   },
                   {{R, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X + 1, {"#1 refused unavailable"}},
                    {X + 2, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X + 3, {"#1 refused unavailable"}},
                    {X + 4, {"#1 joined peer=0 resumed=0 received=0"}},
                    {X + 5, {"#1 joined peer=0 resumed=0 received=0"}}},
                   {{"rejected:code_channels", 2}}});
  }

  {
    auto l = base_limits();
    l.code_lifetime = 1200ms;
    all.push_back({"a code channel lives the code lifetime, then its cid is taken for lifetime + grace",
                   l,
                   [](BackendHarness& h) {
                     pair_code(h);
                     h.wait(1600ms);
                     open_code(h, X, 0, Role::receiver);
                     h.wait(2000ms);
                     open_code(h, X + 1, 0, Role::receiver);
                   },
                   {{R, kPairedR + Lines{"#1 end expired"}},
                    {S, kPairedS + Lines{"#1 end expired"}},
                    {X, {"#1 refused taken"}},
                    {X + 1, {"#1 joined peer=0 resumed=0 received=0"}}},
                   {{"lookup:hit", 1}, {"lookup:taken", 1}}});
  }

  return all;
}

void check(const Scenario& s, const BackendHarness& h) {
  INFO("scenario: " << s.name << "\n" << h.transcript());
  for (const auto& [client, lines] : s.expected) CHECK(h.log(client) == lines);
  for (const auto& [name, count] : s.counters) {
    auto it = h.counters().find(name);
    CHECK((it == h.counters().end() ? 0 : it->second) == count);
  }
  // Nothing counted that the scenario did not expect.
  for (const auto& [name, count] : h.counters()) {
    INFO("counter " << name);
    CHECK(s.counters.count(name) == 1);
  }
}

}  // namespace

TEST_CASE("conformance: the memory backend") {
  std::size_t steps = 0;
  auto all = scenarios();
  for (const auto& s : all) {
    auto h = BackendHarness::memory(s.limits);
    s.steps(*h);
    steps += h->steps();
    check(s, *h);
  }
  WARN(all.size() << " scenarios, " << steps << " steps");
}

TEST_CASE("conformance: two Redis nodes, identical to memory") {
  RedisServer server;
  std::size_t steps = 0;
  auto all = scenarios();
  for (const auto& s : all) {
    auto memory = BackendHarness::memory(s.limits);
    s.steps(*memory);
    auto redis = BackendHarness::redis(s.limits, server.port());
    s.steps(*redis);
    steps += redis->steps();
    check(s, *redis);
    INFO("scenario: " << s.name << "\n" << memory->transcript() << redis->transcript());
    CHECK(memory->transcript().substr(memory->name().size()) == redis->transcript().substr(redis->name().size()));
  }
  WARN(all.size() << " scenarios, " << steps << " steps");
}
