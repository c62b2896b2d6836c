// A deliberately small, strict URL splitter for the few URLs qrlogin handles
// (page, relay), with the same rules as crypto/pairing/url.cpp: only
// scheme://host[:port][/path][?query], no user info, no whitespace or
// control characters, no fragment; a host is a name of letters, digits,
// '-', '.' and '_', or an IPv6 address in brackets. The WHATWG URL parser is
// not used on purpose: it repairs what this splitter must refuse. Queries
// follow the one rule of docs/protocol.md, "The pairing link" (rev. 3).
import { utf8DecodeStrict } from './bytes.js';

export class UrlError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UrlError';
    this.code = 'bad_url';
  }
}

function isForbidden(c) {
  const u = c.charCodeAt(0);
  return u <= 0x20 || u >= 0x7f || '\\"<>`{}|^'.includes(c);
}

const isAlpha = (c) => /^[A-Za-z]$/.test(c);
const HEX_VALUE = (c) => (/^[0-9A-Fa-f]$/.test(c) ? parseInt(c, 16) : -1);

// Returns { scheme, host, port, path, query, authority }.
export function parseUrl(text) {
  for (const c of text) {
    if (isForbidden(c)) throw new UrlError('the URL contains a space, a control character or a character URLs may not carry');
  }
  if (text.includes('#')) throw new UrlError('the URL must not contain a fragment here');
  const sep = text.indexOf('://');
  if (sep <= 0) throw new UrlError('the URL has no scheme (expected https://...)');
  let scheme = '';
  for (const c of text.slice(0, sep)) {
    if (!isAlpha(c)) throw new UrlError('the URL scheme is malformed');
    scheme += c.toLowerCase();
  }
  let rest = text.slice(sep + 3);
  const end = rest.search(/[/?]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  rest = end < 0 ? '' : rest.slice(end);
  if (authority === '') throw new UrlError('the URL has no host');
  if (authority.includes('@')) throw new UrlError('the URL must not contain a user name or password');

  let host;
  let port = '';
  let hasPortSeparator = false;
  if (authority[0] === '[') {
    const close = authority.indexOf(']');
    if (close < 0) throw new UrlError("the URL's IPv6 address is missing its ']'");
    host = authority.slice(0, close + 1);
    const after = authority.slice(close + 1);
    if (after !== '') {
      if (after[0] !== ':') throw new UrlError('the URL has characters after its IPv6 address');
      port = after.slice(1);
      hasPortSeparator = true;
    }
  } else {
    const colon = authority.indexOf(':');
    host = (colon < 0 ? authority : authority.slice(0, colon)).toLowerCase();
    if (colon >= 0) {
      port = authority.slice(colon + 1);
      hasPortSeparator = true;
    }
  }
  if (host === '' || host === '[]') throw new UrlError('the URL has no host');
  // Only what every resolver reads the same way: a browser would
  // percent-decode or re-encode anything else, and the CLI would look it up
  // as written.
  if (host[0] === '[') {
    if (!/^\[[0-9A-Fa-f:.]*:[0-9A-Fa-f:.]*\]$/.test(host)) throw new UrlError("the URL's IPv6 address may hold only hex digits, ':' and '.'");
  } else if (!/^[A-Za-z0-9._-]+$/.test(host)) {
    throw new UrlError("the URL's host may hold only letters, digits, '-', '.' and '_'");
  }
  if (hasPortSeparator) {
    const value = /^[0-9]{1,5}$/.test(port) ? Number(port) : 0;
    if (value < 1 || value > 65535) throw new UrlError("the URL's port is not a number from 1 to 65535");
  }
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  return { scheme, host, port, path, query, authority: port === '' ? host : `${host}:${port}` };
}

// The raw values of every parameter whose name is exactly `name`, in order.
// Parameters are split at '&', a name ends at the first '='; names are
// compared as written, never decoded ("rel%61y" is not "relay"). A
// parameter without '=' has the empty value.
export function queryValues(query, name) {
  const values = [];
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if ((eq < 0 ? pair : pair.slice(0, eq)) === name) values.push(eq < 0 ? '' : pair.slice(eq + 1));
  }
  return values;
}

// A query value percent-decoded: each %XX is one byte, '+' and every other
// character stand for themselves, and the bytes must be UTF-8 (a leading
// byte-order mark is kept, as the C++ side keeps it). Throws UrlError for a
// '%' without two hex digits after it, or bytes that are not UTF-8.
export function percentDecode(raw) {
  // Byte by byte over the UTF-8 of raw, as the C++ side reads its bytes.
  const text = new TextEncoder().encode(raw);
  const hex = (i) => (i < text.length ? HEX_VALUE(String.fromCharCode(text[i])) : -1);
  const bytes = [];
  for (let i = 0; i < text.length; i++) {
    if (text[i] !== 0x25) {
      bytes.push(text[i]);
      continue;
    }
    const hi = hex(i + 1);
    const lo = hex(i + 2);
    if (hi < 0 || lo < 0) throw new UrlError("a '%' is not followed by two hex digits");
    bytes.push((hi << 4) | lo);
    i += 2;
  }
  try {
    return utf8DecodeStrict(new Uint8Array(bytes));
  } catch {
    throw new UrlError('its %-escapes do not decode to UTF-8 text');
  }
}

// Every byte of the UTF-8 text but A-Z a-z 0-9 - . _ ~ as %XX (upper-case hex).
export function percentEncode(text) {
  let out = '';
  for (const b of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(b);
    if (/^[A-Za-z0-9\-._~]$/.test(c)) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

