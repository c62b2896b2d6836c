// Why a pairing ended. The codes are stable and identical to the C++ core's
// (crypto/pairing/reason.cpp): they travel in ABORT messages, in the CLI's
// --json output and in this library's errors.

export const Reason = Object.freeze({
  sas_mismatch: 'sas_mismatch',
  user_cancelled: 'user_cancelled',
  timeout: 'timeout',
  possible_attack: 'possible_attack',
  bad_commit: 'bad_commit',
  bad_message: 'bad_message',
  unexpected_message: 'unexpected_message',
  bad_key: 'bad_key',
  bad_credential: 'bad_credential',
  intrusion: 'intrusion',
  peer_aborted: 'peer_aborted',
  rejected: 'rejected',
  expired: 'expired',
  network: 'network',
  invalid_event: 'invalid_event',
  // Code mode only, local (never taken from an ABORT).
  wrong_code: 'wrong_code',
  code_in_use: 'code_in_use',
  too_many_attempts: 'too_many_attempts',
});

const MESSAGES = Object.freeze({
  sas_mismatch: 'the codes on the two screens did not match',
  user_cancelled: 'the pairing was cancelled',
  timeout: 'the other device took too long',
  possible_attack: 'the pairing failed after the devices exchanged their keys and may have been attacked',
  bad_commit: "the other device's code did not match what it committed to (possible attack)",
  bad_message: 'a message was altered or damaged in transit',
  unexpected_message: 'a message arrived out of order',
  bad_key: 'the other device sent an invalid key',
  bad_credential: 'the credential that arrived is malformed',
  intrusion: 'someone else used this code: it has been discarded',
  peer_aborted: 'the other device ended the pairing',
  rejected: 'the other device did not accept the credential',
  expired: 'this code has expired or was already used',
  network: 'the connection to the relay was lost',
  invalid_event: 'the pairing was used out of order by its application',
  wrong_code: 'the code was not accepted: it was mistyped, has expired, or someone interfered',
  code_in_use: 'someone else entered this code first: reject the login on the new device',
  too_many_attempts: 'three attempts with codes failed: start again on the new device when you are ready',
  unsupported: 'this browser or relay cannot do what this pairing needs',
  unavailable: 'the relay cannot open a channel for a code now: use the QR code, or try again later',
  limit_exceeded: 'the credential is too large: at most 65536 bytes of JSON can be sent',
});

export function reasonMessage(code) {
  return MESSAGES[code] ?? 'unknown failure';
}

// Maps an ABORT's reason text back to a code; unknown text -> peer_aborted.
// Only the reasons a peer can legitimately abort with are taken at face
// value; anything else (our own local reasons such as network or expired,
// which a hostile peer could send to hide an attack) is peer_aborted.
const FROM_PEER = new Set(['sas_mismatch', 'user_cancelled', 'timeout', 'possible_attack', 'bad_commit',
  'bad_message', 'unexpected_message', 'bad_key', 'bad_credential', 'intrusion']);
export function reasonFromPeerCode(text) {
  return FROM_PEER.has(text) ? Reason[text] : Reason.peer_aborted;
}

// What a user is shown for an ending once READY was sent or received
// (contract rev. 3), or in code mode once PAKE_S was: the local user's own
// acts (user_cancelled, sas_mismatch), a completed RESULT (rejected), and
// the warnings that already say "attack" (intrusion, possible_attack,
// wrong_code) stay; every other
// ending (a malformed, oversized or out-of-order frame, a peer's ABORT, a
// timeout, a lost connection) is possible_attack, its precise reason the
// detail, so a man in the middle cannot pick a milder message. The same
// rule as crypto/pairing/reason.cpp.
const KEPT_AFTER_READY = new Set(['user_cancelled', 'sas_mismatch', 'rejected', 'intrusion', 'possible_attack',
  'invalid_event', 'wrong_code']);
export function shownAfterReady(code) {
  return KEPT_AFTER_READY.has(code) ? code : Reason.possible_attack;
}

// The error every qrlogin API rejects or reports with. `code` is a Reason
// code for a pairing that ended, or one of: bad_link (a link that is not
// exactly what the protocol allows), limit_exceeded (a credential over
// 65536 bytes of JSON), bad_credential (a credential that cannot be sent),
// unsupported (no secure context or no WebCrypto X25519), internal (this
// device failed in a way it should not, e.g. its WebCrypto; the message
// says what).
export class QrloginError extends Error {
  constructor(code, message = reasonMessage(code), detail = '') {
    super(message);
    this.name = 'QrloginError';
    this.code = code;
    this.detail = detail;
  }
}
