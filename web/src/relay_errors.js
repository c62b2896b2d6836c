// How the browser library takes each relay `error` code: one table, the same
// as the CLI's (cli/relay_errors.cpp) and tests/vectors/relay-errors.json
// (docs/protocol.md, "Error codes and closes").
//   reason     the Reason a pairing ends with when it does not resume
//   resumable  the slot lives on: reconnect with the token, as after a cut
import { Reason } from './reason.js';

const entry = (reason, resumable) => Object.freeze({ reason, resumable });

// `replaced` is an intrusion: our own resumes drop the old socket before
// they present the token, so a socket that is still ours hears it only when
// someone else presented our token.
const RELAY_ERRORS = Object.freeze({
  expired: entry(Reason.expired, false),
  channel_full: entry(Reason.intrusion, false),
  rate_limited: entry(Reason.network, false),
  too_large: entry(Reason.network, false),
  slow_consumer: entry(Reason.network, true),
  bad_request: entry(Reason.network, false),
  unavailable: entry(Reason.network, true),
  going_away: entry(Reason.network, true),
  replaced: entry(Reason.intrusion, false),
  // Code channels: this code's channel is open or was used recently; the
  // receiver draws a new code, as after `expired`.
  taken: entry(Reason.expired, false),
});

// A code the relay does not define (a newer relay, or a hostile one) ends
// the pairing as a lost connection.
const UNKNOWN = entry(Reason.network, false);

export function classifyRelayError(code) {
  return Object.hasOwn(RELAY_ERRORS, code) ? RELAY_ERRORS[code] : UNKNOWN;
}
