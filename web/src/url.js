// A deliberately small, strict URL splitter for the few URLs qrlogin handles
// (page, relay), with the same rules as crypto/pairing/url.cpp: only
// scheme://host[:port][/path][?query], no user info, no whitespace or
// control characters, no fragment. The WHATWG URL parser is not used on
// purpose: it repairs what this splitter must refuse.

export class UrlError extends Error {
  constructor(message) {
    super(message);
    this.name = 'UrlError';
    this.code = 'bad_encoding';
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
  if (hasPortSeparator) {
    const value = /^[0-9]{1,5}$/.test(port) ? Number(port) : 0;
    if (value < 1 || value > 65535) throw new UrlError("the URL's port is not a number from 1 to 65535");
  }
  const q = rest.indexOf('?');
  const path = q < 0 ? rest : rest.slice(0, q);
  const query = q < 0 ? '' : rest.slice(q + 1);
  return { scheme, host, port, path, query, authority: port === '' ? host : `${host}:${port}` };
}

// The percent-decoded value of a query parameter: { found, value }.
// Throws when the parameter is given twice or has a bad %-escape.
export function queryParam(query, name) {
  const result = { found: false, value: '' };
  if (query === '') return result;
  for (const pair of query.split('&')) {
    const eq = pair.indexOf('=');
    if ((eq < 0 ? pair : pair.slice(0, eq)) !== name) continue;
    if (result.found) throw new UrlError(`the URL gives the '${name}' parameter twice`);
    result.found = true;
    const raw = eq < 0 ? '' : pair.slice(eq + 1);
    const bytes = [];
    for (let i = 0; i < raw.length; i++) {
      if (raw[i] !== '%') {
        bytes.push(raw.charCodeAt(i));
        continue;
      }
      const hi = i + 2 < raw.length ? HEX_VALUE(raw[i + 1]) : -1;
      const lo = i + 2 < raw.length ? HEX_VALUE(raw[i + 2]) : -1;
      if (hi < 0 || lo < 0) throw new UrlError(`the URL's '${name}' parameter has a bad %-escape`);
      bytes.push((hi << 4) | lo);
      i += 2;
    }
    // The C++ side works on bytes; a decoded value is later checked as a URL,
    // which refuses anything outside printable ASCII.
    result.value = String.fromCharCode(...bytes);
  }
  return result;
}

export function percentEncode(text) {
  let out = '';
  for (const b of new TextEncoder().encode(text)) {
    const c = String.fromCharCode(b);
    if (/^[A-Za-z0-9\-._~]$/.test(c)) out += c;
    else out += '%' + b.toString(16).toUpperCase().padStart(2, '0');
  }
  return out;
}

