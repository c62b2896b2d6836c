// What a pairing machine asks its driver to do, in order (the same actions
// as crypto/pairing/actions.hpp). Each is a plain object with a `kind`.
import { shownAfterReady } from './reason.js';

export const PeerEvent = Object.freeze({ joined: 'joined', left: 'left', back: 'back' });

// A binary WebSocket frame for the relay.
export const sendFrame = (frame) => ({ kind: 'SendFrame', frame });
// The code to show, "123 456".
export const showSas = (code) => ({ kind: 'ShowSas', code });
export const peerStatus = (event) => ({ kind: 'PeerStatus', event });
// Receiver only: { bytes, text, isString, label }; the driver answers with
// onCredentialHandled.
export const deliverCredential = (credential) => ({ kind: 'DeliverCredential', credential });
// Sender only: the receiver's answer (its reason text is untrusted).
export const showResult = (accepted, reason) => ({ kind: 'ShowResult', accepted, reason });
// detail: the precise reason, or the peer's code (or "unreadable"), when
// `reason` does not say it; else ''.
export const aborted = (reason, detail = '') => ({ kind: 'Aborted', reason, detail });
// How an ending is shown (contract rev. 3): once READY was exchanged,
// shownAfterReady(reason), with the precise reason as the detail.
export function abortedShown(reason, detail, afterReady) {
  const shown = afterReady ? shownAfterReady(reason) : reason;
  return aborted(shown, shown !== reason && !detail ? reason : detail);
}
// Close the relay connection normally (1000), which ends the channel.
export const closeConnection = () => ({ kind: 'CloseConnection' });
// Code mode: the peer proved it used the same code (its tag verified).
export const codeVerified = () => ({ kind: 'CodeVerified' });
// Code mode, receiver only: the credential arrived; ask the user, as a
// deliberate act, whether to accept the login from `label` (untrusted
// display text, may be empty). Answered by onUserConfirmed/onUserRejected.
export const askToAccept = (label) => ({ kind: 'AskToAccept', label });
