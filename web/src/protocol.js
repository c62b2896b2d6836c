// The qrlogin v1 derivations and messages (crypto/pairing/channel.cpp,
// sas.cpp, frames.cpp): channel id, HPKE info, commitment, short
// authentication string, the receiver-to-sender AEAD, and the six frames.
import { base64urlEncode, concat, constantTimeEqual, utf8Encode, wipe } from './bytes.js';
import { hmacSha256, SequencedAead, aeadKeyBytes, NONCE_BYTES as AEAD_NONCE_BYTES } from './hpke.js';
import {
  AEAD_ID, CID_RAW_BYTES, LABEL_CHANNEL, LABEL_COMMIT, LABEL_INFO, LABEL_RESPONSE_KEY, LABEL_RESPONSE_NONCE,
  LABEL_SAS, MessageType, NONCE_BYTES, SAS_DIGITS, STATUS_BODY_BYTES,
} from './constants.js';
import { parseStrictJson } from './strict_json.js';

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
const STATUS_SUBJECT = 'the status message';

// The reason as the inside of a JSON string, cut at a character boundary so
// it takes at most `budget` UTF-8 bytes (as crypto/pairing/frames.cpp).
function escapedWithin(reason, budget) {
  // Every UTF-16 unit takes at least one byte, so later ones cannot fit; the
  // spare units keep the last character that might fit whole.
  const quoted = JSON.stringify(wellFormed(String(reason).slice(0, budget + 4)));
  const inside = quoted.slice(1, -1);
  let used = 0;
  let bytes = 0;
  while (used < inside.length) {
    let units = 1;
    let size;
    if (inside[used] === '\\') {
      units = inside[used + 1] === 'u' ? 6 : 2;
      size = units;
    } else {
      const point = inside.codePointAt(used);
      if (point > 0xffff) units = 2;
      size = point < 0x80 ? 1 : point < 0x800 ? 2 : point < 0x10000 ? 3 : 4;
    }
    if (bytes + size > budget) break;
    used += units;
    bytes += size;
  }
  return inside.slice(0, used);
}

function paddedStatus(text) {
  const body = new Uint8Array(STATUS_BODY_BYTES).fill(0x20);
  body.set(utf8Encode(text));
  return body;
}

function statusWithReason(head, reason) {
  return paddedStatus(`${head}${escapedWithin(reason, STATUS_BODY_BYTES - utf8Encode(head).length - 2)}"}`);
}

// RESULT and ABORT bodies (docs/protocol.md): compact JSON, keys in this
// order, then spaces up to exactly 128 bytes. A reason too long to fit is
// cut at a character boundary; a lone surrogate in it becomes U+FFFD.
export function resultBody(accepted, reason = '') {
  return accepted ? paddedStatus('{"accepted":true}') : statusWithReason('{"accepted":false,"reason":"', reason);
}

export function abortBody(reason) {
  return statusWithReason('{"reason":"', reason);
}

// Exactly 128 bytes, the trailing spaces stripped, the rest one JSON object
// under the JSON rule with nothing around it (so a tab or NUL where the
// spaces belong is refused).
function parseStatus(body) {
  if (body.length !== STATUS_BODY_BYTES) throw new SyntaxError(`${STATUS_SUBJECT} is ${body.length} bytes, not 128`);
  let end = body.length;
  while (end > 0 && body[end - 1] === 0x20) end--;
  const text = body.subarray(0, end);
  const j = parseStrictJson(text, STATUS_SUBJECT);
  if (j === null || typeof j !== 'object' || Array.isArray(j) || text[0] !== 0x7b || text[end - 1] !== 0x7d) {
    throw new SyntaxError(`${STATUS_SUBJECT} is not a JSON object followed by spaces`);
  }
  return j;
}

// { accepted, reason }. Throws a SyntaxError (the message says why) for a
// body of the wrong size or padding, JSON against the rule, "accepted" not
// a boolean or "reason" not a string.
export function parseResultBody(body) {
  const j = parseStatus(body);
  if (typeof j.accepted !== 'boolean' || !Object.hasOwn(j, 'accepted')) throw new SyntaxError('RESULT has no boolean "accepted"');
  if (Object.hasOwn(j, 'reason') && typeof j.reason !== 'string') throw new SyntaxError('RESULT\'s "reason" is not a string');
  return { accepted: j.accepted, reason: j.reason ?? '' };
}

// The reason code. Throws as parseResultBody, or when "reason" is not a string.
export function parseAbortBody(body) {
  const j = parseStatus(body);
  if (!Object.hasOwn(j, 'reason') || typeof j.reason !== 'string') throw new SyntaxError('ABORT has no string "reason"');
  return j.reason;
}
