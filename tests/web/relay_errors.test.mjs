// The shared table of relay errors (tests/vectors/relay-errors.json) against
// the browser library: the Reason a pairing ends with (session.js), and
// whether the relay client resumes after the error, seen from a scripted
// stand-in relay (a `ws` server on 127.0.0.1): it joins the client, sends
// the error with its close code, and records whether the client comes back
// with its token.
import test from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import WebSocket, { WebSocketServer } from 'ws';
import { RelayClient } from '../../web/src/relay_client.js';
import { classifyRelayError } from '../../web/src/relay_errors.js';
import { reasonForEnd } from '../../web/src/session.js';

const table = JSON.parse(readFileSync(new URL('../vectors/relay-errors.json', import.meta.url), 'utf8'));
const CID = Buffer.alloc(16, 5).toString('base64url');
const STEP_MS = 10_000;
const TOKEN = (n) => String(n).repeat(43);

function within(promise, what, ms = STEP_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// Resolves once check() is true (polled), or fails after STEP_MS.
function until(check, what) {
  let timer;
  const met = new Promise((resolve) => {
    timer = setInterval(() => check() && resolve(), 5);
  });
  return within(met, what).finally(() => clearInterval(timer));
}

// Runs scripts[i](ws, resumeToken) for the i-th connection; `connections`
// lists the resume token each one presented (null: none).
async function scriptedRelay(scripts) {
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('qrlogin.v1') ? 'qrlogin.v1' : false),
  });
  await once(server, 'listening');
  const connections = [];
  server.on('connection', (ws, request) => {
    const token = (request.headers['sec-websocket-protocol'] ?? '').split(',').map((p) => p.trim())
      .find((p) => p.startsWith('qrlogin.resume.'))?.slice('qrlogin.resume.'.length) ?? null;
    connections.push(token);
    const script = scripts[connections.length - 1];
    if (script) script(ws, token);
    else ws.terminate();
  });
  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    connections,
    close: () => new Promise((resolve) => {
      for (const c of server.clients) c.terminate();
      server.close(resolve);
    }),
  };
}

const joined = (ws, token, extra = {}) =>
  ws.send(JSON.stringify({ type: 'joined', role: 'sender', expires_in_ms: 30_000, peer: true, resume_token: token, ...extra }));
const refuse = (ws, code, closeCode, extra = {}) => {
  ws.send(JSON.stringify({ type: 'error', code, message: `the relay says ${code}`, ...extra }));
  ws.close(closeCode);
};

function client(relay) {
  const got = { reconnecting: 0, joins: [] };
  let ended;
  got.end = new Promise((resolve) => { ended = resolve; });
  got.client = new RelayClient({
    relayUrl: relay.url, cid: CID, role: 'sender', WebSocket, backoffMs: [20],
    handlers: {
      onJoined: (info) => got.joins.push(info),
      onReconnecting: () => { got.reconnecting += 1; },
      onEnd: (end) => ended(end),
    },
  });
  return got;
}

test('the table lists each code once, with the fields every reader needs', () => {
  const codes = table.errors.map((e) => e.code);
  assert.equal(new Set(codes).size, codes.length);
  assert.ok(codes.includes('replaced') && codes.includes('going_away'));
  for (const e of table.errors) {
    assert.equal(typeof e.resumable, 'boolean', e.code);
    assert.ok(Number.isInteger(e.close_code) && Number.isInteger(e.cli_exit), e.code);
    assert.equal(typeof e.client_reason, 'string', e.code);
  }
});

for (const entry of table.errors) {
  test(`${entry.code}: the pairing ends with ${entry.client_reason}, ${entry.resumable ? '' : 'not '}resumable`, () => {
    assert.deepEqual({ ...classifyRelayError(entry.code) }, { reason: entry.client_reason, resumable: entry.resumable });
    const [reason, detail] = reasonForEnd({ reason: 'relay', code: entry.code, message: 'said' });
    assert.equal(reason, entry.client_reason);
    assert.equal(detail, `relay: ${entry.code} (said)`);
  });

  test(`${entry.code} ${entry.close_code} after joined: the relay client ${entry.resumable ? 'resumes with its token' : 'ends'}`, async () => {
    const relay = await scriptedRelay([
      (ws) => {
        joined(ws, TOKEN(1));
        setTimeout(() => refuse(ws, entry.code, entry.close_code), 20);
      },
      (ws) => joined(ws, TOKEN(2), { received: 0 }),
    ]);
    const got = client(relay);
    try {
      got.client.connect();
      if (entry.resumable) {
        await until(() => got.joins.length === 2, 'the resume');
        assert.deepEqual(relay.connections, [null, TOKEN(1)]);
        assert.equal(got.reconnecting, 1);
      } else {
        const end = await within(got.end, 'the end');
        assert.deepEqual(end, { reason: 'relay', code: entry.code, message: `the relay says ${entry.code}` });
        assert.equal(reasonForEnd(end)[0], entry.client_reason);
        assert.equal(got.client.holdsToken, false);
        assert.deepEqual(relay.connections, [null]);
      }
    } finally {
      await got.client.close();
      await relay.close();
    }
  });
}

test('codes the relay does not define end the pairing as network, not resumable', () => {
  for (const code of ['', 'peer_closed', 'forbidden_origin', 'constructor', '__proto__', 'toString', 'REPLACED']) {
    assert.deepEqual({ ...classifyRelayError(code) }, { reason: 'network', resumable: false }, code);
  }
});

test('a resumable error on the first connection, before joined: nothing to resume, the relay error ends it', async () => {
  const relay = await scriptedRelay([(ws) => refuse(ws, 'going_away', 1001)]);
  const got = client(relay);
  try {
    got.client.connect();
    const end = await within(got.end, 'the end');
    assert.equal(end.reason, 'relay');
    assert.equal(end.code, 'going_away');
    assert.equal(got.reconnecting, 0);
  } finally {
    await got.client.close();
    await relay.close();
  }
});

test('a resume refused with a resumable error keeps the token for the next attempt', async () => {
  const relay = await scriptedRelay([
    (ws) => {
      joined(ws, TOKEN(1));
      setTimeout(() => ws.terminate(), 20); // a cut
    },
    (ws) => refuse(ws, 'going_away', 1001), // a node on its way out, before joined
    (ws) => refuse(ws, 'unavailable', 1013), // a backend briefly away
    (ws) => joined(ws, TOKEN(2), { received: 0 }),
  ]);
  const got = client(relay);
  try {
    got.client.connect();
    await until(() => got.joins.length === 2, 'the resume');
    assert.deepEqual(relay.connections, [null, TOKEN(1), TOKEN(1), TOKEN(1)]);
    assert.equal(got.joins[1].received, 0);
    assert.equal(got.reconnecting, 1);
  } finally {
    await got.client.close();
    await relay.close();
  }
});

// Contract rev. 3: every error says whether to resume, and the flag, not the
// code, decides (a relay may refuse with `unavailable` for good, say at a
// cap with no slot to come back to).
for (const [code, closeCode, resume] of [['unavailable', 1013, false], ['going_away', 1001, false], ['expired', 4404, true]]) {
  test(`${code} with resume: ${resume}: the flag decides, not the code`, async () => {
    const relay = await scriptedRelay([
      (ws) => {
        joined(ws, TOKEN(1));
        setTimeout(() => refuse(ws, code, closeCode, { resume }), 20);
      },
      (ws) => joined(ws, TOKEN(2), { received: 0 }),
    ]);
    const got = client(relay);
    try {
      got.client.connect();
      if (resume) {
        await until(() => got.joins.length === 2, 'the resume');
        assert.deepEqual(relay.connections, [null, TOKEN(1)]);
      } else {
        const end = await within(got.end, 'the end');
        assert.equal(end.reason, 'relay');
        assert.equal(end.code, code);
        assert.deepEqual(relay.connections, [null]);
      }
    } finally {
      await got.client.close();
      await relay.close();
    }
  });
}
