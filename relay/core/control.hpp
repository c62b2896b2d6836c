#pragma once
// Relay -> client control messages (WebSocket text frames, JSON objects with
// a "type" field) and their parser, shared by the relay and relay_client.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "relay/core/codes.hpp"
#include "relay/core/error.hpp"
#include "relay/core/types.hpp"

namespace qrlogin::relay {

enum class PeerEvent : std::uint8_t { joined, left, back };
std::string_view peer_event_name(PeerEvent event) noexcept;

struct JoinedInfo {
  Role role = Role::receiver;
  Millis expires_in{0};
  bool peer = false;
  std::string resume_token;                 // empty: none handed out
  std::optional<std::uint64_t> received;    // on a resume: frames the relay received from this client
  ChannelKind kind = ChannelKind::qr;       // a code channel's `joined` says "kind":"code"
};

std::string make_joined_message(const JoinedInfo& info);
std::string make_peer_message(PeerEvent event);
std::string make_intrusion_message();
std::string make_error_message(Code code);

// What a client makes of a text frame. Unknown types are kept (type only)
// so that a newer relay does not break an older client.
struct ControlMessage {
  std::string type;                // joined, peer, intrusion, error, ...
  std::optional<Role> role;        // joined
  std::optional<Millis> expires_in;  // joined
  std::optional<bool> peer;        // joined
  std::string resume_token;        // joined: the token for the next resume (empty if none)
  std::optional<std::uint64_t> received;  // joined on a resume: frames the relay had received from us
  std::string kind;                // joined: "code" on a code channel; empty when absent
  std::string event;               // peer: joined | left | back
  std::string code;                // error
  std::string message;             // error
  std::optional<bool> resume;      // error (rev. 3): reconnect with the token; absent from older relays
};

// Errors: bad_control when the text is not a JSON object with a string
// "type", or a known field has the wrong type.
Result<ControlMessage> parse_control(std::string_view text);

}  // namespace qrlogin::relay
