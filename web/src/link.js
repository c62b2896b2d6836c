// The pairing link the QR code holds:  <page-url>#v1.<base64url(pkR)>
// Parsing is strict, with the rules and messages of crypto/pairing/link.cpp:
// every way a link can be wrong has its own message, nothing is guessed.
import { base64urlDecode, base64urlEncode } from './bytes.js';
import { PUBLIC_KEY_BYTES } from './hpke.js';
import { LINK_VERSION_PREFIX, PUBLIC_KEY_TEXT_CHARS } from './constants.js';
import { parseUrl, percentEncode, queryParam } from './url.js';

export class LinkError extends Error {
  constructor(message) {
    super(message);
    this.name = 'LinkError';
    this.code = 'bad_link';
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

function parseOrLinkError(text, what) {
  try {
    return parseUrl(text);
  } catch (e) {
    throw new LinkError(`${what} is malformed: ${e.message}`);
  }
}

function checkPageUrl(pageUrl) {
  const url = parseOrLinkError(pageUrl, "the link's page URL");
  if (url.scheme !== 'https' && url.scheme !== 'http') {
    throw new LinkError("the link's page URL must start with https:// (http:// only on this computer)");
  }
  if (url.scheme === 'http' && !isLoopbackHost(url.host)) {
    throw new LinkError("the link's page URL must use https:// (plain http:// is allowed only for localhost)");
  }
  return url;
}

function checkRelayUrl(relayUrl) {
  const url = parseOrLinkError(relayUrl, 'the relay URL');
  if (url.scheme !== 'wss' && url.scheme !== 'ws') {
    throw new LinkError('the relay URL must start with wss:// (ws:// only on this computer)');
  }
  if (url.scheme === 'ws' && !isLoopbackHost(url.host)) {
    throw new LinkError('the relay URL must use wss:// (plain ws:// is allowed only for localhost)');
  }
  if (url.query !== '') throw new LinkError('the relay URL must not carry a query');
  return url;
}

const relayFrom = (page) => (page.scheme === 'https' ? 'wss://' : 'ws://') + page.authority;

// The relay a page URL implies: https -> wss, http -> ws, same authority.
export function relayUrlForPage(pageUrl) {
  return relayFrom(checkPageUrl(pageUrl));
}

// The WebSocket URL of a channel: relay base + "/v1/channels/" + cid.
export function channelUrl(relayUrl, cidText) {
  return `${relayUrl.replace(/\/+$/, '')}/v1/channels/${cidText}`;
}

// Builds the link. When relayUrl is given and differs from the relay the
// page URL implies, it travels as the page URL's `relay` query parameter.
export function buildLink(pageUrl, receiverPublicKey, relayUrl = '') {
  if (receiverPublicKey.length !== PUBLIC_KEY_BYTES) throw new LinkError("the receiver's public key must be 32 bytes");
  const page = checkPageUrl(pageUrl);
  let link = pageUrl;
  if (relayUrl !== '' && relayUrl !== relayFrom(page)) {
    checkRelayUrl(relayUrl);
    let existing;
    try {
      existing = queryParam(page.query, 'relay');
    } catch {
      existing = { found: true };
    }
    if (existing.found) throw new LinkError('the page URL already carries a relay parameter');
    link += page.query === '' ? (page.path === '' ? '/?' : '?') : '&';
    link += `relay=${percentEncode(relayUrl)}`;
  }
  return `${link}#${LINK_VERSION_PREFIX}${base64urlEncode(receiverPublicKey)}`;
}

// Returns { pageUrl, relayUrl, receiverPublicKey }. Throws LinkError (code
// bad_link) with a message that says what is wrong.
export function parseLink(text) {
  const hash = text.indexOf('#');
  if (hash < 0) throw new LinkError('the link has no key: it must end in #v1.<key> (was it cut off when copied?)');
  const pageUrl = text.slice(0, hash);
  const fragment = text.slice(hash + 1);
  if (!fragment.startsWith(LINK_VERSION_PREFIX)) {
    throw new LinkError('the link is not a qrlogin v1 link (its key part must start with v1.); update qrlogin or ask for a new code');
  }
  const keyText = fragment.slice(LINK_VERSION_PREFIX.length);
  let key;
  try {
    key = base64urlDecode(keyText);
  } catch (e) {
    throw new LinkError(`the link's key is not valid base64url: ${e.message}`);
  }
  if (key.length !== PUBLIC_KEY_BYTES || keyText.length !== PUBLIC_KEY_TEXT_CHARS) {
    throw new LinkError(`the link's key must decode to exactly 32 bytes (got ${key.length})`);
  }

  const page = checkPageUrl(pageUrl);
  let relayParam;
  try {
    relayParam = queryParam(page.query, 'relay');
  } catch (e) {
    throw new LinkError(`the link's relay parameter is malformed: ${e.message}`);
  }
  let relayUrl;
  if (relayParam.found) {
    try {
      checkRelayUrl(relayParam.value);
    } catch (e) {
      throw new LinkError(`the link's relay parameter is not acceptable: ${e.message}`);
    }
    relayUrl = relayParam.value;
  } else {
    relayUrl = relayFrom(page);
  }
  return { pageUrl, relayUrl, receiverPublicKey: key };
}
