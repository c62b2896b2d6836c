// Differential fuzzing of the two channel backends: a random sequence of
// client events (open, frame, stall, drop, close 1000, resume with the
// right, a used or a wrong token, a third client, time passing) is applied
// to the memory backend and to two Redis nodes on one redis-server (started
// once, on a free loopback port). Every client's transcript - joined, peer
// notices, frames, intrusion, the error that ends it - and every counter
// must be the same; the first difference aborts with both transcripts.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include "tests/conformance/backend_harness.hpp"
#include "tests/fuzz/event_input.hpp"
#include "tests/support/redis_server.hpp"

using namespace qrlogin;
using namespace qrlogin::relay;
using namespace qrlogin::testing;
using namespace std::chrono_literals;

namespace {

// Both runs use real time (Redis's scripts read Redis's clock), and the
// Redis run takes longer: a grace must not run out on its own within one
// input, only in a wait, which is longer than the grace. Otherwise the two
// runs differ by how fast they ran, not by their rules.
Limits fuzz_limits() {
  Limits l;
  l.channel_lifetime = 20000ms;  // never reached within one input
  l.grace = 1500ms;
  l.max_frame_bytes = 700;
  l.max_frames_per_channel = 6;
  l.max_channel_bytes = 1500;
  l.max_channels = 3;
  return l;
}
constexpr auto kPastGrace = 1800ms;
constexpr int kMaxWaits = 1;
constexpr std::size_t kMaxSteps = 24;
constexpr int kClients = 4;

// Client 3 is the stranger: it joins channels it was never given.
void apply(BackendHarness& h, EventInput& in) {
  int waits = 0;
  for (std::size_t step = 0; step < kMaxSteps && !in.done(); ++step) {
    auto op = in.byte() % 9;
    int client = in.byte() % kClients;
    auto arg = in.byte();
    switch (op) {
      case 0: h.open(client, arg % 2, Role::receiver); break;
      case 1: h.open(client, arg % 2, Role::sender); break;
      case 2:
      case 3: h.send(client, static_cast<std::size_t>(arg) * 3); break;
      case 4: h.stall(client, arg % 2 == 0); break;
      case 5: (arg % 2 == 0) ? h.drop(client) : h.close(client); break;
      case 6: h.resume(client, static_cast<TokenChoice>(arg % 3)); break;
      case 7:
        if (waits < kMaxWaits) {
          ++waits;
          h.wait(kPastGrace);
        }
        break;
      case 8: h.open(3, arg % 2, arg & 2 ? Role::sender : Role::receiver); break;
    }
  }
}

RedisServer& redis_server() {
  static RedisServer server;
  return server;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto limits = fuzz_limits();
  auto memory = BackendHarness::memory(limits);
  EventInput a{data, size};
  apply(*memory, a);
  auto redis = BackendHarness::redis(limits, redis_server().port());
  EventInput b{data, size};
  apply(*redis, b);
  auto m = memory->transcript().substr(memory->name().size());
  auto r = redis->transcript().substr(redis->name().size());
  if (m != r) {
    std::fprintf(stderr, "the backends differ\n%s\n%s\n", memory->transcript().c_str(), redis->transcript().c_str());
    std::abort();
  }
  return 0;
}
