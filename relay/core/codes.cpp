#include "relay/core/codes.hpp"

namespace qrlogin::relay {

std::string_view code_name(Code code) noexcept {
  switch (code) {
    case Code::expired: return "expired";
    case Code::channel_full: return "channel_full";
    case Code::rate_limited: return "rate_limited";
    case Code::too_large: return "too_large";
    case Code::slow_consumer: return "slow_consumer";
    case Code::bad_request: return "bad_request";
    case Code::unavailable: return "unavailable";
    case Code::going_away: return "going_away";
    case Code::replaced: return "replaced";
    case Code::taken: return "taken";
    case Code::peer_closed: return "peer_closed";
  }
  return "unknown";
}

std::string_view code_message(Code code) noexcept {
  switch (code) {
    case Code::expired: return "this pairing code is not open (never opened, expired or already used)";
    case Code::channel_full: return "this pairing code is already in use by someone else";
    case Code::rate_limited: return "too many connections or new channels from your address; wait and retry";
    case Code::too_large: return "frame too large, or the channel's frame or byte budget is used up";
    case Code::slow_consumer: return "the connection did not read what the relay had for it";
    case Code::bad_request: return "protocol violation (text frame, bad fragmenting or control-frame flood)";
    case Code::unavailable: return "the relay is at capacity or briefly without its backend; try again later";
    case Code::going_away: return "the relay is shutting down";
    case Code::replaced: return "this connection was replaced by a resume of the same slot";
    case Code::taken: return "this code's channel is in use or was used recently; show a new code";
    case Code::peer_closed: return "the peer closed the channel";
  }
  return "unknown error";
}

std::uint16_t code_close(Code code) noexcept {
  switch (code) {
    case Code::expired: return close_code::expired;
    case Code::channel_full: return close_code::channel_full;
    case Code::rate_limited: return close_code::rate_limited;
    case Code::too_large: return close_code::channel_budget;
    case Code::slow_consumer: return close_code::slow_consumer;
    case Code::bad_request: return close_code::policy_violation;
    case Code::unavailable: return close_code::try_again_later;
    case Code::going_away: return close_code::going_away;
    case Code::replaced: return close_code::replaced;
    case Code::taken: return close_code::taken;
    case Code::peer_closed: return close_code::normal;
  }
  return close_code::policy_violation;
}

bool code_resumable(Code code) noexcept {
  return code == Code::slow_consumer || code == Code::unavailable || code == Code::going_away;
}

}  // namespace qrlogin::relay
