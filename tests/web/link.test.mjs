// Link building and strict parsing: good links, and each bad form with its
// own message (the rules of crypto/pairing/link.cpp).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64urlEncode, hexEncode } from '../../web/src/bytes.js';
import { buildLink, channelUrl, isLoopbackHost, parseLink, relayUrlForPage } from '../../web/src/link.js';
import { transcript as t, hex } from './support.mjs';

const key = base64urlEncode(hex(t.pkR));

test('the transcript link parses to its key and the relay of its page', () => {
  const link = parseLink(t.link);
  assert.equal(hexEncode(link.receiverPublicKey), t.pkR);
  assert.equal(link.pageUrl, t.page_url);
  assert.equal(link.relayUrl, 'wss://login.example.com');
  assert.equal(channelUrl(link.relayUrl, t.cid), `wss://login.example.com/v1/channels/${t.cid}`);
});

test('a relay parameter is carried percent-encoded and read back', () => {
  const link = buildLink('https://app.example/pair', hex(t.pkR), 'wss://relay.example:8443/base');
  assert.equal(link, `https://app.example/pair?relay=wss%3A%2F%2Frelay.example%3A8443%2Fbase#v1.${key}`);
  assert.equal(parseLink(link).relayUrl, 'wss://relay.example:8443/base');
  assert.equal(buildLink('https://app.example', hex(t.pkR), 'wss://r.example'), `https://app.example/?relay=wss%3A%2F%2Fr.example#v1.${key}`);
  assert.equal(buildLink('https://app.example/pair', hex(t.pkR), 'wss://app.example'), `https://app.example/pair#v1.${key}`);
});

test('loopback hosts may use http and ws', () => {
  for (const host of ['localhost', '127.0.0.1', '127.1.2.3', '[::1]']) {
    assert.ok(isLoopbackHost(host), host);
    const link = parseLink(`http://${host}:8080/pair?relay=ws%3A%2F%2F${encodeURIComponent(host)}%3A9000#v1.${key}`);
    assert.equal(link.relayUrl, `ws://${host}:9000`);
  }
  assert.equal(relayUrlForPage('http://localhost:8080/pair'), 'ws://localhost:8080');
  for (const host of ['127.0.0', '127.0.0.256', '128.0.0.1', 'localhost.example', '127.0.0.1.', '[::2]']) assert.ok(!isLoopbackHost(host), host);
});

const bad = [
  ['no fragment', 'https://login.example.com/pair', /has no key: it must end in #v1\./],
  ['wrong version', `https://login.example.com/pair#v2.${key}`, /not a qrlogin v1 link/],
  ['padding', `https://login.example.com/pair#v1.${key}=`, /not valid base64url: .*'=' padding/],
  ['standard base64 alphabet', `https://login.example.com/pair#v1.${key.replace(/[-_]/g, '+')}${/[-_]/.test(key) ? '' : '+'}`, /not valid base64url: .*outside/],
  ['non-canonical trailing bits', `https://login.example.com/pair#v1.${key.slice(0, 42)}${String.fromCharCode(key.charCodeAt(42) + 1)}`, /not canonical/],
  ['key of 31 bytes', `https://login.example.com/pair#v1.${base64urlEncode(new Uint8Array(31))}`, /exactly 32 bytes \(got 31\)/],
  ['key of 33 bytes', `https://login.example.com/pair#v1.${base64urlEncode(new Uint8Array(33))}`, /exactly 32 bytes \(got 33\)/],
  ['http off loopback', `http://login.example.com/pair#v1.${key}`, /must use https:\/\/ \(plain http:\/\/ is allowed only for localhost\)/],
  ['another scheme', `ftp://login.example.com/pair#v1.${key}`, /must start with https:\/\//],
  ['user info', `https://user:pw@login.example.com/pair#v1.${key}`, /must not contain a user name or password/],
  ['a space', `https://login.example.com/pa ir#v1.${key}`, /space, a control character/],
  ['a bad port', `https://login.example.com:0/pair#v1.${key}`, /port is not a number from 1 to 65535/],
  ['no host', `https:///pair#v1.${key}`, /has no host/],
  ['relay ws off loopback', `https://a.example/pair?relay=ws%3A%2F%2Fr.example#v1.${key}`, /relay parameter is not acceptable: .*must use wss:\/\//],
  ['relay not ws(s)', `https://a.example/pair?relay=https%3A%2F%2Fr.example#v1.${key}`, /relay parameter is not acceptable: .*must start with wss:\/\//],
  ['relay with a query', `https://a.example/pair?relay=wss%3A%2F%2Fr.example%2F%3Fx%3D1#v1.${key}`, /must not carry a query/],
  ['relay given twice', `https://a.example/pair?relay=wss%3A%2F%2Fr.example&relay=wss%3A%2F%2Fr.example#v1.${key}`, /relay parameter is malformed: .*twice/],
  ['relay with a bad escape', `https://a.example/pair?relay=wss%3A%2F%2Fr.example%2#v1.${key}`, /relay parameter is malformed: .*bad %-escape/],
];

for (const [why, link, message] of bad) {
  test(`a link with ${why} is refused with its own message`, () => {
    assert.throws(() => parseLink(link), (e) => e.code === 'bad_link' && message.test(e.message));
  });
}

test('building refuses a bad page URL, a bad relay URL and a second relay parameter', () => {
  assert.throws(() => buildLink('http://example.com/pair', hex(t.pkR)), /must use https/);
  assert.throws(() => buildLink('https://example.com/pair', hex(t.pkR), 'ws://example.org'), /must use wss/);
  assert.throws(() => buildLink('https://example.com/pair?relay=x', hex(t.pkR), 'wss://example.org'), /already carries a relay parameter/);
  assert.throws(() => buildLink('https://example.com/pair', new Uint8Array(31)), /must be 32 bytes/);
});
