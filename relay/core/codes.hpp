#pragma once
// The relay's stable error codes, their WebSocket close codes and the human
// message sent in the `error` control message (docs/relay.md has the table).
#include <cstdint>
#include <string_view>

namespace qrlogin::relay {

enum class Code : std::uint8_t {
  expired,        // cid never opened, expired or used (one answer for all)
  channel_full,   // both slots of the channel are taken or were taken
  rate_limited,   // too many new channels or connections from this address
  too_large,      // frame over the limit, or the channel's frame/byte budget
  slow_consumer,  // this client did not read what the relay had for it
  bad_request,    // text frame from a client, fragment timeout, control flood
  unavailable,    // the relay is at a global cap; try again later
  going_away,     // the relay is shutting down
  replaced,       // a resume with this slot's token took the slot over
  taken,          // code channels: a receiver's cid is open or remembered; draw a new code
  peer_closed,    // the peer closed normally: the channel is over (close 1000)
};

// WebSocket close codes (RFC 6455 and the 4000-4999 private range).
namespace close_code {
inline constexpr std::uint16_t normal = 1000;
inline constexpr std::uint16_t going_away = 1001;
inline constexpr std::uint16_t protocol_error = 1002;
inline constexpr std::uint16_t policy_violation = 1008;
inline constexpr std::uint16_t message_too_big = 1009;
inline constexpr std::uint16_t try_again_later = 1013;
inline constexpr std::uint16_t replaced = 4001;
inline constexpr std::uint16_t expired = 4404;
inline constexpr std::uint16_t slow_consumer = 4408;
inline constexpr std::uint16_t channel_full = 4409;
inline constexpr std::uint16_t taken = 4410;
inline constexpr std::uint16_t channel_budget = 4413;
inline constexpr std::uint16_t rate_limited = 4429;
}  // namespace close_code

inline constexpr std::size_t kCodeCount = 11;  // every Code, for fixed metric label sets

std::string_view code_name(Code code) noexcept;
std::string_view code_message(Code code) noexcept;
// The close code that follows the `error` message. too_large maps to 4413
// (the channel's budget); an oversize single message is closed with 1009 by
// the WebSocket layer before the relay sees it.
std::uint16_t code_close(Code code) noexcept;
// The error's `resume` flag (contract rev. 3): the slot lives on and the
// client reconnects with its token, as after a dropped socket.
bool code_resumable(Code code) noexcept;

}  // namespace qrlogin::relay
