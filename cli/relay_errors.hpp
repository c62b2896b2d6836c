#pragma once
// How the CLI takes each relay `error` code: one table, the same as the
// browser library's (web/src/relay_errors.js) and the shared
// tests/vectors/relay-errors.json (docs/protocol.md, "Error codes and closes").
#include <cstdint>
#include <string_view>

#include "cli/exit_codes.hpp"
#include "crypto/pairing/reason.hpp"

namespace qrlogin::cli {

struct RelayErrorClass {
  pairing::Reason reason;  // what the pairing ends with when it does not resume
  ExitCode exit_code;      // what `qrlogin` exits with then
  bool resumable;          // the slot lives on: reconnect with the token, as after a cut
};

// A code the relay does not define (a newer relay, or a hostile one) ends
// the pairing as a lost connection.
RelayErrorClass classify_relay_error(std::string_view code) noexcept;

// True for the close code of a resumable error, for a close whose `error`
// text never arrived.
bool resumable_close(std::uint16_t close_code) noexcept;

}  // namespace qrlogin::cli
