// CPace, draft-irtf-cfrg-cpace-21, suite CPACE-RISTR255-SHA512, in the
// initiator-responder setting (transcript_ir): ristretto255 (RFC 9496) from
// @noble/curves, SHA-512 and HMAC-SHA-512 from WebCrypto. Nothing here knows
// qrlogin: PRS, CI, sid and the associated data come from the caller
// (code_protocol.js).
//
// Secrets are wiped after use where they are bytes. The group elements
// (g, the scalar as a bigint, K before encoding) live in @noble/curves'
// immutable bigints, which JavaScript cannot wipe: best effort, as the
// contract says of JavaScript.
import { ristretto255, ristretto255_hasher } from '@noble/curves/ed25519.js';
import { concat, constantTimeEqual, utf8Encode, wipe } from './bytes.js';
import { randomOf } from './random.js';

const Point = ristretto255.Point;

export const DSI = utf8Encode('CPaceRistretto255');
export const DSI_ISK = utf8Encode('CPaceRistretto255_ISK');
const MAC_LABEL = utf8Encode('CPaceMac');
export const HASH_INPUT_BLOCK_BYTES = 128; // H.s_in_bytes of SHA-512
export const SCALAR_BYTES = 32;
export const POINT_BYTES = 32;
export const ISK_BYTES = 64;
export const TAG_BYTES = 64;

export class CpaceError extends Error {
  // code: bad_key (the peer's element is not a canonical encoding, or is
  // the identity) | identity (our own generator or share is the identity:
  // probability about 2^-252; draw new inputs) | bad_length (an input of
  // the wrong size, a caller's mistake) | unsupported (no WebCrypto here).
  constructor(code, message) {
    super(message);
    this.name = 'CpaceError';
    this.code = code;
  }
}

function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new CpaceError('unsupported', 'WebCrypto (crypto.subtle) is not available here');
  return s;
}

// prepend_len: the length as LEB128, then the bytes.
export function prependLen(data) {
  const length = [];
  let n = data.length;
  do {
    length.push(n < 128 ? n : (n & 0x7f) | 0x80);
    n = Math.floor(n / 128);
  } while (n > 0);
  return concat(Uint8Array.from(length), data);
}

export function lvCat(...parts) {
  return concat(...parts.map(prependLen));
}

// generator_string(DSI, PRS, CI, sid, s_in_bytes): zero padding fills the
// first hash block after DSI and PRS.
export function generatorString(prs, ci, sid) {
  const zpad = Math.max(0, HASH_INPUT_BLOCK_BYTES - 1 - prependLen(prs).length - prependLen(DSI).length);
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

export async function sha512(...parts) {
  const input = concat(...parts);
  try {
    return new Uint8Array(await subtle().digest('SHA-512', input));
  } finally {
    wipe(input);
  }
}

// RFC 9496 §4.3.4 element derivation of 64 bytes. Not hashToCurve, which
// is RFC 9380's hash_to_ristretto255 and hashes its input again.
export function elementDerivation(hash) {
  if (hash.length !== 64) throw new CpaceError('bad_length', 'element derivation takes 64 bytes');
  return ristretto255_hasher.deriveToCurve(hash);
}

// calculate_generator: g from PRS, CI and sid. gen_str and its hash reveal
// PRS to a search over the passwords, so both are wiped; `trace` (tests
// only) receives copies.
export async function calculateGenerator(prs, ci, sid, trace) {
  const genStr = generatorString(prs, ci, sid);
  const genHash = await sha512(genStr);
  try {
    const g = elementDerivation(genHash);
    if (trace) Object.assign(trace, { genStr: Uint8Array.from(genStr), genHash: Uint8Array.from(genHash) });
    return g;
  } finally {
    wipe(genStr, genHash);
  }
}

// sample_scalar: 32 random bytes with the bits above 252 cleared, read
// little endian (the draft's recommendation for ristretto255).
export function sampleScalar(internal) {
  const y = randomOf(internal)(SCALAR_BYTES);
  y[31] &= 0x0f;
  return y;
}

function scalarOf(y) {
  if (y.length !== SCALAR_BYTES) throw new CpaceError('bad_length', 'a CPace scalar is 32 bytes');
  let value = 0n;
  for (let i = SCALAR_BYTES - 1; i >= 0; i--) value = (value << 8n) | BigInt(y[i]);
  if (value >= Point.Fn.ORDER) throw new CpaceError('bad_length', 'a CPace scalar must be below the group order');
  return value;
}

// y·P, or the identity when y is 0 (which noble's constant-time multiply refuses).
function times(y, point) {
  const scalar = scalarOf(y);
  return scalar === 0n ? Point.ZERO : point.multiply(scalar);
}

// scalar_mult(y, g): our share Y, encoded. The identity (a zero scalar or
// generator, about 2^-252) is refused: draw again.
export function scalarMult(y, g) {
  const share = times(y, g);
  if (share.is0()) throw new CpaceError('identity', 'the CPace share is the identity: draw new inputs');
  return share.toBytes();
}

// scalar_mult_vfy(y, X) for the peer's X: K encoded, or bad_key where the
// draft returns G.I (X not a canonical encoding, or the identity).
export function scalarMultVfy(y, peerEncoded) {
  if (!(peerEncoded instanceof Uint8Array) || peerEncoded.length !== POINT_BYTES) {
    throw new CpaceError('bad_key', "the peer's CPace element is not 32 bytes");
  }
  let peer;
  try {
    peer = Point.fromBytes(peerEncoded);
  } catch {
    throw new CpaceError('bad_key', "the peer's CPace element is not a canonical ristretto255 encoding");
  }
  if (peer.is0()) throw new CpaceError('bad_key', "the peer's CPace element is the identity");
  const k = times(y, peer);
  if (k.is0()) throw new CpaceError('bad_key', 'the CPace shared element is the identity');
  return k.toBytes();
}

// transcript_ir(Ya, ADa, Yb, ADb): the initiator's message first.
export function transcriptIr(Ya, ADa, Yb, ADb) {
  return concat(lvCat(Ya, ADa), lvCat(Yb, ADb));
}

// ISK = H(lv_cat(DSI_ISK, sid, K) || transcript_ir(Ya, ADa, Yb, ADb)).
export async function intermediateSessionKey(sid, K, Ya, ADa, Yb, ADb) {
  const prefix = lvCat(DSI_ISK, sid, K);
  try {
    return await sha512(prefix, transcriptIr(Ya, ADa, Yb, ADb));
  } finally {
    wipe(prefix);
  }
}

// mac_key = H("CPaceMac" || sid || ISK) (the draft's key confirmation).
export function macKeyOf(sid, isk) {
  return sha512(MAC_LABEL, sid, isk);
}

// The key confirmation tag over a party's own message: HMAC-SHA-512(mac_key, lv_cat(Y, AD)).
export async function confirmationTag(macKey, Y, AD) {
  const key = await subtle().importKey('raw', macKey, { name: 'HMAC', hash: 'SHA-512' }, false, ['sign']);
  return new Uint8Array(await subtle().sign('HMAC', key, lvCat(Y, AD)));
}

// Compares a received tag with the expected one without an early exit; the
// expected tag is wiped.
export function tagMatches(received, expected) {
  const same = received instanceof Uint8Array && received.length === TAG_BYTES && expected.length === TAG_BYTES &&
    constantTimeEqual(received, expected);
  wipe(expected);
  return same;
}

// One party's share: the generator, a fresh scalar y and Y = y·g.
// Returns { y, Y }; y is the caller's to wipe.
export async function cpaceShare(prs, ci, sid, internal, trace) {
  const g = await calculateGenerator(prs, ci, sid, trace);
  const y = sampleScalar(internal);
  try {
    const Y = scalarMult(y, g);
    if (trace) Object.assign(trace, { g: g.toBytes() });
    return { y, Y };
  } catch (e) {
    wipe(y);
    throw e;
  }
}

// Both parties' keys once the peer's share arrived: K (checked, never
// returned), ISK and mac_key. `initiator` is A's { Y, AD }, `responder` B's;
// peerY is the one of the two that came from the peer. Returns
// { isk, macKey }, the caller's to wipe.
export async function cpaceKeys(y, sid, initiator, responder, peerY, trace) {
  const K = scalarMultVfy(y, peerY);
  try {
    const isk = await intermediateSessionKey(sid, K, initiator.Y, initiator.AD, responder.Y, responder.AD);
    const macKey = await macKeyOf(sid, isk);
    if (trace) Object.assign(trace, { K: Uint8Array.from(K) });
    return { isk, macKey };
  } finally {
    wipe(K);
  }
}
