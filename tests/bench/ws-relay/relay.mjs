// The Node.js baseline of the relay benchmarks: the relay a typical team
// would write on `ws` (over `https` with --tls-cert), speaking qrlogin's relay protocol (docs/protocol.md,
// "Relay interface") with the limits of `qrlogin-relay --profile bench`
// (relay/core/limits.cpp). It is the baseline, not a product: no
// resume (a dropped client's slot waits out the grace and the channel ends),
// no logs, no metrics. perMessageDeflate off. One process, one thread of JS
// (the run script pins it to one core with taskset).
//
//   node tests/bench/ws-relay/relay.mjs [--listen 127.0.0.1:0] [--max-seconds 3600]
//        [--tls-cert CERT --tls-key KEY]   (https: the TLS benchmarks' baseline)
// prints {"event":"listening","port":N}; stops on SIGTERM/SIGINT or after
// --max-seconds.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { WebSocketServer } from 'ws';

// The bench profile: the defaults of relay/core/limits.hpp with
// apply_bench_profile() applied (frames per channel, per-address caps and
// rates raised; everything else as by default).
const L = {
  maxFrameBytes: 65809,
  maxFramesPerChannel: 100000000,
  maxChannelBytes: 2 * 65809 + 4096,
  maxBufferedBytes: 256 * 1024 * 1024,
  maxConnections: 19000,
  maxConnectionsPerAddress: 19000,
  maxChannels: 9500,
  channelRatePerAddress: 1000000,
  channelBurstPerAddress: 1000000,
  channelRateGlobal: 5000,
  channelBurstGlobal: 10000,
  maxHeaderBytes: 8192,
  handshakeTimeoutMs: 5000,
  closeTimeoutMs: 5000,
  pingIntervalMs: 20000,
  pongTimeoutMs: 10000,
  maxControlFramesPerSecond: 5,
  channelLifetimeMs: 120000,
  graceMs: 30000,
  maxRememberedCids: 1000000,
};

const CLOSE = {
  expired: 4404, channel_full: 4409, rate_limited: 4429, too_large: 4413, slow_consumer: 4408,
  bad_request: 1008, unavailable: 1013, going_away: 1001,
};
const MESSAGE = {
  expired: 'this pairing code is not open (never opened, expired or already used)',
  channel_full: 'this pairing code is already in use by someone else',
  rate_limited: 'too many connections or new channels from your address; wait and retry',
  too_large: "frame too large, or the channel's frame or byte budget is used up",
  slow_consumer: 'the connection did not read what the relay had for it',
  bad_request: 'protocol violation (text frame, bad fragmenting or control-frame flood)',
  unavailable: 'the relay is at capacity; try again later',
  going_away: 'the relay is shutting down',
};

let listen = '127.0.0.1:0';
let maxSeconds = 3600;
let tlsCert = null;
let tlsKey = null;
for (let i = 2; i + 1 < process.argv.length; i += 2) {
  if (process.argv[i] === '--listen') listen = process.argv[i + 1];
  else if (process.argv[i] === '--max-seconds') maxSeconds = Number(process.argv[i + 1]);
  else if (process.argv[i] === '--tls-cert') tlsCert = process.argv[i + 1];
  else if (process.argv[i] === '--tls-key') tlsKey = process.argv[i + 1];
  else { console.error(`relay.mjs: unknown flag ${process.argv[i]}`); process.exit(2); }
}
const [host, portText] = [listen.slice(0, listen.lastIndexOf(':')), listen.slice(listen.lastIndexOf(':') + 1)];

class TokenBucket {
  constructor(rate, burst) { this.rate = rate; this.burst = burst; this.tokens = burst; this.at = Date.now(); }
  take(now) {
    this.tokens = Math.min(this.burst, this.tokens + ((now - this.at) / 1000) * this.rate);
    this.at = now;
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const channels = new Map();       // cid -> channel
const used = new Map();           // cid -> forget time (ms); insertion order = forget order
const perAddress = new Map();     // address -> { conns, bucket }
const globalBucket = new TokenBucket(L.channelRateGlobal, L.channelBurstGlobal);
const live = new Set();           // every WebSocket
let connections = 0;
let bufferedBytes = 0;            // frames waiting for a peer that has not joined yet

const CID = /^[A-Za-z0-9_-]{21}[AQgw]$/;  // 22 base64url chars, canonical (last char has 4 zero bits)

function addressState(addr) {
  let s = perAddress.get(addr);
  if (!s) {
    s = { conns: 0, bucket: new TokenBucket(L.channelRatePerAddress, L.channelBurstPerAddress) };
    perAddress.set(addr, s);
  }
  return s;
}

function refuse(ws, code) {
  ws.qr.closing = true;
  ws.send(JSON.stringify({ type: 'error', code, message: MESSAGE[code] }));
  closeWithTimeout(ws, CLOSE[code]);
}

function closeWithTimeout(ws, code) {
  ws.close(code);
  const t = setTimeout(() => ws.terminate(), L.closeTimeoutMs);
  t.unref();
  ws.once('close', () => clearTimeout(t));
}

function control(ws, obj) {
  if (ws.readyState === 1 && !ws.qr.closing) ws.send(JSON.stringify(obj));
}

function endChannel(cid, channel, now) {
  for (const slot of channel.slots) for (const f of slot.log) bufferedBytes -= f.length;
  channels.delete(cid);
  if (!used.has(cid)) used.set(cid, now + L.channelLifetimeMs + L.graceMs);
}

function join(ws, cid, role, addr, now) {
  const me = role === 'receiver' ? 0 : 1;
  let channel = channels.get(cid);
  if (!channel) {
    if (role === 'sender' || used.has(cid)) return refuse(ws, 'expired');
    if (channels.size >= L.maxChannels || bufferedBytes >= L.maxBufferedBytes ||
        channels.size + used.size >= L.maxRememberedCids) return refuse(ws, 'unavailable');
    if (!addressState(addr).bucket.take(now) || !globalBucket.take(now)) return refuse(ws, 'rate_limited');
    channel = {
      cid,
      expires: now + L.channelLifetimeMs,
      slots: [{ ws: null, taken: false, graceEnd: 0, log: [] }, { ws: null, taken: false, graceEnd: 0, log: [] }],
      frames: 0,
      intrusionSent: false,
    };
    channels.set(cid, channel);
  }
  const slot = channel.slots[me];
  const peer = channel.slots[1 - me];
  if (slot.taken) {
    if (!channel.intrusionSent) {
      channel.intrusionSent = true;
      for (const s of channel.slots) if (s.ws) control(s.ws, { type: 'intrusion' });
    }
    return refuse(ws, 'channel_full');
  }
  slot.ws = ws;
  slot.taken = true;
  ws.qr.channel = channel;
  ws.qr.slot = me;
  control(ws, { type: 'joined', role, expires_in_ms: Math.max(0, channel.expires - now), peer: peer.ws !== null });
  if (peer.ws) control(peer.ws, { type: 'peer', event: 'joined' });
  // Frames the peer sent before this client came.
  for (const f of peer.log) { bufferedBytes -= f.length; ws.send(f, { binary: true }); }
  peer.log = [];
}

function onMessage(ws, data, isBinary) {
  const q = ws.qr;
  if (q.closing) return;
  if (!isBinary) return refuse(ws, 'bad_request');
  const channel = q.channel;
  if (!channel || channel.slots[q.slot].ws !== ws) return refuse(ws, 'expired');
  if (channel.frames >= L.maxFramesPerChannel) return refuse(ws, 'too_large');
  const peer = channel.slots[1 - q.slot];
  const pending = peer.ws ? peer.ws.bufferedAmount : channel.slots[q.slot].log.reduce((a, f) => a + f.length, 0);
  if (pending + data.length > L.maxChannelBytes) {
    // What is buffered is what the peer has not taken: it is the slow one.
    refuse(ws, 'too_large');
    if (peer.ws && !peer.ws.qr.closing) refuse(peer.ws, 'slow_consumer');
    return;
  }
  channel.frames += 1;
  if (peer.ws) {
    peer.ws.send(data, { binary: true });
  } else {
    channel.slots[q.slot].log.push(data);
    bufferedBytes += data.length;
  }
}

function onClose(ws, code) {
  live.delete(ws);
  const q = ws.qr;
  connections -= 1;
  const a = perAddress.get(q.addr);
  if (a && --a.conns === 0 && a.bucket.tokens >= a.bucket.burst) perAddress.delete(q.addr);
  const channel = q.channel;
  if (!channel) return;
  const slot = channel.slots[q.slot];
  if (slot.ws !== ws) return;
  slot.ws = null;
  const peer = channel.slots[1 - q.slot].ws;
  const now = Date.now();
  if (code === 1000 && !q.closing) {
    // A normal close ends the channel at once; the peer hears `peer left` and 1000.
    if (channels.get(channel.cid) === channel) endChannel(channel.cid, channel, now);
    if (peer) {
      control(peer, { type: 'peer', event: 'left' });
      peer.qr.closing = true;
      closeWithTimeout(peer, 1000);
    }
    return;
  }
  slot.graceEnd = Math.min(channel.expires, now + L.graceMs);
  if (peer) control(peer, { type: 'peer', event: 'left' });
}

const wss = new WebSocketServer({
  noServer: true,
  perMessageDeflate: false,
  maxPayload: L.maxFrameBytes,
  clientTracking: false,
  handleProtocols: (protocols) => (protocols.has('qrlogin.v1') ? 'qrlogin.v1' : false),
});

const serve = (req, res) => {
  res.writeHead(req.url.startsWith('/v1/channels/') ? 426 : 404, { 'content-length': '0' });
  res.end();
};
const server = tlsCert
  ? https.createServer({ cert: readFileSync(tlsCert), key: readFileSync(tlsKey) }, serve)
  : http.createServer(serve);
server.maxHeaderSize = L.maxHeaderBytes;
server.headersTimeout = L.handshakeTimeoutMs;
server.requestTimeout = L.handshakeTimeoutMs;

function reject(socket, status, text) {
  socket.end(`HTTP/1.1 ${status} ${text}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n`);
}

server.on('upgrade', (req, socket, head) => {
  const addr = socket.remoteAddress;
  socket.on('error', () => {});
  if (connections >= L.maxConnections) return socket.destroy();
  const a = addressState(addr);
  if (a.conns >= L.maxConnectionsPerAddress) return socket.destroy();
  const url = req.url;
  const qAt = url.indexOf('?');
  const path = qAt < 0 ? url : url.slice(0, qAt);
  if (!path.startsWith('/v1/channels/')) return reject(socket, 404, 'Not Found');
  const cid = path.slice('/v1/channels/'.length);
  const params = new URLSearchParams(qAt < 0 ? '' : url.slice(qAt + 1));
  const role = params.get('role');
  if (!CID.test(cid) || (role !== 'receiver' && role !== 'sender')) return reject(socket, 400, 'Bad Request');
  const origin = req.headers.origin;
  if (origin !== undefined && origin !== `http://${host}:${server.address().port}`) return reject(socket, 403, 'Forbidden');
  connections += 1;
  a.conns += 1;
  socket.setNoDelay(true);
  wss.handleUpgrade(req, socket, head, (ws) => {
    const now = Date.now();
    ws.qr = { addr, channel: null, slot: 0, closing: false, lastSeen: now, pingSent: 0, controlWindow: now, controlCount: 0 };
    live.add(ws);
    ws.on('message', (data, isBinary) => { ws.qr.lastSeen = Date.now(); ws.qr.pingSent = 0; onMessage(ws, data, isBinary); });
    const onControl = () => {
      const q = ws.qr;
      const t = Date.now();
      q.lastSeen = t;
      if (t - q.controlWindow >= 1000) { q.controlWindow = t; q.controlCount = 0; }
      if (++q.controlCount === L.maxControlFramesPerSecond + 1 && !q.closing) refuse(ws, 'bad_request');
    };
    ws.on('ping', onControl);
    ws.on('pong', () => { ws.qr.pingSent = 0; onControl(); });
    ws.on('close', (code) => onClose(ws, code));
    ws.on('error', () => {});  // ws closes the socket with 1009/1002 itself
    join(ws, cid, role, addr, now);
  });
});

// Once a second: channel lifetimes and grace, forgotten cids, pings.
const sweep = setInterval(() => {
  const now = Date.now();
  for (const [cid, channel] of channels) {
    let over = now >= channel.expires;
    for (const s of channel.slots) if (!s.ws && s.graceEnd && now >= s.graceEnd) over = true;
    if (!over) continue;
    endChannel(cid, channel, now);
    for (const s of channel.slots) if (s.ws && !s.ws.qr.closing) refuse(s.ws, 'expired');
  }
  for (const [cid, forgetAt] of used) {
    if (forgetAt > now) break;
    used.delete(cid);
  }
  for (const ws of live) {
    const q = ws.qr;
    if (q.closing) continue;
    if (q.pingSent && now >= q.pingSent + L.pongTimeoutMs) { ws.terminate(); continue; }
    if (!q.pingSent && now >= q.lastSeen + L.pingIntervalMs) { q.pingSent = now; ws.ping(); }
  }
}, 1000);

function shutdown() {
  clearInterval(sweep);
  for (const ws of live) ws.terminate();
  server.close();
  process.exit(0);
}
process.on('SIGTERM', shutdown);
process.on('SIGINT', shutdown);
setTimeout(shutdown, maxSeconds * 1000).unref();

server.listen(Number(portText), host, () => {
  process.stdout.write(`${JSON.stringify({ event: 'listening', port: server.address().port })}\n`);
});
