#include "cli/relay_errors.hpp"

#include <array>

namespace qrlogin::cli {

namespace {

using pairing::Reason;

struct Entry {
  std::string_view code;
  std::uint16_t close_code;
  RelayErrorClass what;
};

// `replaced` is an intrusion: our own resumes drop the old socket before
// they present the token, so a socket that is still ours hears it only when
// someone else presented our token (docs/protocol.md).
// `taken` reaches only a code receiver, which draws another code (five
// times, then gives up as `unavailable`).
constexpr std::array<Entry, 10> kTable{{
    {"expired", 4404, {Reason::expired, ExitCode::expired, false}},
    {"channel_full", 4409, {Reason::intrusion, ExitCode::intrusion, false}},
    {"rate_limited", 4429, {Reason::network, ExitCode::network, false}},
    {"too_large", 4413, {Reason::network, ExitCode::protocol, false}},
    {"slow_consumer", 4408, {Reason::network, ExitCode::network, true}},
    {"bad_request", 1008, {Reason::network, ExitCode::protocol, false}},
    {"unavailable", 1013, {Reason::network, ExitCode::network, true}},
    {"going_away", 1001, {Reason::network, ExitCode::network, true}},
    {"replaced", 4001, {Reason::intrusion, ExitCode::intrusion, false}},
    {"taken", 4410, {Reason::expired, ExitCode::expired, false}},
}};

constexpr RelayErrorClass kUnknown{Reason::network, ExitCode::network, false};

}  // namespace

RelayErrorClass classify_relay_error(std::string_view code) noexcept {
  for (const auto& entry : kTable)
    if (entry.code == code) return entry.what;
  return kUnknown;
}

bool resumable_close(std::uint16_t close_code) noexcept {
  for (const auto& entry : kTable)
    if (entry.close_code == close_code) return entry.what.resumable;
  return false;
}

}  // namespace qrlogin::cli
