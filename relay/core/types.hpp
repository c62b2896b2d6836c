#pragma once
// Vocabulary shared by the sans-IO relay core and its users.
#include <array>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string_view>
#include <vector>

namespace qrlogin::relay {

using Clock = std::chrono::steady_clock;
using TimePoint = Clock::time_point;
using Millis = std::chrono::milliseconds;

// A connection as the core knows it: an opaque number the network layer
// hands out once per accepted socket and never reuses.
using ConnId = std::uint64_t;

enum class Role : std::uint8_t { receiver = 0, sender = 1 };

inline constexpr std::size_t kRoleCount = 2;
inline constexpr std::size_t index_of(Role role) noexcept { return static_cast<std::size_t>(role); }
inline constexpr Role peer_of(Role role) noexcept {
  return role == Role::receiver ? Role::sender : Role::receiver;
}
std::string_view role_name(Role role) noexcept;

// A channel for a QR code (the default) or for a typed code (`kind=code`,
// docs/relay.md "Code channels"): a code's cid is found from a short
// public nameplate, so its channels have rules of their own.
enum class ChannelKind : std::uint8_t { qr = 0, code = 1 };
std::string_view kind_name(ChannelKind kind) noexcept;

// The decoded channel id (16 bytes). The text form never leaves the request
// parser: logs name a channel by its tag (channel_tag.hpp).
inline constexpr std::size_t kCidBytes = 16;
inline constexpr std::size_t kCidChars = 22;
using Cid = std::array<std::uint8_t, kCidBytes>;

struct CidHash {
  std::size_t operator()(const Cid& cid) const noexcept;
};

// A binary frame exactly as received; shared between the channel's frame
// log and the peer's write queue so it is stored once.
using Frame = std::shared_ptr<const std::vector<std::uint8_t>>;

}  // namespace qrlogin::relay
