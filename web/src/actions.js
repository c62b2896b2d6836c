// What a pairing machine asks its driver to do, in order (the same actions
// as crypto/pairing/actions.hpp). Each is a plain object with a `kind`.

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
// detail: the peer's reason code for peer_aborted (or "unreadable"), else ''.
export const aborted = (reason, detail = '') => ({ kind: 'Aborted', reason, detail });
// Close the relay connection normally (1000), which ends the channel.
export const closeConnection = () => ({ kind: 'CloseConnection' });
