#include "relay/core/limits.hpp"

namespace qrlogin::relay {

void apply_bench_profile(Limits& limits) noexcept {
  limits.max_frames_per_channel = 100000000;
  limits.max_connections_per_address = limits.max_connections;
  limits.channel_rate_per_address = 1000000;
  limits.channel_burst_per_address = 1000000;
}

}  // namespace qrlogin::relay
