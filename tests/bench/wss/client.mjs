// The wss load of the TLS benchmarks (docs/benchmarks.md, "TLS"): Node's
// `ws` client over TLS against any of the TLS rows (qrlogin's own TLS, Node
// `ws` over https, qrlogin behind nginx). The relay's CPU and memory are
// what is measured, so the client's own cost does not matter; every TLS
// connection is a full handshake (no session reuse), as a phone's first
// visit is. Certificates are not checked: a throwaway loopback certificate.
//
//   node client.mjs --port P --scenario idle --connections N [--hold S]
//     N receivers of N channels (a waiting login page each); prints
//     {"event":"ready","connections":n} when all are open, holds until a line
//     on stdin or --hold seconds, then closes them.
//   node client.mjs --port P --scenario pairing --concurrency C --duration S
//     closed-loop pairings at the contract's frame sizes, each over two new
//     TLS connections; the receiver closes with 1000 and the sender must
//     see `peer left` and a 1000 close.
// Ends with {"event":"result","ok":...,"errors":...,"error_kinds":{...},
// "completed":n}. Bounded: a hard stop at duration + 30 s (idle: hold + 60 s).
import { randomBytes } from 'node:crypto';
import readline from 'node:readline';
import WebSocket from 'ws';

const opt = { port: 0, host: '127.0.0.1', scenario: '', connections: 0, hold: 120, concurrency: 8, duration: 5 };
for (let i = 2; i + 1 < process.argv.length; i += 2) {
  const k = process.argv[i].replace(/^--/, '');
  if (!(k in opt)) { console.error(`client.mjs: unknown flag ${process.argv[i]}`); process.exit(2); }
  opt[k] = typeof opt[k] === 'number' ? Number(process.argv[i + 1]) : process.argv[i + 1];
}

const errors = {};
let errorCount = 0;
let completed = 0;
const fail = (kind) => { ++errorCount; errors[kind] = (errors[kind] ?? 0) + 1; };
const finish = (extra = {}) => {
  console.log(JSON.stringify({ event: 'result', scenario: opt.scenario, ok: errorCount === 0, errors: errorCount,
    error_kinds: errors, completed, ...extra }));
  process.exit(0);
};
const hardStop = setTimeout(() => { fail('hard_stop'); finish(); },
  1000 * (opt.scenario === 'idle' ? opt.hold + 60 : opt.duration + 30));
hardStop.unref();

const cidSeed = randomBytes(8);
let nextId = 0;
let nextSource = 0;
function newCid() {
  const raw = Buffer.alloc(16);
  cidSeed.copy(raw, 0);
  raw.writeBigUInt64LE(BigInt(nextId++), 8);
  return raw.toString('base64url');
}

// Opens one TLS WebSocket to the channel; resolves with the socket and a
// queue of what it received.
function open(cid, role) {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(`wss://${opt.host}:${opt.port}/v1/channels/${cid}?role=${role}`, {
      rejectUnauthorized: false, perMessageDeflate: false, servername: 'localhost',
      localAddress: `127.0.0.${2 + (nextSource++ % 32)}`,
    });
    ws.binaryType = 'nodebuffer';
    const inbox = [];
    let waiter = null;
    ws.on('message', (data, isBinary) => {
      const m = isBinary ? { binary: data } : JSON.parse(data.toString());
      if (waiter) { const w = waiter; waiter = null; w(m); } else inbox.push(m);
    });
    ws.next = () => new Promise((res) => { if (inbox.length) res(inbox.shift()); else waiter = res; });
    ws.once('open', () => resolve(ws));
    ws.once('error', (e) => reject(e));
  });
}

async function expect(ws, pred, kind) {
  const m = await ws.next();
  if (!pred(m)) throw new Error(m?.type === 'error' ? `relay_error_${m.code}` : kind);
  return m;
}
const frame = (n, type) => { const b = randomBytes(n); b[0] = type; return b; };
async function relay(from, to, n, type) {
  from.send(frame(n, type));
  await expect(to, (m) => m.binary && m.binary.length === n && m.binary[0] === type, 'binary_missing');
}

async function pairing() {
  const cid = newCid();
  let r = null;
  let s = null;
  try {
    r = await open(cid, 'receiver');
    await expect(r, (m) => m.type === 'joined', 'joined_missing');
    s = await open(cid, 'sender');
    await expect(s, (m) => m.type === 'joined', 'joined_missing');
    await expect(r, (m) => m.type === 'peer' && m.event === 'joined', 'peer_event_missing');
    await relay(s, r, 65, 1);   // HELLO
    await relay(r, s, 49, 2);   // READY
    await relay(s, r, 49, 3);   // REVEAL
    await relay(s, r, 273, 4);  // CREDENTIAL
    await relay(r, s, 145, 5);  // RESULT
    const closed = new Promise((res) => s.once('close', (code) => res(code)));
    r.close(1000);
    await expect(s, (m) => m.type === 'peer' && m.event === 'left', 'peer_left_missing');
    if (await closed !== 1000) throw new Error('sender_close_code');
    ++completed;
  } catch (e) {
    fail(e.code ?? e.message);
  }
  r?.terminate();
  s?.terminate();
}

async function runPairing() {
  const end = Date.now() + opt.duration * 1000;
  const t0 = Date.now();
  await Promise.all(Array.from({ length: opt.concurrency }, async () => {
    while (Date.now() < end) await pairing();
  }));
  finish({ duration_s: (Date.now() - t0) / 1000 });
}

async function runIdle() {
  const conns = [];
  const t0 = Date.now();
  // A bounded number of handshakes in flight, as the loadgen's idle ramp.
  const batch = 64;
  for (let i = 0; i < opt.connections; i += batch) {
    const n = Math.min(batch, opt.connections - i);
    const opened = await Promise.allSettled(Array.from({ length: n }, async () => {
      const ws = await open(newCid(), 'receiver');
      await expect(ws, (m) => m.type === 'joined', 'joined_missing');
      return ws;
    }));
    for (const o of opened) {
      if (o.status === 'fulfilled') conns.push(o.value); else fail(o.reason?.code ?? o.reason?.message ?? 'open');
    }
  }
  let dropped = 0;
  for (const ws of conns) ws.once('close', () => { ++dropped; });
  const ramp = (Date.now() - t0) / 1000;
  console.log(JSON.stringify({ event: 'ready', connections: conns.length, errors: errorCount, ramp_s: ramp }));
  await new Promise((res) => {
    const t = setTimeout(res, opt.hold * 1000);
    readline.createInterface({ input: process.stdin }).once('close', () => { clearTimeout(t); res(); });
  });
  if (dropped) fail('idle_dropped');
  for (const ws of conns) ws.terminate();
  completed = conns.length;
  finish({ connections: conns.length, ramp_s: ramp });
}

if (opt.scenario === 'idle') await runIdle();
else if (opt.scenario === 'pairing') await runPairing();
else { console.error('client.mjs: --scenario must be idle or pairing'); process.exit(2); }
