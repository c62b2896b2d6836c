// The credential message body: J = {"credential": <JSON>, "label": "..."},
// framed as uint32-be(len(J)) || J || zero padding to a multiple of 256, so
// the relay learns only a 256-byte size class. Same rules and messages as
// crypto/pairing/credential.cpp.
import { utf8DecodeStrict, utf8Encode, wipe } from './bytes.js';
import {
  MAX_CREDENTIAL_JSON_BYTES, MAX_CREDENTIAL_JSON_DEPTH, MAX_PADDED_CREDENTIAL_BYTES, PADDING_BLOCK,
} from './constants.js';
import { QrloginError } from './reason.js';

const TOO_LARGE = 'the credential is too large: at most 65536 bytes of JSON can be sent';
const TOO_DEEP = "the credential's JSON nests more than 32 levels deep";

const credentialError = (message) => new QrloginError('bad_credential', message);

function isWellFormed(text) {
  try {
    encodeURIComponent(text); // throws on a lone surrogate
    return true;
  } catch {
    return false;
  }
}

// Iterative: the tree comes from untrusted JSON.
function everyStringWellFormed(root) {
  const pending = [root];
  while (pending.length > 0) {
    const v = pending.pop();
    if (typeof v === 'string') {
      if (!isWellFormed(v)) return false;
    } else if (v !== null && typeof v === 'object') {
      for (const [k, child] of Object.entries(v)) {
        if (!isWellFormed(k)) return false;
        pending.push(child);
      }
    }
  }
  return true;
}

// The deepest nesting of arrays and objects in a JSON text (strings
// skipped). Bounded before parsing, as the C++ core does.
export function jsonDepth(text) {
  let depth = 0;
  let deepest = 0;
  let inString = false;
  let escaped = false;
  for (const c of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (c === '\\') escaped = true;
      else if (c === '"') inString = false;
    } else if (c === '"') {
      inString = true;
    } else if (c === '[' || c === '{') {
      deepest = Math.max(deepest, ++depth);
    } else if ((c === ']' || c === '}') && depth > 0) {
      --depth;
    }
  }
  return deepest;
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
  if (jsonDepth(text) > MAX_CREDENTIAL_JSON_DEPTH) {
    wipe(bytes);
    throw credentialError(TOO_DEEP);
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

  let text;
  try {
    text = utf8DecodeStrict(plaintext.subarray(4, 4 + len));
  } catch {
    throw credentialError('the credential is not valid JSON');
  }
  if (jsonDepth(text) > MAX_CREDENTIAL_JSON_DEPTH) throw credentialError(TOO_DEEP);
  let j;
  try {
    // The C++ parser skips one leading byte order mark; JSON.parse does not.
    j = JSON.parse(text.startsWith('\ufeff') ? text.slice(1) : text);
  } catch {
    throw credentialError('the credential is not valid JSON');
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j) || !Object.hasOwn(j, 'credential')) {
    throw credentialError('the credential message has no "credential" member');
  }
  let label = '';
  if (Object.hasOwn(j, 'label')) {
    if (typeof j.label !== 'string') throw credentialError("the credential's label is not a string");
    label = j.label;
  }
  // A lone surrogate escape (\ud800) is invalid JSON for the C++ parser.
  if (!everyStringWellFormed(j)) throw credentialError('the credential is not valid JSON');
  const value = j.credential;
  const isString = typeof value === 'string';
  const out = isString ? value : compactJson(value);
  return { bytes: utf8Encode(out), text: out, isString, label };
}
