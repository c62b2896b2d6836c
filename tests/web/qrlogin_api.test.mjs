// The public API (web/src/qrlogin.js) end to end, JS receiver <-> JS sender,
// through a stand-in relay (tests/web/fake_relay.mjs) and the `ws` package.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { checkSupport, startReceiver, startSender } from '../../web/src/qrlogin.js';
import { keyPairFromSecret } from '../../web/src/hpke.js';
import { parseLink } from '../../web/src/link.js';
import { Receiver } from '../../web/src/receiver.js';
import { Sender } from '../../web/src/sender.js';
import { credentialJsonFromText } from '../../web/src/protocol.js';
import { INJECTED_RANDOM } from '../../web/src/random.js';
import { startFakeRelay } from './fake_relay.mjs';

const relay = await startFakeRelay();
after(() => relay.close());

// Starts both sides; the sender starts once the receiver shows its link.
function pair({ credential = 'grant-123', receiverOptions = {}, senderOptions = {} } = {}) {
  const events = { receiverSas: null, senderSas: null, credential: null, result: null, statuses: [] };
  let sender;
  let markSenderStarted;
  const senderStarted = new Promise((resolve) => { markSenderStarted = resolve; });
  const receiver = startReceiver({
    relay: relay.url,
    page: 'http://localhost:8080/pair',
    WebSocket,
    onLink: (link) => {
      sender = startSender(link, credential, {
        label: 'test phone',
        WebSocket,
        onSas: (code) => { events.senderSas = code; senderOptions.onSas?.(sender, code); },
        onResult: (result) => { events.result = result; },
        onStatus: (s) => events.statuses.push(`sender:${s.status}`),
      });
      markSenderStarted(sender);
    },
    onSas: (code) => { events.receiverSas = code; receiverOptions.onSas?.(receiver, code); },
    onCredential: (c) => { events.credential = c; return receiverOptions.answer ?? true; },
    onStatus: (s) => events.statuses.push(`receiver:${s.status}`),
    autoAccept: receiverOptions.autoAccept ?? false,
  });
  return { receiver, senderStarted, events };
}

test('Node 20 has what qrlogin needs', async () => {
  assert.deepEqual(await checkSupport(), { ok: true });
});

test('a pairing completes: both show the same code, the credential arrives, the sender sees it accepted', async () => {
  const { receiver, senderStarted, events } = pair({
    receiverOptions: { onSas: (r) => r.confirm() },
    senderOptions: { onSas: (s) => s.confirm() },
  });
  const sender = await senderStarted;
  assert.deepEqual(await receiver.done, { accepted: true });
  assert.deepEqual(await sender.done, { accepted: true });
  assert.match(events.receiverSas, /^\d{3} \d{3}$/);
  assert.equal(events.senderSas, events.receiverSas);
  assert.deepEqual(events.credential, { text: 'grant-123', isString: true, label: 'test phone' });
  assert.deepEqual(events.result, { accepted: true, reason: '' });
  assert.ok(events.statuses.includes('receiver:waiting_for_peer'));
  assert.ok(events.statuses.includes('receiver:done') && events.statuses.includes('sender:done'));
});

test('a sender that rejects the code ends with sas_mismatch, the receiver with a possible attack (rev. 3), and delivers nothing', async () => {
  const { receiver, senderStarted, events } = pair({ senderOptions: { onSas: (s) => s.reject() } });
  const sender = await senderStarted;
  await assert.rejects(sender.done, (e) => e.code === 'sas_mismatch');
  await assert.rejects(receiver.done, (e) => e.code === 'possible_attack' && e.detail === 'sas_mismatch');
  assert.equal(events.credential, null);
});

test('a refused credential reaches the sender as rejected with the reason', async () => {
  const { receiver, senderStarted, events } = pair({
    receiverOptions: { autoAccept: true, answer: { accepted: false, reason: 'unknown grant' } },
    senderOptions: { onSas: (s) => s.confirm() },
  });
  const sender = await senderStarted;
  assert.deepEqual(await receiver.done, { accepted: false, reason: 'unknown grant' });
  await assert.rejects(sender.done, (e) => e.code === 'rejected' && e.detail === 'unknown grant');
  assert.deepEqual(events.result, { accepted: false, reason: 'unknown grant' });
});

test('a cut connection is resumed and the pairing still completes', async () => {
  const { receiver, senderStarted, events } = pair({
    receiverOptions: { onSas: (r) => r.confirm() },
    senderOptions: {
      onSas: (s) => {
        relay.cut('sender');
        setTimeout(() => s.confirm(), 50); // while the sender is away
      },
    },
  });
  const sender = await senderStarted;
  assert.deepEqual(await sender.done, { accepted: true });
  assert.deepEqual(await receiver.done, { accepted: true });
  assert.ok(events.statuses.includes('sender:reconnecting'));
  assert.ok(events.statuses.includes('sender:resumed'));
  assert.ok(events.statuses.includes('receiver:peer_left') && events.statuses.includes('receiver:peer_back'));
  assert.equal(events.credential.text, 'grant-123');
});

test('a sender for a channel that is not open fails as expired', async () => {
  const link = `http://localhost:8080/pair?relay=${encodeURIComponent(relay.url)}#v1.${Buffer.alloc(32, 9).toString('base64url')}`;
  const sender = startSender(link, 'x', { WebSocket });
  await assert.rejects(sender.done, (e) => e.code === 'expired' && /relay: expired/.test(e.detail));
});

test('bad input is refused at once with a stable code', () => {
  assert.throws(() => startSender('https://example.com/pair', 'x', { WebSocket }), (e) => e.code === 'bad_link');
  const link = `https://example.com/pair#v1.${Buffer.alloc(32, 9).toString('base64url')}`;
  assert.throws(() => startSender(link, 'a'.repeat(70000), { WebSocket }), (e) => e.code === 'limit_exceeded');
  assert.throws(() => startReceiver({ page: 'https://example.com/pair', onLink() {} }), TypeError);
});

test("the link's page must be this page's origin; an opaque origin (sandboxed frame, file) matches none", () => {
  const link = `http://localhost:8080/pair#v1.${'A'.repeat(42)}E`;
  const saved = Object.getOwnPropertyDescriptor(globalThis, 'location');
  try {
    for (const [origin, allowed] of [['http://localhost:8080', true], ['https://evil.example', false], ['null', false]]) {
      Object.defineProperty(globalThis, 'location', { value: { origin }, configurable: true });
      const start = () => startSender(link, 'x', { WebSocket, onStatus: () => {} });
      if (allowed) {
        const handle = start();
        handle.cancel();
        handle.done.catch(() => {});
      } else {
        assert.throws(start, (e) => e.code === 'bad_link' && (origin === 'null' ? /no origin of its own/ : /another site/).test(e.message), origin);
        // The application may still allow it explicitly.
        const handle = startSender(link, 'x', { WebSocket, allowOtherOrigin: true, onStatus: () => {} });
        handle.cancel();
        handle.done.catch(() => {});
      }
    }
  } finally {
    if (saved) Object.defineProperty(globalThis, 'location', saved);
    else delete globalThis.location;
  }
});

// Randomness that would make every key the all-zero secret's, and counts
// how often it is asked.
function zeroRandom() {
  const random = (n) => {
    random.draws += 1;
    return new Uint8Array(n);
  };
  random.draws = 0;
  return random;
}

test('the public functions take no randomness from the application: keys are fresh whatever the options say', async () => {
  const random = zeroRandom();
  const zeroKey = (await keyPairFromSecret(new Uint8Array(32))).publicKey;
  const links = [];
  for (let i = 0; i < 2; i++) {
    let sender;
    const receiver = startReceiver({
      relay: relay.url,
      page: 'http://localhost:8080/pair',
      WebSocket,
      random,
      [INJECTED_RANDOM]: random, // not even qrlogin's own internal option passes through
      onLink: (link) => {
        links.push(link);
        sender = startSender(link, 'grant', { WebSocket, random, [INJECTED_RANDOM]: random, onSas: () => sender.confirm() });
      },
      onSas: () => receiver.confirm(),
      onCredential: () => true,
    });
    assert.deepEqual(await receiver.done, { accepted: true });
    assert.deepEqual(await sender.done, { accepted: true });
  }
  assert.equal(random.draws, 0, 'the application\'s random source was never called');
  const keys = links.map((link) => Buffer.from(parseLink(link).receiverPublicKey).toString('hex'));
  assert.notEqual(keys[0], keys[1]);
  assert.ok(!keys.includes(Buffer.from(zeroKey).toString('hex')));
});

test('the machines ignore a `random` option too: only the internal symbol fixes their randomness', async () => {
  const random = zeroRandom();
  const receiver = await Receiver.create({ pageUrl: 'http://localhost:8080/pair', random });
  const sender = await Sender.create(parseLink(receiver.link), credentialJsonFromText('x', ''), { random });
  await sender.start();
  assert.equal(random.draws, 0);
  const zeroKey = (await keyPairFromSecret(new Uint8Array(32))).publicKey;
  assert.notDeepEqual(receiver.publicKey, zeroKey);
});
