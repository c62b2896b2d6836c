// The qrlogin v1 derivations and messages (crypto/pairing/channel.cpp,
// sas.cpp, frames.cpp): channel id, HPKE info, commitment, short
// authentication string, the receiver-to-sender AEAD, and the six frames.
import { base64urlEncode, concat, constantTimeEqual, utf8DecodeStrict, utf8Encode, wipe } from './bytes.js';
import { hmacSha256, SequencedAead, aeadKeyBytes, NONCE_BYTES as AEAD_NONCE_BYTES } from './hpke.js';
import {
  AEAD_ID, CID_RAW_BYTES, LABEL_CHANNEL, LABEL_COMMIT, LABEL_INFO, LABEL_RESPONSE_KEY, LABEL_RESPONSE_NONCE,
  LABEL_SAS, MAX_STATUS_JSON_BYTES, MessageType, NONCE_BYTES, SAS_DIGITS,
} from './constants.js';

export * from './constants.js';
export * from './credential.js';

async function sha256(...parts) {
  return new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256', concat(...parts)));
}

// cid_raw = SHA-256("qrlogin/v1 channel" || pkR)[0..16); text is base64url.
export async function channelId(receiverPublicKey) {
  const digest = await sha256(utf8Encode(LABEL_CHANNEL), receiverPublicKey);
  const raw = digest.slice(0, CID_RAW_BYTES);
  return { raw, text: base64urlEncode(raw) };
}

// info = "qrlogin/v1" || cid_raw
export function hpkeInfo(cid) {
  return concat(utf8Encode(LABEL_INFO), cid.raw);
}

// commit = SHA-256("qrlogin/v1 commit" || cid_raw || enc || Ns)
export function commitment(cid, enc, senderNonce) {
  return sha256(utf8Encode(LABEL_COMMIT), cid.raw, enc, senderNonce);
}

// The receiver-to-sender direction: key and base nonce exported from the
// HPKE context; message i uses nonce_r XOR I2OSP(i, 12).
export async function responseAead(ctx) {
  const key = await ctx.export(utf8Encode(LABEL_RESPONSE_KEY), aeadKeyBytes(AEAD_ID));
  const nonce = await ctx.export(utf8Encode(LABEL_RESPONSE_NONCE), AEAD_NONCE_BYTES);
  try {
    return await SequencedAead.create(AEAD_ID, key, nonce);
  } finally {
    wipe(key, nonce);
  }
}

// SAS = uint64-be(HMAC(sas_key, label || Nr || Ns)[0..8)) mod 10^6, "123 456".
export async function computeSas(ctx, receiverNonce, senderNonce) {
  if (receiverNonce.length !== NONCE_BYTES || senderNonce.length !== NONCE_BYTES) {
    throw new RangeError('SAS nonces must be 32 bytes each');
  }
  const sasKey = await ctx.export(utf8Encode(LABEL_SAS), 32);
  const mac = await hmacSha256(sasKey, concat(utf8Encode(LABEL_SAS), receiverNonce, senderNonce));
  const value = new DataView(mac.buffer).getBigUint64(0);
  wipe(sasKey, mac);
  const digits = (value % 1000000n).toString().padStart(SAS_DIGITS, '0');
  return `${digits.slice(0, 3)} ${digits.slice(3)}`;
}

// True when what the user typed ("123456" or "123 456") is the code.
export function sasMatches(typed, sas) {
  const a = utf8Encode(String(typed).replaceAll(' ', ''));
  const b = utf8Encode(sas.replaceAll(' ', ''));
  if (a.length !== SAS_DIGITS || b.length !== SAS_DIGITS) return false;
  return constantTimeEqual(a, b);
}

// ---- Frames: type byte || body; sealed bodies use the type byte as AAD ----

export function makeHello(enc, commit) {
  return concat(Uint8Array.of(MessageType.hello), enc, commit);
}

// sealer: an HPKE Context (sender to receiver) or the response SequencedAead.
export async function sealFrame(sealer, type, plaintext) {
  const typeByte = Uint8Array.of(type);
  return concat(typeByte, await sealer.seal(typeByte, plaintext));
}

export function openFrame(opener, frame) {
  if (frame.length === 0) throw new RangeError('empty frame');
  return opener.open(frame.subarray(0, 1), frame.subarray(1));
}

// The first byte as a known type, or undefined for an empty or unknown frame.
export function frameType(frame) {
  if (frame.length === 0 || frame[0] < MessageType.hello || frame[0] > MessageType.abort) return undefined;
  return frame[0];
}

const wellFormed = (text) => (typeof text.toWellFormed === 'function' ? text.toWellFormed() : text);

// RESULT and ABORT bodies: compact JSON, keys in this order.
export function resultJson(accepted, reason = '') {
  return accepted ? '{"accepted":true}' : `{"accepted":false,"reason":${JSON.stringify(wellFormed(reason))}}`;
}

export function abortJson(reason) {
  return `{"reason":${JSON.stringify(wellFormed(reason))}}`;
}

function parseStatus(body) {
  if (body.length > MAX_STATUS_JSON_BYTES) throw new SyntaxError('status message is too large');
  const text = utf8DecodeStrict(body);
  const j = JSON.parse(text.startsWith('\ufeff') ? text.slice(1) : text);
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new SyntaxError('status message is not a JSON object');
  return j;
}

// { accepted, reason }. Throws when "accepted" is not a boolean or
// "reason" not a string.
export function parseResultJson(body) {
  const j = parseStatus(body);
  if (typeof j.accepted !== 'boolean' || !Object.hasOwn(j, 'accepted')) throw new SyntaxError('RESULT has no boolean "accepted"');
  if (Object.hasOwn(j, 'reason') && typeof j.reason !== 'string') throw new SyntaxError('RESULT\'s "reason" is not a string');
  return { accepted: j.accepted, reason: j.reason ?? '' };
}

// The reason code. Throws when the body is not {"reason": "<string>"}.
export function parseAbortJson(body) {
  const j = parseStatus(body);
  if (!Object.hasOwn(j, 'reason') || typeof j.reason !== 'string') throw new SyntaxError('ABORT has no string "reason"');
  return j.reason;
}
