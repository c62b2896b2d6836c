// The relay is not trusted: what it can make the relay client hold is
// bounded. A hostile stand-in relay (a `ws` server on 127.0.0.1) joins the
// client and then sends a message over the size limits, or floods a
// consumer that has not handled what it was given; the client must end
// with { reason: 'protocol' } and hand out nothing more.
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import {
  MAX_CONTROL_MESSAGE_BYTES, MAX_FRAME_BYTES, MAX_QUEUED_BYTES, MAX_QUEUED_EVENTS, RelayClient,
} from '../../web/src/relay_client.js';

const CID = Buffer.alloc(16, 3).toString('base64url');
const STEP_MS = 10_000;

const TOO_LARGE = `the relay sent a message larger than ${MAX_FRAME_BYTES} bytes`;
const CONTROL_TOO_LARGE = `the relay sent a control message larger than ${MAX_CONTROL_MESSAGE_BYTES} bytes`;
const FLOODED = `the relay sent more than ${MAX_QUEUED_EVENTS} events or ${MAX_QUEUED_BYTES} bytes that were not handled yet`;

function within(promise, what, ms = STEP_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// A browser's WebSocket has no maxPayload: `ws` without its options, so the
// client's own checks are what refuses.
class BrowserLikeWebSocket extends WebSocket {
  constructor(url, protocols) {
    super(url, protocols);
  }
}

// Joins every connection, then runs `misbehave(ws)`. `closed` resolves with
// the close code the client sent. close() closes the clients first (a
// client cut by the relay would try to resume), then the relay.
async function hostileRelay(misbehave) {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('qrlogin.v1') ? 'qrlogin.v1' : false),
  });
  await once(server, 'listening');
  let closedWith;
  const closed = new Promise((resolve) => { closedWith = resolve; });
  server.on('connection', (ws, request) => {
    const role = new URL(request.url, 'ws://relay').searchParams.get('role');
    ws.send(JSON.stringify({ type: 'joined', role, expires_in_ms: 30_000, peer: true, resume_token: 'T'.repeat(43) }));
    ws.on('close', (code) => closedWith(code));
    misbehave(ws);
  });
  const clients = [];
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    closed,
    clients,
    close: async () => {
      await Promise.all(clients.map((c) => within(c.close(), 'a client close', 2000).catch(() => {})));
      await new Promise((resolve) => {
        for (const client of server.clients) client.terminate();
        server.close(resolve);
      });
    },
  };
}

// A client whose handlers record what they got; onFrame/onPeer return
// `pending()` (by default a promise that never settles: a consumer stuck).
function recordingClient(relay, { WebSocketClass = WebSocket, pending = () => new Promise(() => {}) } = {}) {
  const got = { frames: [], peers: [], ends: [] };
  let ended;
  got.end = new Promise((resolve) => { ended = resolve; });
  let joined;
  got.joined = new Promise((resolve) => { joined = resolve; });
  const client = new RelayClient({
    relayUrl: relay.url, cid: CID, role: 'receiver', WebSocket: WebSocketClass,
    handlers: {
      onJoined: () => joined(),
      onFrame: (frame) => {
        got.frames.push(frame.length);
        return pending();
      },
      onPeer: (event) => {
        got.peers.push(event);
        return pending();
      },
      onEnd: (end) => {
        got.ends.push(end);
        ended(end);
      },
    },
  });
  relay.clients.push(client);
  client.connect();
  return { client, got };
}

// A `peer` control message of exactly `bytes` UTF-8 bytes, padded with `fill`.
const UNPADDED = '{"type":"peer","event":"joined","pad":""}';
function peerMessage(bytes, fill = ' ') {
  const n = (bytes - UNPADDED.length) / Buffer.byteLength(fill);
  assert.ok(Number.isInteger(n) && n >= 0);
  return `{"type":"peer","event":"joined","pad":"${fill.repeat(n)}"}`;
}

test('the limits are what the protocol needs', () => {
  assert.equal(MAX_FRAME_BYTES, 65809, 'the largest CREDENTIAL frame');
  assert.equal(MAX_CONTROL_MESSAGE_BYTES, 4096);
  assert.equal(MAX_QUEUED_EVENTS, 64);
  assert.equal(MAX_QUEUED_BYTES, 2 * 65809 + 4096);
});

for (const [name, WebSocketClass] of [['ws (maxPayload)', WebSocket], ['a browser-like WebSocket', BrowserLikeWebSocket]]) {
  test(`a binary frame over MAX_FRAME_BYTES ends the channel as a protocol error: ${name}`, async (t) => {
    const relay = await hostileRelay((ws) => {
      ws.send(Buffer.alloc(MAX_FRAME_BYTES, 1)); // the largest allowed: delivered
      ws.send(Buffer.alloc(MAX_FRAME_BYTES + 1, 2));
      ws.send(Buffer.alloc(10, 3)); // never delivered
    });
    t.after(() => relay.close());
    const { client, got } = recordingClient(relay, { WebSocketClass, pending: () => undefined });
    assert.deepEqual(await within(got.end, 'the end'), { reason: 'protocol', message: TOO_LARGE });
    assert.deepEqual(got.frames, [MAX_FRAME_BYTES]);
    assert.equal(client.ended, true);
    assert.equal(client.holdsToken, false);
    await within(relay.closed, "the client's close");
    assert.deepEqual(got.frames, [MAX_FRAME_BYTES]);
    assert.equal(got.ends.length, 1);
  });

  test(`a text message over MAX_CONTROL_MESSAGE_BYTES ends the channel as a protocol error: ${name}`, async (t) => {
    const exact = peerMessage(MAX_CONTROL_MESSAGE_BYTES);
    assert.equal(Buffer.byteLength(exact), MAX_CONTROL_MESSAGE_BYTES);
    const relay = await hostileRelay((ws) => {
      ws.send(exact); // the largest allowed: delivered
      ws.send(peerMessage(MAX_CONTROL_MESSAGE_BYTES + 1));
      ws.send(JSON.stringify({ type: 'peer', event: 'left' })); // never delivered
    });
    t.after(() => relay.close());
    const { client, got } = recordingClient(relay, { WebSocketClass, pending: () => undefined });
    assert.deepEqual(await within(got.end, 'the end'), { reason: 'protocol', message: CONTROL_TOO_LARGE });
    assert.deepEqual(got.peers, ['joined']);
    await within(relay.closed, "the client's close");
    assert.deepEqual(got.peers, ['joined']);
  });
}

test('the control message limit counts UTF-8 bytes, not characters', async (t) => {
  // 1366 three-byte characters: fewer characters than the limit, more bytes.
  const text = peerMessage(UNPADDED.length + 3 * 1366, '€');
  assert.ok(text.length < MAX_CONTROL_MESSAGE_BYTES && Buffer.byteLength(text) > MAX_CONTROL_MESSAGE_BYTES);
  const relay = await hostileRelay((ws) => ws.send(text));
  t.after(() => relay.close());
  const { client, got } = recordingClient(relay, { pending: () => undefined });
  assert.deepEqual(await within(got.end, 'the end'), { reason: 'protocol', message: CONTROL_TOO_LARGE });
  assert.deepEqual(got.peers, []);
});

test('a text message far over every limit is refused too', async (t) => {
  const relay = await hostileRelay((ws) => ws.send(peerMessage(4 * MAX_FRAME_BYTES)));
  t.after(() => relay.close());
  for (const [WebSocketClass, message] of [[WebSocket, TOO_LARGE], [BrowserLikeWebSocket, CONTROL_TOO_LARGE]]) {
    const { client, got } = recordingClient(relay, { WebSocketClass, pending: () => undefined });
    assert.deepEqual(await within(got.end, 'the end'), { reason: 'protocol', message });
    assert.deepEqual(got.peers, []);
    await client.close();
  }
});

test('a flood of frames the consumer has not handled ends the channel at MAX_QUEUED_EVENTS', async (t) => {
  const FLOOD = 1000;
  const relay = await hostileRelay((ws) => {
    for (let i = 0; i < FLOOD; i += 1) ws.send(Buffer.of(0x05, i & 0xff, i >> 8));
  });
  t.after(() => relay.close());
  const { client, got } = recordingClient(relay);
  assert.deepEqual(await within(got.end, 'the end'), { reason: 'protocol', message: FLOODED });
  assert.equal(got.frames.length, MAX_QUEUED_EVENTS);
  assert.equal(client.ended, true);
  assert.equal(client.holdsToken, false);
  // The relay finished its flood and the client closed: nothing more was taken.
  assert.equal(await within(relay.closed, "the client's close"), 1000);
  assert.equal(got.frames.length, MAX_QUEUED_EVENTS);
  assert.equal(got.ends.length, 1);
});

test('control messages count against the same bound', async (t) => {
  const relay = await hostileRelay((ws) => {
    for (let i = 0; i < 500; i += 1) ws.send(JSON.stringify({ type: 'peer', event: i % 2 ? 'back' : 'left' }));
  });
  t.after(() => relay.close());
  const { client, got } = recordingClient(relay);
  assert.deepEqual(await within(got.end, 'the end'), { reason: 'protocol', message: FLOODED });
  assert.equal(got.peers.length, MAX_QUEUED_EVENTS);
  await within(relay.closed, "the client's close");
  assert.equal(got.peers.length, MAX_QUEUED_EVENTS);
});

test('large frames the consumer has not handled end the channel at MAX_QUEUED_BYTES', async (t) => {
  const relay = await hostileRelay((ws) => {
    for (let i = 0; i < 10; i += 1) ws.send(Buffer.alloc(MAX_FRAME_BYTES, i));
  });
  t.after(() => relay.close());
  const { client, got } = recordingClient(relay);
  assert.deepEqual(await within(got.end, 'the end'), { reason: 'protocol', message: FLOODED });
  // Two of the largest frames fit (2 x 65809 <= MAX_QUEUED_BYTES), a third does not.
  assert.deepEqual(got.frames, [MAX_FRAME_BYTES, MAX_FRAME_BYTES]);
  await within(relay.closed, "the client's close");
  assert.equal(got.frames.length, 2);
});

test('events the consumer handled free their place: a consumer that keeps up is never ended', async (t) => {
  const BATCH = MAX_QUEUED_EVENTS - 4;
  const relay = await hostileRelay((ws) => {
    const batch = () => { for (let i = 0; i < BATCH; i += 1) ws.send(Buffer.of(0x05, i)); };
    batch();
    // The next batch once the client says it handled the first.
    ws.on('message', () => batch());
  });
  t.after(() => relay.close());
  const settle = [];
  const { client, got } = recordingClient(relay, {
    pending: () => new Promise((resolve) => { settle.push(resolve); }),
  });
  await within(got.joined, 'joined');
  const frames = (n) => within(new Promise((resolve) => {
    const check = () => (got.frames.length >= n ? resolve() : setTimeout(check, 5));
    check();
  }), `${n} frames`);
  for (let round = 1; round <= 3; round += 1) {
    await frames(round * BATCH);
    for (const resolve of settle.splice(0)) resolve();
    client.send(Uint8Array.of(0x02));
  }
  await frames(4 * BATCH);
  assert.deepEqual(got.ends, []);
  assert.equal(client.ended, false);
  assert.equal(got.frames.length, 4 * BATCH);
  await within(client.close(), 'the close');
});

test('a consumer without promises takes every event: a long burst does not end the channel', async (t) => {
  const relay = await hostileRelay((ws) => {
    for (let i = 0; i < 1000; i += 1) ws.send(Buffer.of(0x05, i & 0xff));
    ws.send(JSON.stringify({ type: 'peer', event: 'left' }));
  });
  t.after(() => relay.close());
  const { client, got } = recordingClient(relay, { pending: () => undefined });
  await within(new Promise((resolve) => {
    const check = () => (got.peers.length > 0 ? resolve() : setTimeout(check, 5));
    check();
  }), 'the last message');
  assert.equal(got.frames.length, 1000);
  assert.deepEqual(got.ends, []);
  await within(client.close(), 'the close');
});
