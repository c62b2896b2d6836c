#pragma once
// Every bound the relay enforces, with the defaults of relay-rules.md.
// docs/relay.md lists each with its flag, environment variable and error.
#include <cstddef>
#include <cstdint>

#include "relay/core/types.hpp"

namespace qrlogin::relay {

struct Limits {
  // One frame (WebSocket message): the largest CREDENTIAL, 1 + 65792 + 16.
  std::size_t max_frame_bytes = 65809;
  // Binary frames forwarded per channel, both directions together.
  std::uint32_t max_frames_per_channel = 16;
  // Frames received but not yet written to the peer, per channel.
  std::size_t max_channel_bytes = 2 * 65809 + 4096;
  // The same, summed over all channels; past it new channels are refused.
  std::size_t max_buffered_bytes = 256u * 1024 * 1024;

  std::uint32_t max_connections = 19000;
  std::uint32_t max_connections_per_address = 64;
  std::uint32_t max_channels = 9500;

  // New channels (receiver joins) per address and in total: token buckets.
  double channel_rate_per_address = 10;
  double channel_burst_per_address = 30;
  double channel_rate_global = 5000;
  double channel_burst_global = 10000;

  std::size_t max_header_bytes = 8192;
  Millis handshake_timeout{5000};
  Millis close_timeout{5000};
  Millis ping_interval{20000};
  Millis pong_timeout{10000};
  std::uint32_t max_control_frames_per_second = 5;
  Millis fragment_timeout{5000};

  Millis channel_lifetime{120000};
  // Reserved for resume: how long a dropped client's slot stays reserved.
  Millis grace{30000};
  // Used and expired cids remembered at once; past it new channels are
  // refused (forgetting early would let a cid be opened twice).
  std::size_t max_remembered_cids = 1000000;
  // Control messages waiting in one connection's write queue.
  std::size_t max_queued_control_messages = 16;
};

// `--profile bench`: raises exactly the frames per channel and the
// per-address caps and rates; every other protection stays as it is.
void apply_bench_profile(Limits& limits) noexcept;

}  // namespace qrlogin::relay
