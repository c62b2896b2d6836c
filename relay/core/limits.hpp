#pragma once
// Every bound the relay enforces, with the defaults of relay-rules.md.
// docs/relay.md lists each with its flag, environment variable and error.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "relay/core/types.hpp"

namespace qrlogin::relay {

// Which bound refused something (a /metrics label: a fixed set).
enum class Limit : std::uint8_t {
  max_connections,              // at accept
  max_connections_per_address,  // at accept, or HTTP 429 behind a trusted proxy
  max_connections_per_network,  // the same, per IPv4 /24, IPv6 /56 or /48
  channel_rate,                 // rate_limited at join (per address, network, site or global bucket)
  open_channels,                // rate_limited at join: open channels per address, network or site
  capacity,                     // unavailable at join (max channels, buffered bytes, remembered cids)
  channel_budget,               // too_large: frames or bytes per channel, or an oversize message
  max_header_bytes,             // HTTP 431 / 413
  buffered_bytes,               // unavailable: a partial message past --max-buffered-bytes
  code_lookups,                 // rate_limited before a code channel lookup (per address, network, IPv6 /32)
  code_lookup_budget,           // unavailable: a new code channel while --max-code-lookups is spent
  code_channels,                // unavailable: open code channels in total, per address or per network
};
inline constexpr std::size_t kLimitCount = 12;
std::string_view limit_name(Limit limit) noexcept;

// What a lookup of a code channel found (a /metrics label: a fixed set).
// Each is one lookup against the lookup limits, except rate_limited: the
// request refused before it looked.
enum class LookupResult : std::uint8_t {
  hit,            // a sender joined an open code channel
  miss,           // a sender found no open code channel (expired)
  full,           // a sender found the channel's sender slot taken (channel_full)
  taken,          // a receiver found the cid open or remembered (taken)
  refused_token,  // a resume with a wrong or used token, or of the other kind
  rate_limited,   // refused before the lookup (rate_limited)
};
inline constexpr std::size_t kLookupResultCount = 6;
std::string_view lookup_result_name(LookupResult result) noexcept;

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
  // Per address (IPv4 /32, IPv6 /64), per network (IPv4 /24, IPv6 /56) and
  // per site (IPv6 /48): enough for one busy household or office behind
  // one NAT address, while one attacker's prefix cannot fill the totals.
  std::uint32_t max_connections_per_address = 64;
  std::uint32_t max_connections_per_network = 256;
  std::uint32_t max_connections_per_site = 1024;
  std::uint32_t max_channels = 9500;
  // Open channels (a waiting login page holds one), by the receiver that
  // opened each.
  std::uint32_t max_channels_per_address = 32;
  std::uint32_t max_channels_per_network = 128;
  std::uint32_t max_channels_per_site = 512;

  // New channels (receiver joins) per address, network, site and in total:
  // token buckets.
  double channel_rate_per_address = 10;
  double channel_burst_per_address = 30;
  double channel_rate_per_network = 20;
  double channel_burst_per_network = 60;
  double channel_rate_per_site = 50;
  double channel_burst_per_site = 150;
  double channel_rate_global = 5000;
  double channel_burst_global = 10000;

  std::size_t max_header_bytes = 8192;
  Millis handshake_timeout{5000};
  Millis close_timeout{5000};
  Millis ping_interval{20000};
  Millis pong_timeout{10000};
  // One WebSocket message written to a client must complete within this;
  // a client that does not read is cut with slow_consumer.
  Millis write_timeout{10000};
  std::uint32_t max_control_frames_per_second = 5;
  Millis fragment_timeout{5000};

  Millis channel_lifetime{120000};
  // Reserved for resume: how long a dropped client's slot stays reserved.
  Millis grace{30000};
  // Used and expired cids remembered at once; past it new channels are
  // refused (forgetting early would let a cid be opened twice).
  std::size_t max_remembered_cids = 1000000;
  // Code channels (kind=code): found by a public 7-digit nameplate, so
  // lookups are limited, and their caps and lifetime are their own.
  Millis code_lifetime{300000};
  // Code channels opened within the last code lifetime (an upper bound of
  // the open ones), deployment-wide; past it: unavailable.
  std::uint32_t max_code_channels = 100000;
  // Open code channels per receiver address, and per network (IPv4 /24,
  // IPv6 /56 and /48); past it: unavailable.
  std::uint32_t max_code_channels_per_address = 16;
  std::uint32_t max_code_channels_per_network = 64;
  // Lookups a second, deployment-wide: while spent, new code channels get
  // unavailable (a bucket of this rate holding one second's worth).
  double max_code_lookups = 50;
  // Lookups a minute per address (IPv4 /32, IPv6 /64), per network (IPv4
  // /24, IPv6 /56 and /48) and per IPv6 /32; past them: rate_limited.
  double code_lookups_per_address = 10;
  double code_lookups_per_network = 60;
  double code_lookups_per_region = 600;
  // Control messages waiting in one connection's write queue.
  std::size_t max_queued_control_messages = 16;
};

// `--profile bench`: raises exactly the frames per channel and the
// per-address, per-network and per-site caps and rates; every other
// protection stays as it is.
void apply_bench_profile(Limits& limits) noexcept;

}  // namespace qrlogin::relay

namespace qrlogin::relay {

// The per-scope bounds of `limits`, indexed by relay::Scope.
struct ScopeLimits {
  std::uint32_t connections;
  std::uint32_t channels;
  double rate;
  double burst;
};
ScopeLimits scope_limits(const Limits& limits, std::size_t scope) noexcept;

}  // namespace qrlogin::relay
