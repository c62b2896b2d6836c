// startCodeReceiver and startCodeSender against a scripted stand-in relay
// (a `ws` server on 127.0.0.1) for what the real relay does only slowly or
// by chance: `taken` five times (then unavailable), an unused code that
// expires (a fresh code, not counted), a sender that joins and never sends
// PAKE_S (timeout after it joined, counted), a sender left without PAKE_R
// (timeout), and the spent-nameplate store.
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { spentNameplatesIn, startCodeReceiver, startCodeSender } from '../../web/src/qrlogin.js';
import { SPENT_NAMEPLATE_MS } from '../../web/src/code_pairing.js';

const PAGE = 'http://127.0.0.1/pair';

async function stubRelay(script) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'qrlogin.v1' });
  await once(server, 'listening');
  const urls = [];
  server.on('connection', (ws, request) => {
    urls.push(request.url);
    script(ws, urls.length, request.url);
  });
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    urls,
    close: () => new Promise((resolve) => {
      for (const c of server.clients) c.terminate();
      server.close(resolve);
    }),
  };
}

const joined = (ws, role, extra = {}) => ws.send(JSON.stringify({
  type: 'joined', role, kind: 'code', expires_in_ms: 300_000, peer: false, resume_token: 't'.repeat(43), ...extra,
}));
const refuse = (ws, code, closeCode) => {
  ws.send(JSON.stringify({ type: 'error', code, message: code, resume: false }));
  ws.close(closeCode);
};

function receiverOn(relay, options = {}) {
  const codes = [];
  const statuses = [];
  const handle = startCodeReceiver({
    page: PAGE, relay: relay.url, WebSocket,
    onCode: (code, info) => codes.push({ code, info }),
    onAccept: () => true,
    onCredential: () => true,
    onStatus: (s) => statuses.push(s),
    ...options,
  });
  return { handle, codes, statuses };
}

async function until(check, what, ms = 10_000) {
  const end = Date.now() + ms;
  while (!check()) {
    if (Date.now() > end) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

test('taken: a new code each time, five tries, then unavailable', async () => {
  const relay = await stubRelay((ws) => refuse(ws, 'taken', 4410));
  try {
    const r = receiverOn(relay);
    const error = await r.handle.done.then(() => assert.fail('expected a failure'), (e) => e);
    assert.equal(error.code, 'unavailable');
    assert.equal(relay.urls.length, 5);
    assert.equal(new Set(relay.urls).size, 5, 'five different code channels');
    for (const url of relay.urls) assert.match(url, /^\/v1\/channels\/[A-Za-z0-9_-]{22}\?role=receiver&kind=code$/);
    assert.equal(r.codes.length, 0, 'no code was shown');
  } finally {
    await relay.close();
  }
});

test('an unused code that expires is replaced by a fresh one and does not count', async () => {
  const relay = await stubRelay((ws, n) => {
    joined(ws, 'receiver', { expires_in_ms: 60_000 });
    if (n === 1) setTimeout(() => refuse(ws, 'expired', 4404), 50);
  });
  try {
    const r = receiverOn(relay);
    await until(() => r.codes.length === 2, 'the second code');
    assert.notEqual(r.codes[0].code.digits, r.codes[1].code.digits);
    assert.deepEqual({ failures: r.codes[1].info.failures, previous: r.codes[1].info.previous }, { failures: 0, previous: null });
    assert.ok(!r.statuses.some((s) => s.status === 'attempt_failed'));
    await r.handle.cancel();
    assert.equal((await r.handle.done.catch((e) => e)).code, 'user_cancelled');
  } finally {
    await relay.close();
  }
});

test('a sender that joins and sends no PAKE_S: timeout once it joined, counted; three such stop the receiver', async () => {
  const pakeR = [];
  const relay = await stubRelay((ws) => {
    joined(ws, 'receiver');
    ws.on('message', (data, isBinary) => { if (isBinary) pakeR.push(data); });
    setTimeout(() => ws.send(JSON.stringify({ type: 'peer', event: 'joined' })), 150);
  });
  try {
    const r = receiverOn(relay, { timeouts: { waiting_for_sender: 200 } });
    const error = await r.handle.done.then(() => assert.fail('expected a failure'), (e) => e);
    assert.equal(error.code, 'too_many_attempts');
    assert.equal(error.detail, 'timeout');
    assert.equal(r.codes.length, 3);
    assert.deepEqual(r.codes.map((c) => c.info.failures), [0, 1, 2]);
    assert.equal(r.codes[1].info.previous.code, 'timeout');
    assert.equal(pakeR.length, 3, 'each code sent its PAKE_R at join');
  } finally {
    await relay.close();
  }
});

test('an unused code waits: no PAKE_S timer before a sender joined', async () => {
  const relay = await stubRelay((ws) => joined(ws, 'receiver'));
  try {
    const r = receiverOn(relay, { timeouts: { waiting_for_sender: 100 } });
    await until(() => r.codes.length === 1, 'the code');
    await new Promise((resolve) => setTimeout(resolve, 400));
    assert.equal(r.codes.length, 1, 'still the same code');
    await r.handle.cancel();
    assert.equal((await r.handle.done.catch((e) => e)).code, 'user_cancelled');
  } finally {
    await relay.close();
  }
});

test('the sender: kind=code, PAKE_R due once joined (timeout), channel_full is code_in_use, and a spent code is refused', async () => {
  const relay = await stubRelay((ws, n) => {
    if (n === 1) joined(ws, 'sender', { peer: true });
    else refuse(ws, 'channel_full', 4409);
  });
  const items = new Map();
  const storage = { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, v) };
  try {
    const silent = startCodeSender('48210733159065', 'x', { page: PAGE, relay: relay.url, WebSocket,
      timeouts: { waiting_for_pake_r: 150 }, spent: spentNameplatesIn(storage) });
    const timedOut = await silent.done.catch((e) => e);
    assert.equal(timedOut.code, 'timeout');
    assert.match(relay.urls[0], /\?role=sender&kind=code$/);
    assert.equal(items.size, 0, 'no PAKE_S went out: nothing spent');

    const full = startCodeSender('48210733159065', 'x', { page: PAGE, relay: relay.url, WebSocket, spent: spentNameplatesIn(storage) });
    const inUse = await full.done.catch((e) => e);
    assert.equal(inUse.code, 'code_in_use');
    assert.equal(inUse.detail, 'relay: channel_full');
  } finally {
    await relay.close();
  }
  const store = spentNameplatesIn(storage);
  const now = Date.now();
  store.add('4821073', now + SPENT_NAMEPLATE_MS, now);
  assert.equal(spentNameplatesIn(storage).has('4821073'), true, 'kept in the storage: a reload still refuses it');
  assert.throws(() => startCodeSender('482 1073 - 315 9065', 'x', { page: PAGE, relay: 'ws://127.0.0.1:9', WebSocket, spent: store }),
    (e) => e.code === 'code_spent');
  assert.equal(spentNameplatesIn(storage).has('4821073', now + SPENT_NAMEPLATE_MS + 1), false, 'until lifetime + grace');
  assert.equal(SPENT_NAMEPLATE_MS, 330_000);
});
