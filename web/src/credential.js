// The credential message body: J = {"credential": <JSON>, "label": "..."},
// framed as uint32-be(len(J)) || J || zero padding to a multiple of 256, so
// the relay learns only a 256-byte size class. Same rules and messages as
// crypto/pairing/credential.cpp.
import { utf8DecodeStrict, utf8Encode, wipe } from './bytes.js';
import { MAX_CREDENTIAL_JSON_BYTES, MAX_PADDED_CREDENTIAL_BYTES, PADDING_BLOCK } from './constants.js';
import { checkStrictJson, parseStrictJson } from './strict_json.js';
import { QrloginError } from './reason.js';

const TOO_LARGE = 'the credential is too large: at most 65536 bytes of JSON can be sent';
const SUBJECT = 'the credential';

const credentialError = (message) => new QrloginError('bad_credential', message);

function isWellFormed(text) {
  try {
    encodeURIComponent(text); // throws on a lone surrogate
    return true;
  } catch {
    return false;
  }
}

const utf8Compare = (a, b) => {
  const x = utf8Encode(a);
  const y = utf8Encode(b);
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
};

// Compact JSON with object keys in UTF-8 byte order, as the C++ core
// (nlohmann::json) prints it. Throws on text that is not valid Unicode.
export function compactJson(value) {
  if (typeof value === 'string') {
    if (!isWellFormed(value)) throw credentialError('the credential is not valid UTF-8 text');
    return JSON.stringify(value);
  }
  if (typeof value === 'number' && !Number.isFinite(value)) {
    throw credentialError('the credential has a number that is not finite (JSON has no infinity or NaN)');
  }
  if (value === null || typeof value === 'number' || typeof value === 'boolean') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((v) => (v === undefined ? 'null' : compactJson(v))).join(',')}]`;
  if (typeof value === 'object') {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort(utf8Compare);
    return `{${keys.map((k) => `${compactJson(k)}:${compactJson(value[k])}`).join(',')}}`;
  }
  throw credentialError('the credential is not a JSON value');
}

function checkedJ(text) {
  const bytes = utf8Encode(text);
  if (bytes.length > MAX_CREDENTIAL_JSON_BYTES) {
    wipe(bytes);
    throw new QrloginError('limit_exceeded', TOO_LARGE);
  }
  // What we send meets the rule every receiver applies (depth, above all).
  try {
    checkStrictJson(bytes, SUBJECT);
  } catch (e) {
    wipe(bytes);
    throw credentialError(e.message);
  }
  return bytes;
}

// J for any JSON value (keys sorted, compact) and an optional label.
export function credentialJson(credential, label = '') {
  const j = label === '' ? { credential } : { credential, label };
  return checkedJ(compactJson(j));
}

// J for a credential that is text (a token, a file's content): a string,
// or UTF-8 bytes that must be valid.
export function credentialJsonFromText(text, label = '') {
  if (text instanceof Uint8Array) {
    if (text.length > MAX_CREDENTIAL_JSON_BYTES) throw new QrloginError('limit_exceeded', TOO_LARGE);
    try {
      text = utf8DecodeStrict(text);
    } catch {
      throw credentialError('the credential is not valid UTF-8 text');
    }
  }
  if (typeof text !== 'string') throw credentialError('the credential text must be a string');
  return credentialJson(text, label);
}

// J from what an application hands a sender: text (e.g. a token) or a
// JSON value.
export function senderCredentialJson(credential, label = '') {
  return typeof credential === 'string' ? credentialJsonFromText(credential, label) : credentialJson(credential, label);
}

// uint32-be(len(J)) || J || zeros up to the next multiple of 256.
export function padCredential(json) {
  if (json.length > MAX_CREDENTIAL_JSON_BYTES) throw new QrloginError('limit_exceeded', TOO_LARGE);
  const padded = Math.ceil((4 + json.length) / PADDING_BLOCK) * PADDING_BLOCK;
  const out = new Uint8Array(padded);
  new DataView(out.buffer).setUint32(0, json.length);
  out.set(json, 4);
  return out;
}

// Strictly undoes padCredential and checks J. Returns
// { bytes, text, isString, label }: a string credential's exact text, or
// any other value as compact JSON. Throws QrloginError('bad_credential').
export function unpadCredential(plaintext) {
  if (plaintext.length === 0 || plaintext.length % PADDING_BLOCK !== 0 || plaintext.length > MAX_PADDED_CREDENTIAL_BYTES) {
    throw credentialError("the credential's padded length is not a multiple of 256 bytes");
  }
  const len = new DataView(plaintext.buffer, plaintext.byteOffset, 4).getUint32(0);
  if (len > MAX_CREDENTIAL_JSON_BYTES) throw credentialError("the credential's length field is over 65536 bytes");
  if (len > plaintext.length - 4) throw credentialError("the credential's length field is larger than the message");
  if (plaintext.length - (4 + len) >= PADDING_BLOCK) {
    throw credentialError('the credential carries more padding than its length needs');
  }
  let nonzero = 0;
  for (let i = 4 + len; i < plaintext.length; i++) nonzero |= plaintext[i];
  if (nonzero !== 0) throw credentialError("the credential's padding is not all zero bytes");

  let j;
  try {
    j = parseStrictJson(plaintext.subarray(4, 4 + len), SUBJECT);
  } catch (e) {
    throw credentialError(e.message);
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j) || !Object.hasOwn(j, 'credential')) {
    throw credentialError('the credential message has no "credential" member');
  }
  let label = '';
  if (Object.hasOwn(j, 'label')) {
    if (typeof j.label !== 'string') throw credentialError("the credential's label is not a string");
    label = j.label;
  }
  const value = j.credential;
  const isString = typeof value === 'string';
  const out = isString ? value : compactJson(value);
  return { bytes: utf8Encode(out), text: out, isString, label };
}
