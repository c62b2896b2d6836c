// The relay client on a code channel, against a scripted stand-in relay (a
// `ws` server on 127.0.0.1): its URL says kind=code (a resume's too), a
// `joined` without "kind":"code" ends it as unsupported with a normal
// close, and a QR client refuses a code channel's `joined`; `taken` is a
// known, final relay error.
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WebSocket, { WebSocketServer } from 'ws';
import { RelayClient } from '../../web/src/relay_client.js';
import { classifyRelayError } from '../../web/src/relay_errors.js';
import { reasonForEnd } from '../../web/src/session.js';

const CID = Buffer.alloc(16, 7).toString('base64url');

async function stubRelay(onConnection) {
  const server = new WebSocketServer({ host: '127.0.0.1', port: 0, handleProtocols: () => 'qrlogin.v1' });
  await once(server, 'listening');
  const seen = [];
  server.on('connection', (ws, request) => {
    const closed = new Promise((resolve) => ws.on('close', (code) => resolve(code)));
    seen.push({ url: request.url, closed });
    onConnection(ws, seen.length);
  });
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    seen,
    close: () => new Promise((resolve) => {
      for (const c of server.clients) c.terminate();
      server.close(resolve);
    }),
  };
}

function endOf(relay, kind, role = 'receiver') {
  let ended;
  const end = new Promise((resolve) => { ended = resolve; });
  const joins = [];
  const client = new RelayClient({
    relayUrl: relay.url, cid: CID, role, kind, WebSocket, backoffMs: [20],
    handlers: { onJoined: (info) => joins.push(info), onEnd: (e) => ended(e) },
  });
  client.connect();
  return { client, end, joins };
}

const joined = (ws, extra = {}) => ws.send(JSON.stringify({
  type: 'joined', role: 'receiver', expires_in_ms: 30_000, peer: false, resume_token: 'a'.repeat(43), ...extra,
}));

test('a code channel: kind=code in the URL, and its joined (kind code) is taken', async () => {
  const relay = await stubRelay((ws, n) => {
    if (n === 1) {
      joined(ws, { kind: 'code' });
      setTimeout(() => ws.terminate(), 20); // a cut: the client resumes
    } else {
      joined(ws, { kind: 'code', received: 0 });
    }
  });
  const { client, joins } = endOf(relay, 'code');
  try {
    for (let i = 0; i < 500 && joins.length < 2; i += 1) await new Promise((r) => setTimeout(r, 10));
    assert.equal(joins.length, 2);
    assert.equal(joins[0].kind, 'code');
    assert.equal(relay.seen[0].url, `/v1/channels/${CID}?role=receiver&kind=code`);
    assert.equal(relay.seen[1].url, `/v1/channels/${CID}?role=receiver&kind=code&received=0`);
  } finally {
    await client.close();
    await relay.close();
  }
});

test('a code channel whose joined lacks kind code: unsupported, closed 1000', async () => {
  const relay = await stubRelay((ws) => joined(ws));
  const { end } = endOf(relay, 'code');
  try {
    const e = await end;
    assert.equal(e.reason, 'unsupported');
    assert.match(e.message, /does not support pairing by a typed code/);
    assert.equal(await relay.seen[0].closed, 1000);
    assert.deepEqual(reasonForEnd(e), ['unsupported', e.message]);
  } finally {
    await relay.close();
  }
});

test('a QR channel: no kind in the URL, and a joined that says kind code is a protocol error', async () => {
  const relay = await stubRelay((ws) => joined(ws, { kind: 'code' }));
  const { end } = endOf(relay, 'qr');
  try {
    const e = await end;
    assert.equal(e.reason, 'protocol');
    assert.equal(relay.seen[0].url, `/v1/channels/${CID}?role=receiver`);
  } finally {
    await relay.close();
  }
});

test('taken (4410) is known and final: the code receiver draws another code, anyone else ends as expired', async () => {
  assert.deepEqual({ ...classifyRelayError('taken') }, { reason: 'expired', resumable: false });
  const relay = await stubRelay((ws) => {
    ws.send(JSON.stringify({ type: 'error', code: 'taken', message: 'in use', resume: false }));
    ws.close(4410);
  });
  const { end } = endOf(relay, 'code');
  try {
    assert.deepEqual(await end, { reason: 'relay', code: 'taken', message: 'in use' });
    assert.equal(relay.seen.length, 1, 'no resume');
  } finally {
    await relay.close();
  }
});
