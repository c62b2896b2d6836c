// The frames the QR and code modes share once an HPKE context exists
// (CREDENTIAL, RESULT, ABORT): how each is sealed and opened, and the
// reason a pairing ends with when one is not acceptable. The machines
// (receiver.js, sender.js, code_receiver.js, code_sender.js) decide when a
// frame may come; these decide what it says. Each returns a plain result
// rather than throwing, so a machine can end with the reason it names.
import { wipe } from './bytes.js';
import {
  MAX_FRAME_BYTES, MessageType, openFrame, padCredential, parseAbortBody, parseResultBody, sealFrame,
  STATUS_FRAME_BYTES, unpadCredential,
} from './protocol.js';
import { Reason } from './reason.js';

export const CREDENTIAL_TOO_LARGE = 'the credential is too large: at most 65536 bytes of JSON can be sent';

// The code an ABORT carries, or 'unreadable' when it does not open or parse.
export async function readAbortCode(opener, frame) {
  if (frame.length !== STATUS_FRAME_BYTES) return 'unreadable';
  try {
    return parseAbortBody(await openFrame(opener, frame));
  } catch {
    return 'unreadable';
  }
}

// CREDENTIAL: { credential } ({ bytes, text, isString, label }), or
// { reason } (bad_message: too large or does not open; bad_credential: the
// plaintext is not a padded credential).
export async function openCredential(ctx, frame) {
  if (frame.length > MAX_FRAME_BYTES) return { reason: Reason.bad_message };
  let plaintext;
  try {
    plaintext = await openFrame(ctx, frame);
  } catch {
    return { reason: Reason.bad_message };
  }
  try {
    return { credential: unpadCredential(plaintext) };
  } catch {
    return { reason: Reason.bad_credential };
  } finally {
    wipe(plaintext);
  }
}

// J padded and sealed as CREDENTIAL: { frame }, or { reason, detail, local }
// (local: this device's own credential is at fault, shown as it is).
export async function sealCredential(ctx, credentialJson) {
  let padded;
  try {
    padded = padCredential(credentialJson);
  } catch {
    return { reason: Reason.bad_credential, detail: 'the credential cannot be padded', local: true };
  }
  try {
    return { frame: await sealFrame(ctx, MessageType.credential, padded) };
  } catch {
    return { reason: Reason.bad_message, detail: '', local: false };
  } finally {
    wipe(padded);
  }
}

// RESULT: { result: { accepted, reason } }, or { reason, tellPeer }
// (a body that opens but does not parse is not answered with ABORT).
export async function openResult(response, frame) {
  if (frame.length !== STATUS_FRAME_BYTES) return { reason: Reason.bad_message, tellPeer: true };
  let body;
  try {
    body = await openFrame(response, frame);
  } catch {
    return { reason: Reason.bad_message, tellPeer: true };
  }
  try {
    return { result: parseResultBody(body) };
  } catch {
    return { reason: Reason.bad_message, tellPeer: false };
  }
}
