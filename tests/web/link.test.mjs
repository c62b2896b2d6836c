// Pairing links: every case of tests/vectors/links-v1.json (shared with
// tests/unit/link_test.cpp), then what a person reads when a link is
// refused, and how the browser library uses a link's origin.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { base64urlEncode, hexEncode } from '../../web/src/bytes.js';
import { buildLink, channelUrl, isLoopbackHost, LinkError, parseLink, relayUrlForPage } from '../../web/src/link.js';
import { channelId } from '../../web/src/protocol.js';
import { startReceiver, startSender } from '../../web/src/qrlogin.js';
import { transcript as t, hex } from './support.mjs';

const vectors = JSON.parse(readFileSync(new URL('../vectors/links-v1.json', import.meta.url), 'utf8'));
const CODES = new Set(Object.keys(vectors.error_codes));

function errorOf(fn) {
  try {
    fn();
  } catch (e) {
    assert.ok(e instanceof LinkError, `${e}`);
    return e;
  }
  assert.fail('no error');
}

test('link vectors: each link parses to what it yields, or is refused with its code', async () => {
  let valid = 0;
  let refused = 0;
  for (const c of vectors.parse) {
    const what = `${c.name}\n  ${c.link}`;
    if (c.error !== undefined) {
      assert.ok(CODES.has(c.error), what);
      const e = errorOf(() => parseLink(c.link));
      assert.equal(e.code, c.error, `${what}\n  ${e.message}`);
      assert.ok(e.message.length > 0, what);
      refused++;
      continue;
    }
    const link = parseLink(c.link);
    assert.equal(link.pageUrl, c.page_url, what);
    assert.equal(link.pageOrigin, c.page_origin, what);
    // The origin is the one a browser gives the same URL.
    assert.equal(new URL(c.page_url).origin, c.page_origin, what);
    assert.equal(link.relayUrl, c.relay_url, what);
    assert.equal(hexEncode(link.receiverPublicKey), c.receiver_public_key, what);
    const cid = await channelId(link.receiverPublicKey);
    assert.equal(cid.text, c.cid, what);
    assert.equal(channelUrl(link.relayUrl, cid.text), c.channel_url, what);
    valid++;
  }
  console.log(`cases: links-v1 parse ${valid} valid, ${refused} refused (JS)`);
});

test('link vectors: each link is made as listed, or refused with its code, and reads back', () => {
  let made = 0;
  let refused = 0;
  for (const c of vectors.make) {
    const what = `${c.name}\n  ${c.page_url} + ${c.relay_url}`;
    const key = hex(c.receiver_public_key);
    if (c.error !== undefined) {
      assert.ok(CODES.has(c.error), what);
      assert.equal(errorOf(() => buildLink(c.page_url, key, c.relay_url)).code, c.error, what);
      refused++;
      continue;
    }
    const link = buildLink(c.page_url, key, c.relay_url);
    assert.equal(link, c.link, what);
    const back = parseLink(link);
    assert.equal(back.relayUrl, c.relay_url === '' ? relayUrlForPage(c.page_url) : c.relay_url, what);
    assert.equal(hexEncode(back.receiverPublicKey), c.receiver_public_key, what);
    made++;
  }
  console.log(`cases: links-v1 make ${made} made, ${refused} refused (JS)`);
});

test('link vectors: every code is used by some case', () => {
  const used = new Set([...vectors.parse, ...vectors.make].filter((c) => c.error !== undefined).map((c) => c.error));
  assert.deepEqual([...used].sort(), [...CODES].sort());
});

const key = base64urlEncode(hex(t.pkR));

test('a refused link says what is wrong', () => {
  const message = (link) => errorOf(() => parseLink(link)).message;
  assert.match(message('https://login.example.com/pair'), /has no key: it must end in #v1\./);
  assert.match(message(`https://login.example.com/pair#v2.${key}`), /not a qrlogin v1 link/);
  assert.match(message(`https://login.example.com/pair#v1.${key}=`), /not valid base64url: .*'=' padding/);
  assert.match(message(`https://login.example.com/pair#v1.${key.replace('_', '/')}`), /not valid base64url: .*outside/);
  assert.match(message(`https://login.example.com/pair#v1.${key.slice(0, 42)}h`), /not canonical/);
  assert.match(message(`https://login.example.com/pair#v1.${key.slice(0, 42)}`), /exactly 32 bytes \(it has 42\)/);
  assert.match(message(`http://login.example.com/pair#v1.${key}`), /must use https:\/\/ \(plain http:\/\/ is allowed only for localhost\)/);
  assert.match(message(`ftp://login.example.com/pair#v1.${key}`), /must start with https:\/\//);
  assert.match(message(`https://user:pw@login.example.com/pair#v1.${key}`), /must not contain a user name or password/);
  assert.match(message(`https://login.ex%61mple.com/pair#v1.${key}`), /host may hold only letters, digits/);
  assert.match(message(`https://login.example.com/pair?relay=ws%3A%2F%2Fr.example#v1.${key}`), /relay parameter is not acceptable: .*must use wss:\/\//);
  assert.match(message(`https://login.example.com/pair?relay=wss%3A%2F%2Fr.example%2F%3F#v1.${key}`), /must not carry a query/);
  assert.match(message(`https://a.example/pair?relay=wss%3A%2F%2Fr.example&relay=x#v1.${key}`), /more than once/);
  assert.match(message(`https://a.example/pair?relay=wss%3A%2F%2Fr.example%2#v1.${key}`), /relay parameter is malformed: .*two hex digits/);
  assert.match(message(`https://a.example/pair?relay=wss%3A%2F%2Fr.example%FF#v1.${key}`), /relay parameter is malformed: .*UTF-8/);
  assert.match(errorOf(() => buildLink('https://a.example/pair?relay=x', hex(t.pkR), 'wss://r.example')).message, /already carries a relay parameter/);
});

test('loopback hosts are exactly localhost, 127.0.0.0/8 in dotted decimal and [::1]', () => {
  for (const host of ['localhost', '127.0.0.1', '127.255.255.255', '127.1.2.3', '[::1]']) assert.ok(isLoopbackHost(host), host);
  for (const host of ['127.0.0', '127.0.0.256', '128.0.0.1', 'localhost.example', '127.0.0.1.', '[::2]', '0x7f.0.0.1', '127.1', '[0:0:0:0:0:0:0:1]']) {
    assert.ok(!isLoopbackHost(host), host);
  }
});

test('the public API reports a refused link as bad_link, with the link code as its detail', () => {
  const WebSocket = class {};
  for (const [link, detail] of [
    ['https://login.example.com/pair', 'no_key'],
    [`https://login.example.com/pair?relay=wss%3A%2F%2Fa.example&relay=wss%3A%2F%2Fb.example#v1.${key}`, 'relay_duplicate'],
  ]) {
    assert.throws(() => startSender(link, 'x', { WebSocket }), (e) => e.code === 'bad_link' && e.detail === detail);
  }
});

test('startReceiver reports a page URL it cannot make a link of as bad_link, with the link code', async () => {
  const WebSocket = class {};
  for (const [page, relay, detail] of [
    ['http://login.example.com/pair', '', 'page_insecure'],
    ['https://login.example.com/pair?relay=wss%3A%2F%2Fr.example', '', 'page_has_relay'],
    ['https://login.example.com/pair', 'wss://r.example/?', 'relay_query'],
  ]) {
    const handle = startReceiver({ page, relay, onLink() {}, onCredential() {}, WebSocket });
    await assert.rejects(handle.done, (e) => e.code === 'bad_link' && e.detail === detail, page);
  }
});

test('a link for another origin than the page is refused by its own parse, even where the WHATWG parser throws', () => {
  const WebSocket = class {};
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'location');
  Object.defineProperty(globalThis, 'location', { value: { origin: 'https://login.example.com' }, configurable: true });
  try {
    // `new URL` throws on this host (not a valid punycode label); the link
    // is still well-formed for the strict parse, and its origin is not ours.
    const odd = `https://xn--a.example/pair#v1.${key}`;
    assert.throws(() => new URL('https://xn--a.example/pair'), TypeError);
    assert.throws(() => startSender(odd, 'x', { WebSocket }), (e) => e.code === 'bad_link' && /another site/.test(e.message));
    // A default port or capitals are the same origin as the browser's.
    for (const same of [`https://login.example.com:443/pair#v1.${key}`, `HTTPS://LOGIN.example.com/pair#v1.${key}`]) {
      assert.equal(parseLink(same).pageOrigin, 'https://login.example.com', same);
    }
  } finally {
    if (saved) Object.defineProperty(globalThis, 'location', saved);
    else delete globalThis.location;
  }
});
