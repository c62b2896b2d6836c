#pragma once
// Parsing of the channel endpoint's request target, a pure function (fuzzed):
//   /v1/channels/{cid}?role=receiver|sender[&kind=code][&received=N]
#include <cstdint>
#include <optional>
#include <string_view>

#include "relay/core/error.hpp"
#include "relay/core/types.hpp"

namespace qrlogin::relay {

inline constexpr std::string_view kChannelPathPrefix = "/v1/channels/";

struct ChannelRequest {
  Cid cid{};
  Role role = Role::receiver;
  ChannelKind kind = ChannelKind::qr;     // kind=code: a typed code's channel
  std::optional<std::uint64_t> received;  // with a resume token: the frames the client received
};

// True when the path (before any '?') starts with /v1/channels/: such a
// request is answered 400 or 426 rather than 404.
bool is_channel_target(std::string_view target) noexcept;

// Errors (bad_request): cid not exactly 22 canonical
// base64url characters, role missing or unknown, kind other than code,
// received not a decimal number, a repeated or unknown parameter, anything after the cid.
Result<ChannelRequest> parse_channel_target(std::string_view target);

Result<Cid> parse_cid(std::string_view text);
Result<Role> parse_role(std::string_view text);

}  // namespace qrlogin::relay
