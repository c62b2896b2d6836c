// The pairing link the QR code holds:  <page-url>#v1.<base64url(pkR)>
// Parsing is strict, with the rules, codes and messages of
// crypto/pairing/link.cpp: every way a link can be wrong has its own code
// and message, nothing is guessed. Both are checked against
// tests/vectors/links-v1.json.
import { base64urlDecode, base64urlEncode } from './bytes.js';
import { PUBLIC_KEY_BYTES } from './hpke.js';
import { LINK_VERSION_PREFIX, PUBLIC_KEY_TEXT_CHARS } from './constants.js';
import { parseUrl, percentDecode, percentEncode, queryValues } from './url.js';

const RELAY_PARAM = 'relay';

// code: why the link is refused, one of the names of
// crypto/pairing/link_error.hpp (no_key, bad_version, key_padding, ...,
// relay_query). The public API reports it as QrloginError('bad_link') with
// this code as its detail.
export class LinkError extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'LinkError';
    this.code = code;
  }
}

function isIpv4Loopback(host) {
  // 127.0.0.0/8 in dotted-decimal: four numbers 0-255, the first 127.
  const parts = host.split('.');
  if (parts.length !== 4) return false;
  for (const part of parts) {
    if (!/^[0-9]{1,3}$/.test(part) || Number(part) > 255) return false;
  }
  return Number(parts[0]) === 127;
}

// True for localhost, 127.0.0.0/8 and [::1].
export function isLoopbackHost(host) {
  return host === 'localhost' || host === '[::1]' || isIpv4Loopback(host);
}

function checkPageUrl(pageUrl) {
  let url;
  try {
    url = parseUrl(pageUrl);
  } catch (e) {
    throw new LinkError('page_malformed', `the link's page URL is malformed: ${e.message}`);
  }
  if (url.scheme !== 'https' && url.scheme !== 'http') {
    throw new LinkError('page_scheme', "the link's page URL must start with https:// (http:// only on this computer)");
  }
  if (url.scheme === 'http' && !isLoopbackHost(url.host)) {
    throw new LinkError('page_insecure', "the link's page URL must use https:// (plain http:// is allowed only for localhost)");
  }
  return url;
}

function checkRelayUrl(relayUrl) {
  let url;
  try {
    url = parseUrl(relayUrl);
  } catch (e) {
    throw new LinkError('relay_malformed', `the relay URL is malformed: ${e.message}`);
  }
  if (url.scheme !== 'wss' && url.scheme !== 'ws') {
    throw new LinkError('relay_scheme', 'the relay URL must start with wss:// (ws:// only on this computer)');
  }
  if (url.scheme === 'ws' && !isLoopbackHost(url.host)) {
    throw new LinkError('relay_insecure', 'the relay URL must use wss:// (plain ws:// is allowed only for localhost)');
  }
  // Even an empty query: the channel path is appended to this URL.
  if (relayUrl.includes('?')) throw new LinkError('relay_query', 'the relay URL must not carry a query');
}

const relayFrom = (page) => (page.scheme === 'https' ? 'wss://' : 'ws://') + page.authority;

// The origin a browser gives the page URL: scheme://host[:port], without
// the scheme's default port. Computed from this strict parse, not by the
// WHATWG parser (which throws on some hosts this parse accepts, and repairs
// others): a host that is not in a browser's canonical form yields an
// origin no page has, so the link is refused, never mistaken for another.
function originOf(page) {
  const port = page.port === '' ? '' : String(Number(page.port));
  const defaultPort = page.scheme === 'https' ? '443' : '80';
  return `${page.scheme}://${page.host}${port === '' || port === defaultPort ? '' : `:${port}`}`;
}

// The relay a page URL implies: https -> wss, http -> ws, same authority.
export function relayUrlForPage(pageUrl) {
  return relayFrom(checkPageUrl(pageUrl));
}

// The WebSocket URL of a channel: relay base + "/v1/channels/" + cid.
export function channelUrl(relayUrl, cidText) {
  return `${relayUrl.replace(/\/+$/, '')}/v1/channels/${cidText}`;
}

// Builds the link. When relayUrl is given and differs from the relay the
// page URL implies, it travels as the page URL's `relay` query parameter,
// after '?' or, when the page URL has a query, '&'. An empty query counts
// as none: a lone '?' at the end of the page URL is dropped, so ".../pair?"
// makes the same link as ".../pair". Throws LinkError: the page or relay
// URL is not acceptable, the page URL has a relay parameter of its own
// (page_has_relay), the key is not 32 bytes (key_length).
export function buildLink(pageUrl, receiverPublicKey, relayUrl = '') {
  if (receiverPublicKey.length !== PUBLIC_KEY_BYTES) throw new LinkError('key_length', "the receiver's public key must be 32 bytes");
  const page = checkPageUrl(pageUrl);
  if (queryValues(page.query, RELAY_PARAM).length > 0) {
    throw new LinkError('page_has_relay', 'the page URL already carries a relay parameter: give the relay separately');
  }
  let link = page.query === '' && pageUrl.endsWith('?') ? pageUrl.slice(0, -1) : pageUrl;
  if (relayUrl !== '' && relayUrl !== relayFrom(page)) {
    checkRelayUrl(relayUrl);
    link += page.query === '' ? (page.path === '' ? '/?' : '?') : '&';
    link += `${RELAY_PARAM}=${percentEncode(relayUrl)}`;
  }
  return `${link}#${LINK_VERSION_PREFIX}${base64urlEncode(receiverPublicKey)}`;
}

// The key's checks in this order, so that a key with more than one fault
// gets the same code from both implementations.
function decodeKey(keyText) {
  if (keyText.includes('=')) throw new LinkError('key_padding', "the link's key is not valid base64url: it must not carry '=' padding");
  if (!/^[A-Za-z0-9_-]*$/.test(keyText)) {
    throw new LinkError('key_alphabet', "the link's key is not valid base64url: it has a character outside A-Z a-z 0-9 - _");
  }
  if (keyText.length !== PUBLIC_KEY_TEXT_CHARS) {
    throw new LinkError('key_length', `the link's key must be 43 characters, exactly 32 bytes (it has ${keyText.length})`);
  }
  try {
    return base64urlDecode(keyText);
  } catch {
    throw new LinkError('key_trailing_bits', "the link's key is not valid base64url: it is not canonical (non-zero trailing bits)");
  }
}

// Returns { pageUrl, pageOrigin, relayUrl, receiverPublicKey }. The query
// follows the one rule of protocol rev. 3: parameter names are compared
// exactly, never decoded; only the `relay` value is decoded (%XX, UTF-8;
// '+' is a plus); other parameters are ignored. Throws LinkError, checked
// in the order of crypto/pairing/link.hpp.
export function parseLink(text) {
  const hash = text.indexOf('#');
  if (hash < 0) throw new LinkError('no_key', 'the link has no key: it must end in #v1.<key> (was it cut off when copied?)');
  const pageUrl = text.slice(0, hash);
  const fragment = text.slice(hash + 1);
  if (!fragment.startsWith(LINK_VERSION_PREFIX)) {
    throw new LinkError('bad_version', 'the link is not a qrlogin v1 link (its key part must start with v1.); update qrlogin or ask for a new code');
  }
  const key = decodeKey(fragment.slice(LINK_VERSION_PREFIX.length));

  const page = checkPageUrl(pageUrl);
  const relays = queryValues(page.query, RELAY_PARAM);
  if (relays.length > 1) throw new LinkError('relay_duplicate', 'the link gives the relay parameter more than once');
  let relayUrl = relayFrom(page);
  if (relays.length === 1) {
    try {
      relayUrl = percentDecode(relays[0]);
    } catch (e) {
      throw new LinkError('relay_bad_escape', `the link's relay parameter is malformed: ${e.message}`);
    }
    try {
      checkRelayUrl(relayUrl);
    } catch (e) {
      throw new LinkError(e.code, `the link's relay parameter is not acceptable: ${e.message}`);
    }
  }
  return { pageUrl, pageOrigin: originOf(page), relayUrl, receiverPublicKey: key };
}
