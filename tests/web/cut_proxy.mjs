// A TCP proxy (node:net) between WebSocket clients and the real relay that
// reads just enough of the HTTP upgrade and of WebSocket framing to report
// every frame, and can cut a connection with an RST (socket.resetAndDestroy)
// at a chosen frame: before it (the frame is lost in flight), in its middle
// (half of it arrives) or just after it. Whole frames are forwarded one by one, so a cut lands
// exactly where a test asks, without timers.
//
//   const proxy = await startCutProxy(relayPort);   (or () => relayPort, read per connection)
//   proxy.url                        ws://127.0.0.1:<port>, for the client under test
//   proxy.cutAt(match, { where, upstream })   once: cut at the first frame that matches
//   proxy.block() / proxy.unblock()  reset new connections at once (a cut that lasts)
//   proxy.hold() / proxy.unhold()    accept new connections and answer nothing
//   proxy.cutAll({ upstream, match }) cut every open connection (that matches) now
//   proxy.waitFor(predicate)         resolves with the first recorded event that matches
//
// `upstream: false` cuts only the client's side: the relay still believes the
// connection alive (a half-dead socket), and the proxy keeps reading what it
// sends there without forwarding it (to see a takeover's `replaced` 4001).
//
// Recorded (proxy.events, in order): { kind: 'connection', conn, resume, received }
// with no token; { kind: 'frame', conn, dir: 'up'|'down', opcode, type, length,
// forwarded: 'full'|'half'|'none', control?, closeCode? }; { kind: 'cut', conn };
// { kind: 'refused' }; { kind: 'held' }. A frame's `control` keeps only a control message's type,
// code, event and received: never a resume token.
import net from 'node:net';

const OPCODE = { text: 1, binary: 2, close: 8 };

// Parses one WebSocket frame at the start of `buf`; null when incomplete.
function parseFrame(buf) {
  if (buf.length < 2) return null;
  const opcode = buf[0] & 0x0f;
  const masked = (buf[1] & 0x80) !== 0;
  let length = buf[1] & 0x7f;
  let offset = 2;
  if (length === 126) {
    if (buf.length < 4) return null;
    length = buf.readUInt16BE(2);
    offset = 4;
  } else if (length === 127) {
    if (buf.length < 10) return null;
    length = Number(buf.readBigUInt64BE(2));
    offset = 10;
  }
  let mask = null;
  if (masked) {
    if (buf.length < offset + 4) return null;
    mask = buf.subarray(offset, offset + 4);
    offset += 4;
  }
  if (buf.length < offset + length) return null;
  const payload = Buffer.from(buf.subarray(offset, offset + length));
  if (mask) for (let i = 0; i < payload.length; i += 1) payload[i] ^= mask[i & 3];
  return { opcode, payload, size: offset + length };
}

function describe(opcode, payload) {
  const frame = { opcode, length: payload.length };
  if (opcode === OPCODE.binary) frame.type = payload[0];
  if (opcode === OPCODE.close && payload.length >= 2) frame.closeCode = payload.readUInt16BE(0);
  if (opcode === OPCODE.text) {
    try {
      const j = JSON.parse(payload.toString('utf8'));
      frame.control = { type: j.type, code: j.code, event: j.event, received: j.received };
    } catch {
      frame.control = { type: 'malformed' };
    }
  }
  return frame;
}

export async function startCutProxy(targetPort, { targetHost = '127.0.0.1' } = {}) {
  const events = [];
  const waiters = [];
  const rules = [];
  const open = new Set();
  const sockets = new Set();
  let blocked = false;
  let held = false;
  let nextId = 0;

  const record = (event) => {
    events.push(event);
    for (const w of [...waiters]) {
      if (w.predicate(event)) {
        waiters.splice(waiters.indexOf(w), 1);
        clearTimeout(w.timer);
        w.resolve(event);
      }
    }
  };

  const server = net.createServer((client) => {
    if (blocked) {
      record({ kind: 'refused' });
      client.resetAndDestroy();
      return;
    }
    if (held) {
      // A network that swallows everything: accepted, never answered.
      record({ kind: 'held' });
      sockets.add(client);
      client.on('error', () => {});
      client.on('close', () => sockets.delete(client));
      return;
    }
    const conn = { id: nextId += 1, client, upstream: null, cut: false, orphan: false };
    open.add(conn);
    client.setNoDelay(true);
    const upstream = net.connect({ host: targetHost, port: typeof targetPort === 'function' ? targetPort() : targetPort });
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
    }
    upstream.setNoDelay(true);
    conn.upstream = upstream;

    // Nothing is forwarded once a cut is decided; the RST may follow a tick
    // later, so a half frame written just before it leaves first.
    const cut = (withUpstream, later = false) => {
      if (conn.cut) return;
      conn.cut = true;
      if (later) {
        setImmediate(() => reset(withUpstream));
        return;
      }
      reset(withUpstream);
    };
    const reset = (withUpstream) => {
      record({ kind: 'cut', conn: conn.id, upstream: withUpstream });
      client.resetAndDestroy();
      if (withUpstream) {
        upstream.resetAndDestroy();
        open.delete(conn);
      } else {
        conn.orphan = true; // the relay's side lives on; read it, forward nothing
      }
    };
    conn.cutNow = cut;

    // One direction: HTTP head first, then WebSocket frames.
    const pipe = (from, to, dir) => {
      let buf = Buffer.alloc(0);
      let phase = 'http';
      from.on('data', (chunk) => {
        buf = Buffer.concat([buf, chunk]);
        if (phase === 'http') {
          const end = buf.indexOf('\r\n\r\n');
          if (end < 0) return;
          const head = buf.subarray(0, end + 4);
          buf = buf.subarray(end + 4);
          const text = head.toString('latin1');
          if (dir === 'up') {
            const target = text.slice(0, text.indexOf('\r\n')).split(' ')[1] ?? '';
            const protocols = /^sec-websocket-protocol:(.*)$/im.exec(text)?.[1] ?? '';
            const resume = protocols.split(',').some((p) => p.trim().startsWith('qrlogin.resume.'));
            const received = new URL(target, 'http://x').searchParams.get('received');
            record({ kind: 'connection', conn: conn.id, target, resume, received: received === null ? null : Number(received) });
            conn.target = target;
          }
          // Plain HTTP (page loads, refused upgrades) passes through as is.
          const upgrade = dir === 'up' ? /^upgrade:\s*websocket/im.test(text) : /^HTTP\/1\.1 101/.test(text);
          phase = upgrade ? 'ws' : 'raw';
          if (!conn.cut) to.write(head);
        }
        if (phase === 'raw') {
          if (!conn.cut) to.write(buf);
          buf = Buffer.alloc(0);
          return;
        }
        for (;;) {
          const parsed = parseFrame(buf);
          if (!parsed) return;
          const bytes = buf.subarray(0, parsed.size);
          buf = buf.subarray(parsed.size);
          const frame = { kind: 'frame', conn: conn.id, dir, ...describe(parsed.opcode, parsed.payload) };
          if (conn.cut) {
            // Only an orphaned relay side still talks: record, never forward.
            record({ ...frame, forwarded: 'none' });
            continue;
          }
          const rule = rules.find((r) => !r.used && r.match(frame, conn));
          if (rule) {
            rule.used = true;
            const sent = { before: 0, middle: Math.max(1, Math.floor(bytes.length / 2)), after: bytes.length }[rule.where];
            if (sent) to.write(bytes.subarray(0, sent));
            record({ ...frame, forwarded: { before: 'none', middle: 'half', after: 'full' }[rule.where] });
            cut(rule.upstream, sent > 0);
            rule.resolve(frame);
            continue;
          }
          to.write(bytes);
          record({ ...frame, forwarded: 'full' });
        }
      });
    };
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');

    const finish = (side, other) => {
      side.on('end', () => { if (!conn.cut) other.end(); });
      side.on('error', () => {});
      side.on('close', (hadError) => {
        open.delete(conn);
        if (conn.orphan) return;
        if (hadError) other.resetAndDestroy();
        else other.end();
      });
    };
    finish(client, upstream);
    finish(upstream, client);
  });

  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = server.address().port;

  return {
    port,
    url: `ws://127.0.0.1:${port}`,
    events,
    frames: (filter = () => true) => events.filter((e) => e.kind === 'frame' && filter(e)),
    connections: () => events.filter((e) => e.kind === 'connection'),
    // Cuts once, at the first frame (after those already seen) that matches.
    // where: 'before' (the frame is lost), 'middle' (half of it is forwarded)
    // or 'after' (all of it is forwarded, then the cut).
    // Resolves with that frame once cut.
    cutAt(match, { where = 'before', upstream = true } = {}) {
      return new Promise((resolve) => rules.push({ match, where, upstream, used: false, resolve }));
    },
    // match({ target }): which connections (default: all); target is the
    // request's path and query, once its HTTP head was read.
    cutAll({ upstream = true, match = () => true } = {}) {
      for (const conn of [...open]) if (!conn.cut && match({ target: conn.target ?? '' })) conn.cutNow(upstream);
    },
    block() { blocked = true; },
    unblock() { blocked = false; },
    // New connections are accepted and then get no answer at all.
    hold() { held = true; },
    unhold() { held = false; },
    waitFor(predicate, timeoutMs = 20_000, what = 'a proxy event') {
      const found = events.find(predicate);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const w = { predicate, resolve, timer: null };
        w.timer = setTimeout(() => {
          waiters.splice(waiters.indexOf(w), 1);
          reject(new Error(`timed out waiting for ${what}`));
        }, timeoutMs);
        waiters.push(w);
      });
    },
    close() {
      blocked = true;
      for (const s of sockets) s.destroy();
      open.clear();
      return new Promise((resolve) => server.close(() => resolve()));
    },
  };
}

export const FrameType = Object.freeze({ hello: 1, ready: 2, reveal: 3, credential: 4, result: 5, abort: 6 });
