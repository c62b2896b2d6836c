// The code mode's key agreement (protocol-code.md, "Cryptography" and
// "Messages"): CPace (cpace.js) bound to the application and the code
// channel, its PAKE_R, PAKE_S and CONFIRM_R frames, and the HPKE mode_psk
// context that the unchanged CREDENTIAL, RESULT and ABORT frames use.
//
// The receiver (A, the initiator) and the sender (B) each take two steps:
//   R: startCodeReceiver -> PAKE_R          S: answerPakeR(PAKE_R) -> PAKE_S
//   R: checkPakeS(PAKE_S) -> CONFIRM_R      S: checkConfirmR(CONFIRM_R)
// Each step wipes the secrets it no longer needs; a failed step leaves its
// state unusable. Errors are QrloginErrors: bad_message (a frame of the
// wrong size), unexpected_message (another frame type), bad_key (an element
// or X25519 key that is not acceptable), wrong_code (a tag that does not
// verify: the other side used another code, or guessed; a code-mode reason
// that the machines add to reason.js together with the C++ core's).
import { concat, utf8Encode, wipe } from './bytes.js';
import {
  AEAD_ID, CODE_ELEMENT_BYTES, CODE_SID_BYTES, CODE_TAG_BYTES, CodeMessageType, CONFIRM_R_FRAME_BYTES, LABEL_CODE,
  LABEL_CODE_PSK, LABEL_CODE_RECEIVER, LABEL_CODE_SENDER, PAKE_R_FRAME_BYTES, PAKE_S_FRAME_BYTES,
} from './constants.js';
import { confirmationTag, CpaceError, cpaceKeys, cpaceShare, lvCat, tagMatches } from './cpace.js';
import {
  ENC_BYTES, hkdfExpand, hkdfExtract, HpkeError, isPlatformFailure, keyPairFromSecret, SECRET_KEY_BYTES,
  senderKeyPair, setupPskReceiver, setupPskSender,
} from './hpke.js';
import { KEY_SCHEDULE_TRACE, randomOf } from './random.js';
import { QrloginError } from './reason.js';

const PSK_BYTES = 32;

// CI = lv_cat("qrlogin/v1 code", app, cid_raw)
export function codeCi(app, cidRaw) {
  return lvCat(utf8Encode(LABEL_CODE), utf8Encode(app), cidRaw);
}

// ADa = "qrlogin/v1 R" || pkR;  ADb = "qrlogin/v1 S" || enc
export const receiverAd = (pkR) => concat(utf8Encode(LABEL_CODE_RECEIVER), pkR);
export const senderAd = (enc) => concat(utf8Encode(LABEL_CODE_SENDER), enc);

// info = "qrlogin/v1 code" || cid_raw;  psk_id = "qrlogin/v1 code"
export const codeInfo = (cidRaw) => concat(utf8Encode(LABEL_CODE), cidRaw);
export const codePskId = () => utf8Encode(LABEL_CODE);

// psk = HKDF-SHA256(salt "", IKM ISK, info "qrlogin/v1 code psk", 32)
export async function codePsk(isk) {
  const prk = await hkdfExtract(new Uint8Array(0), isk);
  try {
    return await hkdfExpand(prk, utf8Encode(LABEL_CODE_PSK), PSK_BYTES);
  } finally {
    wipe(prk);
  }
}

// ---- Frames: type byte || plain body ----

export const makePakeR = (sid, Ya, pkR) => concat(Uint8Array.of(CodeMessageType.pakeR), sid, Ya, pkR);
export const makePakeS = (Yb, enc, tagS) => concat(Uint8Array.of(CodeMessageType.pakeS), Yb, enc, tagS);
export const makeConfirmR = (tagR) => concat(Uint8Array.of(CodeMessageType.confirmR), tagR);

const FRAME_NAMES = { [CodeMessageType.pakeR]: 'PAKE_R', [CodeMessageType.pakeS]: 'PAKE_S', [CodeMessageType.confirmR]: 'CONFIRM_R' };

// The body of a frame that must be of `type` and exactly `size` bytes, cut
// into fields of the given lengths (copies).
function fieldsOf(frame, type, size, lengths) {
  if (!(frame instanceof Uint8Array) || frame.length === 0 || frame[0] !== type) {
    throw new QrloginError('unexpected_message', `expected ${FRAME_NAMES[type]}, but another message arrived`);
  }
  if (frame.length !== size) {
    throw new QrloginError('bad_message', `${FRAME_NAMES[type]} is ${frame.length} bytes, not ${size}`);
  }
  const fields = [];
  let offset = 1;
  for (const n of lengths) {
    fields.push(frame.slice(offset, offset + n));
    offset += n;
  }
  return fields;
}

export const parsePakeR = (frame) => {
  const [sid, Ya, pkR] = fieldsOf(frame, CodeMessageType.pakeR, PAKE_R_FRAME_BYTES, [CODE_SID_BYTES, CODE_ELEMENT_BYTES, ENC_BYTES]);
  return { sid, Ya, pkR };
};
export const parsePakeS = (frame) => {
  const [Yb, enc, tagS] = fieldsOf(frame, CodeMessageType.pakeS, PAKE_S_FRAME_BYTES, [CODE_ELEMENT_BYTES, ENC_BYTES, CODE_TAG_BYTES]);
  return { Yb, enc, tagS };
};
export const parseConfirmR = (frame) => {
  const [tagR] = fieldsOf(frame, CodeMessageType.confirmR, CONFIRM_R_FRAME_BYTES, [CODE_TAG_BYTES]);
  return { tagR };
};

// A CPace or HPKE failure caused by what the peer sent, as the reason the
// pairing ends with; this platform's own failures pass unchanged.
function asPeerFailure(e) {
  if (e instanceof CpaceError && e.code === 'bad_key') return new QrloginError('bad_key', undefined, e.message);
  if (e instanceof HpkeError && !isPlatformFailure(e)) return new QrloginError('bad_key', undefined, e.message);
  return e;
}

// Tests only: trace.hpke receives the HPKE key schedule's values.
const hpkeTraceOf = (trace) => (trace?.hpke ? { [KEY_SCHEDULE_TRACE]: trace.hpke } : {});

const WRONG_CODE_AT_RECEIVER = 'A wrong code was entered on another device (a typo, or someone guessing)';
const WRONG_CODE_AT_SENDER = 'The code was not accepted: mistyped, expired, or someone interfered.';

// ---- The receiver ----

// R's first step, on its first `joined`: draws skR, sid and y_a (in that
// order) for this code and returns { frame: PAKE_R, state }. password is
// the code's 6 ASCII digits, app the origin (code.js appOrigin), cid the
// code channel's id (code.js codeChannelId).
export async function startCodeReceiver({ password, app, cid }, internal = {}, trace) {
  const random = randomOf(internal);
  const secretKey = random(SECRET_KEY_BYTES);
  let keyPair;
  try {
    keyPair = await keyPairFromSecret(secretKey);
  } finally {
    wipe(secretKey);
  }
  const sid = random(CODE_SID_BYTES);
  const prs = utf8Encode(password);
  let share;
  try {
    share = await cpaceShare(prs, codeCi(app, cid.raw), sid, internal, trace);
  } finally {
    wipe(prs);
  }
  const state = { sid, ya: share.y, Ya: share.Y, ADa: receiverAd(keyPair.publicKey), keyPair, info: codeInfo(cid.raw) };
  return { frame: makePakeR(sid, share.Y, keyPair.publicKey), state };
}

// R on PAKE_S: checks Yb (bad_key), tag_S (wrong_code), enc (bad_key), in
// that order, and only then makes CONFIRM_R. Returns { frame: CONFIRM_R,
// context } with context the HPKE receiver context. The state is spent
// whatever happens: one PAKE_S per code.
export async function checkPakeS(state, frame, trace) {
  const { sid, ya, Ya, ADa, keyPair, info } = state;
  if (!ya) throw new QrloginError('unexpected_message', 'a second PAKE_S arrived for this code');
  state.ya = null;
  let keys;
  try {
    const { Yb, enc, tagS } = parsePakeS(frame);
    const ADb = senderAd(enc);
    keys = await cpaceKeys(ya, sid, { Y: Ya, AD: ADa }, { Y: Yb, AD: ADb }, Yb, trace).catch((e) => { throw asPeerFailure(e); });
    if (!tagMatches(tagS, await confirmationTag(keys.macKey, Yb, ADb))) {
      throw new QrloginError('wrong_code', WRONG_CODE_AT_RECEIVER);
    }
    const psk = await codePsk(keys.isk);
    let context;
    try {
      context = await setupPskReceiver(AEAD_ID, enc, keyPair, info, psk, codePskId(), hpkeTraceOf(trace))
        .catch((e) => { throw asPeerFailure(e); });
      if (trace) Object.assign(trace, { isk: Uint8Array.from(keys.isk), macKey: Uint8Array.from(keys.macKey), psk: Uint8Array.from(psk) });
    } finally {
      wipe(psk);
    }
    const tagR = await confirmationTag(keys.macKey, Ya, ADa);
    return { frame: makeConfirmR(tagR), context };
  } finally {
    wipe(ya);
    if (keys) wipe(keys.isk, keys.macKey);
  }
}

// ---- The sender ----

// S on PAKE_R, with the code its user typed: draws y_b, then its HPKE key
// pair (enc), computes K, ISK, psk and the HPKE sender context, and
// returns { frame: PAKE_S, context, state } (state for checkConfirmR).
export async function answerPakeR({ password, app, cid }, frame, internal = {}, trace) {
  const { sid, Ya, pkR } = parsePakeR(frame);
  const prs = utf8Encode(password);
  let share;
  try {
    share = await cpaceShare(prs, codeCi(app, cid.raw), sid, internal, trace)
      .catch((e) => { throw e instanceof CpaceError && e.code === 'identity' ? new QrloginError('bad_key', undefined, e.message) : e; });
  } finally {
    wipe(prs);
  }
  const yb = share.y;
  let keys;
  try {
    const ephemeral = await senderKeyPair(internal);
    const ADa = receiverAd(pkR);
    const ADb = senderAd(ephemeral.publicKey);
    keys = await cpaceKeys(yb, sid, { Y: Ya, AD: ADa }, { Y: share.Y, AD: ADb }, Ya, trace).catch((e) => { throw asPeerFailure(e); });
    const psk = await codePsk(keys.isk);
    let context;
    try {
      context = await setupPskSender(AEAD_ID, pkR, codeInfo(cid.raw), psk, codePskId(), ephemeral,
        hpkeTraceOf(trace)).catch((e) => { throw asPeerFailure(e); });
      if (trace) Object.assign(trace, { isk: Uint8Array.from(keys.isk), macKey: Uint8Array.from(keys.macKey), psk: Uint8Array.from(psk) });
    } finally {
      wipe(psk);
    }
    const tagS = await confirmationTag(keys.macKey, share.Y, ADb);
    const expectedTagR = await confirmationTag(keys.macKey, Ya, ADa);
    return { frame: makePakeS(share.Y, ephemeral.publicKey, tagS), context, state: { expectedTagR } };
  } finally {
    wipe(yb);
    if (keys) wipe(keys.isk, keys.macKey);
  }
}

// S on CONFIRM_R: wrong_code unless tag_R verifies. The expected tag is
// wiped: one CONFIRM_R per code.
export function checkConfirmR(state, frame) {
  const expected = state.expectedTagR;
  if (!expected) throw new QrloginError('unexpected_message', 'a second CONFIRM_R arrived for this code');
  state.expectedTagR = null;
  let tagR;
  try {
    ({ tagR } = parseConfirmR(frame));
  } catch (e) {
    wipe(expected);
    throw e;
  }
  if (!tagMatches(tagR, expected)) throw new QrloginError('wrong_code', WRONG_CODE_AT_SENDER);
}

// Erases what a step's state still holds (a code replaced, expired or
// cancelled before its next step): y_a, sid and Ya for R, the expected
// tag_R for S. The receiver's X25519 private key is a non-extractable
// CryptoKey, dropped with the state.
export function forgetCodeState(state) {
  for (const [name, value] of Object.entries(state)) {
    if (value instanceof Uint8Array) wipe(value);
    state[name] = null;
  }
}
