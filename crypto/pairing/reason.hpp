#pragma once
// Why a pairing ended. The code strings are stable: they travel in ABORT
// messages, in the CLI's --json output and in the browser client's errors.
#include <string_view>

namespace qrlogin::pairing {

enum class Reason {
  sas_mismatch,        // a user said the codes differ, or typed a different code
  user_cancelled,      // a user stopped the pairing
  timeout,             // a step took too long
  possible_attack,     // READY was sent and REVEAL never came
  bad_commit,          // REVEAL does not match HELLO's commitment
  bad_message,         // a frame failed to decrypt or has the wrong size
  unexpected_message,  // a message out of order, a second HELLO, a wrong direction
  bad_key,             // the peer's key is a low-order point
  bad_credential,      // padding or JSON of the credential is wrong
  intrusion,           // the relay saw a third device with this code
  peer_aborted,        // the other side ended the pairing (its reason is the detail)
  rejected,            // the receiver answered RESULT with accepted=false
  expired,             // the relay's channel expired or is unknown
  network,             // the relay connection was lost for good
  invalid_event,       // the application called the machine in a state where that makes no sense
  // Code mode only, local (never taken from an ABORT):
  wrong_code,          // a peer's CPace tag did not verify: a typo, a stale code, or a guess
  code_in_use,         // the sender: someone else entered this code first
  too_many_attempts,   // the receiver: three pairings ended after a sender joined; its user must restart
};

std::string_view reason_code(Reason reason) noexcept;
std::string_view reason_message(Reason reason) noexcept;
// Maps an ABORT's reason text back to a Reason. Only the reasons a peer can
// legitimately abort with are taken at face value; anything else (including
// our own local reasons such as network or expired, which a hostile peer
// could send to hide an attack) is peer_aborted.
Reason reason_from_peer_code(std::string_view code) noexcept;

// What a user is shown for an ending once READY was sent or received
// (contract rev. 3), or in code mode once PAKE_S was: the local user's own
// acts (user_cancelled, sas_mismatch), a completed RESULT (rejected), and
// the warnings that already say "attack" (intrusion, possible_attack,
// wrong_code) stay; every other
// ending (a malformed, oversized or out-of-order frame, a peer's ABORT, a
// timeout, a lost connection) is possible_attack, its precise reason the
// detail, so a man in the middle cannot pick a milder message.
Reason shown_after_ready(Reason reason) noexcept;

}  // namespace qrlogin::pairing
