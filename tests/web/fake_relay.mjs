// A small in-process stand-in for the relay (not the real one), enough to
// drive web/src's public API from Node: channels by cid, one receiver and
// one sender, control messages, forwarding, intrusion, and resume with a
// token in Sec-WebSocket-Protocol. Listens on 127.0.0.1 only.
import { randomBytes } from 'node:crypto';
import { WebSocketServer } from 'ws';

export async function startFakeRelay({ lifetimeMs = 30000 } = {}) {
  const channels = new Map();
  const server = new WebSocketServer({
    host: '127.0.0.1',
    port: 0,
    handleProtocols: (protocols) => (protocols.has('qrlogin.v1') ? 'qrlogin.v1' : false),
  });
  await new Promise((resolve) => server.once('listening', resolve));
  const send = (ws, message) => ws?.readyState === 1 && ws.send(JSON.stringify(message));
  const other = (role) => (role === 'receiver' ? 'sender' : 'receiver');

  server.on('connection', (ws, request) => {
    const url = new URL(request.url, 'ws://relay');
    const cid = url.pathname.match(/^\/v1\/channels\/([A-Za-z0-9_-]{22})$/)?.[1];
    const role = url.searchParams.get('role');
    const token = [...(request.headers['sec-websocket-protocol'] ?? '').split(',')]
      .map((p) => p.trim()).find((p) => p.startsWith('qrlogin.resume.'))?.slice('qrlogin.resume.'.length);
    const refuse = (code, close) => {
      send(ws, { type: 'error', code, message: code });
      ws.close(close);
    };
    if (!cid || !['receiver', 'sender'].includes(role)) return refuse('bad_request', 1008);
    let channel = channels.get(cid);
    if (!channel) {
      if (role !== 'receiver') return refuse('expired', 4404);
      channel = { sockets: {}, tokens: {}, logs: { receiver: [], sender: [] }, created: Date.now(), ended: false };
      channels.set(cid, channel);
    }
    if (channel.ended) return refuse('expired', 4404);
    const resuming = token !== undefined;
    if (resuming ? channel.tokens[role] !== token : channel.tokens[role] !== undefined) {
      refuse('channel_full', 4409);
      for (const peer of Object.values(channel.sockets)) send(peer, { type: 'intrusion' });
      return;
    }
    channel.sockets[role] = ws;
    channel.tokens[role] = randomBytes(16).toString('base64url');
    const peer = channel.sockets[other(role)];
    send(ws, {
      type: 'joined', role, expires_in_ms: lifetimeMs - (Date.now() - channel.created), peer: peer?.readyState === 1,
      resume_token: channel.tokens[role], ...(resuming ? { received: channel.logs[role].length } : {}),
    });
    if (resuming) {
      for (const frame of channel.logs[other(role)].slice(Number(url.searchParams.get('received') ?? 0))) ws.send(frame);
    }
    send(peer, { type: 'peer', event: resuming ? 'back' : 'joined' });

    ws.on('message', (data, isBinary) => {
      if (!isBinary) return refuse('bad_request', 1008);
      channel.logs[role].push(data);
      const to = channel.sockets[other(role)];
      if (to?.readyState === 1) to.send(data);
    });
    ws.on('close', (code) => {
      if (channel.sockets[role] !== ws) return;
      delete channel.sockets[role];
      if (code === 1000) {
        channel.ended = true;
        channel.sockets[other(role)]?.close(1000);
      } else {
        send(channel.sockets[other(role)], { type: 'peer', event: 'left' });
      }
    });
  });

  return {
    url: `ws://127.0.0.1:${server.address().port}`,
    // Cuts a client's TCP connection without a close handshake.
    cut: (role) => {
      for (const channel of channels.values()) channel.sockets[role]?.terminate();
    },
    close: () => new Promise((resolve) => {
      for (const client of server.clients) client.terminate();
      server.close(resolve);
    }),
  };
}
