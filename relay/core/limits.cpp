#include "relay/core/limits.hpp"

namespace qrlogin::relay {

void apply_bench_profile(Limits& limits) noexcept {
  limits.max_frames_per_channel = 100000000;
  // The load comes from a few loopback addresses: only the global caps bind.
  constexpr std::uint32_t kUnbounded = 10000000;
  limits.max_connections_per_address = kUnbounded;
  limits.max_connections_per_network = kUnbounded;
  limits.max_connections_per_site = kUnbounded;
  limits.max_channels_per_address = kUnbounded;
  limits.max_channels_per_network = kUnbounded;
  limits.max_channels_per_site = kUnbounded;
  limits.channel_rate_per_address = 1000000;
  limits.channel_burst_per_address = 1000000;
  limits.channel_rate_per_network = 1000000;
  limits.channel_burst_per_network = 1000000;
  limits.channel_rate_per_site = 1000000;
  limits.channel_burst_per_site = 1000000;
}

ScopeLimits scope_limits(const Limits& limits, std::size_t scope) noexcept {
  switch (scope) {
    case 1:
      return {limits.max_connections_per_network, limits.max_channels_per_network, limits.channel_rate_per_network,
              limits.channel_burst_per_network};
    case 2:
      return {limits.max_connections_per_site, limits.max_channels_per_site, limits.channel_rate_per_site,
              limits.channel_burst_per_site};
    default:
      return {limits.max_connections_per_address, limits.max_channels_per_address, limits.channel_rate_per_address,
              limits.channel_burst_per_address};
  }
}

std::string_view limit_name(Limit limit) noexcept {
  switch (limit) {
    case Limit::max_connections: return "max_connections";
    case Limit::max_connections_per_address: return "max_connections_per_address";
    case Limit::max_connections_per_network: return "max_connections_per_network";
    case Limit::channel_rate: return "channel_rate";
    case Limit::open_channels: return "open_channels";
    case Limit::capacity: return "capacity";
    case Limit::channel_budget: return "channel_budget";
    case Limit::max_header_bytes: return "max_header_bytes";
    case Limit::buffered_bytes: return "buffered_bytes";
    case Limit::code_lookups: return "code_lookups";
    case Limit::code_lookup_budget: return "code_lookup_budget";
    case Limit::code_channels: return "code_channels";
  }
  return "unknown";
}

std::string_view lookup_result_name(LookupResult result) noexcept {
  switch (result) {
    case LookupResult::hit: return "hit";
    case LookupResult::miss: return "miss";
    case LookupResult::full: return "full";
    case LookupResult::taken: return "taken";
    case LookupResult::refused_token: return "refused_token";
    case LookupResult::rate_limited: return "rate_limited";
  }
  return "unknown";
}

}  // namespace qrlogin::relay
