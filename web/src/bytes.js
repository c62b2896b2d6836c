// Byte strings and their text encodings: hex for vectors, base64url without
// padding for the wire. Decoders are strict: every byte string has exactly
// one accepted encoding (same rules as crypto/bytes.cpp).

const HEX_DIGITS = '0123456789abcdef';
const B64URL_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
const B64URL_VALUES = (() => {
  const table = new Int16Array(128).fill(-1);
  for (let i = 0; i < B64URL_ALPHABET.length; i++) table[B64URL_ALPHABET.charCodeAt(i)] = i;
  return table;
})();

export class EncodingError extends Error {
  constructor(message) {
    super(message);
    this.name = 'EncodingError';
    this.code = 'bad_encoding';
  }
}

export function hexEncode(bytes) {
  let out = '';
  for (const b of bytes) out += HEX_DIGITS[b >> 4] + HEX_DIGITS[b & 15];
  return out;
}

export function hexDecode(text) {
  if (text.length % 2 !== 0) throw new EncodingError('hex string has an odd number of digits');
  if (!/^[0-9a-fA-F]*$/.test(text)) throw new EncodingError('hex string has a character that is not a hex digit');
  const out = new Uint8Array(text.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(text.substr(2 * i, 2), 16);
  return out;
}

export function base64urlEncode(bytes) {
  let out = '';
  let i = 0;
  for (; i + 3 <= bytes.length; i += 3) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8) | bytes[i + 2];
    out += B64URL_ALPHABET[(v >> 18) & 63] + B64URL_ALPHABET[(v >> 12) & 63] +
      B64URL_ALPHABET[(v >> 6) & 63] + B64URL_ALPHABET[v & 63];
  }
  const rest = bytes.length - i;
  if (rest === 1) {
    const v = bytes[i] << 16;
    out += B64URL_ALPHABET[(v >> 18) & 63] + B64URL_ALPHABET[(v >> 12) & 63];
  } else if (rest === 2) {
    const v = (bytes[i] << 16) | (bytes[i + 1] << 8);
    out += B64URL_ALPHABET[(v >> 18) & 63] + B64URL_ALPHABET[(v >> 12) & 63] + B64URL_ALPHABET[(v >> 6) & 63];
  }
  return out;
}

// Rejects padding, characters outside the URL-safe alphabet, impossible
// lengths and non-zero trailing bits.
export function base64urlDecode(text) {
  if (text.length % 4 === 1) throw new EncodingError('base64url text has an impossible length');
  const out = new Uint8Array(Math.floor((text.length * 3) / 4));
  let acc = 0;
  let bits = 0;
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    const v = c < 128 ? B64URL_VALUES[c] : -1;
    if (v < 0) {
      if (text[i] === '=') throw new EncodingError("base64url text must not carry '=' padding");
      throw new EncodingError('base64url text has a character outside A-Z a-z 0-9 - _');
    }
    acc = ((acc << 6) | v) & 0xffffff;
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out[n++] = (acc >> bits) & 0xff;
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1 << bits) - 1)) !== 0) {
    throw new EncodingError('base64url text is not canonical (non-zero trailing bits)');
  }
  return out.subarray(0, n);
}

export function concat(...parts) {
  let total = 0;
  for (const p of parts) total += p.length;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

// I2OSP(value, n): big-endian, n bytes; value is a non-negative safe integer.
export function i2osp(value, n) {
  const out = new Uint8Array(n);
  let v = BigInt(value);
  for (let i = n - 1; i >= 0 && v > 0n; i--) {
    out[i] = Number(v & 0xffn);
    v >>= 8n;
  }
  return out;
}

const utf8Encoder = new TextEncoder();
const utf8StrictDecoder = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

export function utf8Encode(text) {
  return utf8Encoder.encode(text);
}

// Throws on invalid UTF-8 instead of substituting U+FFFD.
export function utf8DecodeStrict(bytes) {
  try {
    return utf8StrictDecoder.decode(bytes);
  } catch {
    throw new EncodingError('the text is not valid UTF-8');
  }
}

// Compares in time that depends only on the lengths.
export function constantTimeEqual(a, b) {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a[i] ^ b[i];
  return diff === 0;
}

// Best effort: JavaScript engines may have copied the bytes elsewhere.
export function wipe(...arrays) {
  for (const a of arrays) if (a instanceof Uint8Array) a.fill(0);
}
