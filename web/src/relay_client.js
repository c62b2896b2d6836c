// A WebSocket client for the qrlogin relay (one channel, one role).
//
//   <relay>/v1/channels/<cid>?role=receiver|sender[&received=N]
//   subprotocol "qrlogin.v1" (plus "qrlogin.resume.<token>" on a resume)
//
// Text frames are the relay's control messages (JSON, relay -> client only);
// binary frames are the peer's, forwarded unchanged. The client keeps what
// a resume needs — the last resume token, the number of binary frames it
// received, and every frame it sent — in memory only, never in storage or
// in a URL. Works with the browser's WebSocket and with the `ws` package's
// (pass it as `WebSocket`).
import { channelUrl } from './link.js';

export const SUBPROTOCOL = 'qrlogin.v1';
const RESUME_PREFIX = 'qrlogin.resume.';
const NORMAL_CLOSE = 1000;

// The relay's error codes (relay/core/codes.hpp); unknown codes pass through.
export const RelayErrorCode = Object.freeze({
  expired: 'expired',
  channel_full: 'channel_full',
  rate_limited: 'rate_limited',
  too_large: 'too_large',
  slow_consumer: 'slow_consumer',
  bad_request: 'bad_request',
  forbidden_origin: 'forbidden_origin',
  unavailable: 'unavailable',
  going_away: 'going_away',
  peer_closed: 'peer_closed',
});

// Parses a control message; returns null for one that is malformed.
// Unknown types are kept (type only), so a newer relay does not break us.
export function parseControl(text) {
  let j;
  try {
    j = JSON.parse(text);
  } catch {
    return null;
  }
  if (j === null || typeof j !== 'object' || Array.isArray(j) || typeof j.type !== 'string') return null;
  switch (j.type) {
    case 'joined': {
      if (j.role !== 'receiver' && j.role !== 'sender') return null;
      if (!Number.isSafeInteger(j.expires_in_ms) || j.expires_in_ms < 0 || typeof j.peer !== 'boolean') return null;
      if (j.resume_token !== undefined && typeof j.resume_token !== 'string') return null;
      if (j.received !== undefined && (!Number.isSafeInteger(j.received) || j.received < 0)) return null;
      return { type: 'joined', role: j.role, expiresInMs: j.expires_in_ms, peer: j.peer, resumeToken: j.resume_token ?? null, received: j.received ?? null };
    }
    case 'peer':
      if (!['joined', 'left', 'back'].includes(j.event)) return null;
      return { type: 'peer', event: j.event };
    case 'intrusion':
      return { type: 'intrusion' };
    case 'error':
      if (typeof j.code !== 'string') return null;
      return { type: 'error', code: j.code, message: typeof j.message === 'string' ? j.message : '' };
    default:
      return { type: j.type };
  }
}

export class RelayClient {
  #url;
  #role;
  #WebSocket;
  #handlers;
  #socket = null;
  #resumeToken = null;
  #received = 0; // binary frames received on this channel
  #sent = []; // every binary frame sent, for a resume
  #relayHasSent = 0; // of #sent, how many the relay is known to have or to be getting
  #closedByUs = false;
  #joinedSocket = null; // the socket on which `joined` arrived

  // handlers: { onJoined(info), onPeer(event), onIntrusion(), onRelayError(code, message),
  //             onFrame(Uint8Array), onClose({ code, reason, normal }), onProtocolError(message) }
  constructor({ relayUrl, cid, role, WebSocket = globalThis.WebSocket, handlers = {} }) {
    if (role !== 'receiver' && role !== 'sender') throw new TypeError('role must be receiver or sender');
    if (typeof WebSocket !== 'function') throw new TypeError('no WebSocket implementation: pass one as WebSocket');
    this.#url = `${channelUrl(relayUrl, cid)}?role=${role}`;
    this.#role = role;
    this.#WebSocket = WebSocket;
    this.#handlers = handlers;
  }

  get url() { return this.#url; }
  get canResume() { return this.#resumeToken !== null && !this.#closedByUs; }
  get receivedCount() { return this.#received; }

  // Opens the channel (first connection).
  connect() {
    this.#open(this.#url, [SUBPROTOCOL]);
  }

  // Reconnects after a cut connection with the last resume token; the
  // relay then re-sends what we missed and we re-send what it missed.
  resume() {
    if (!this.canResume) throw new Error('no resume token: the relay never sent one, or the channel was closed');
    const token = this.#resumeToken;
    this.#resumeToken = null; // single use
    this.#open(`${this.#url}&received=${this.#received}`, [SUBPROTOCOL, RESUME_PREFIX + token]);
  }

  send(frame) {
    this.#sent.push(Uint8Array.from(frame));
    this.#flush();
  }

  // A normal close (1000) ends the channel at once, for both sides.
  close(code = NORMAL_CLOSE, reason = '') {
    this.#closedByUs = true;
    this.#resumeToken = null;
    const socket = this.#socket;
    if (socket && (socket.readyState === 0 || socket.readyState === 1)) socket.close(code, reason);
    this.#forget();
  }

  // Sent frames are ciphertexts; they are dropped, not overwritten, since a
  // WebSocket may still be writing them.
  #forget() {
    this.#sent = [];
  }

  #open(url, protocols) {
    const socket = new this.#WebSocket(url, protocols);
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    this.#relayHasSent = 0;
    socket.onmessage = (event) => {
      if (socket !== this.#socket) return;
      if (typeof event.data === 'string') this.#onControl(event.data);
      else this.#onBinary(event.data);
    };
    socket.onclose = (event) => {
      if (socket !== this.#socket) return;
      this.#socket = null;
      const normal = event.code === NORMAL_CLOSE;
      if (normal) this.#resumeToken = null;
      this.#handlers.onClose?.({ code: event.code, reason: event.reason, normal: normal || this.#closedByUs });
    };
    socket.onerror = () => {}; // a close event follows and carries what we can know
  }

  #onBinary(data) {
    this.#received += 1;
    this.#handlers.onFrame?.(new Uint8Array(data));
  }

  #onControl(text) {
    const message = parseControl(text);
    if (!message) {
      this.#handlers.onProtocolError?.('the relay sent a malformed control message');
      return;
    }
    switch (message.type) {
      case 'joined':
        if (message.role !== this.#role) {
          this.#handlers.onProtocolError?.('the relay joined us with the wrong role');
          return;
        }
        if (this.#socket?.protocol !== SUBPROTOCOL) {
          this.#handlers.onProtocolError?.(`the relay did not answer with the ${SUBPROTOCOL} subprotocol`);
          return;
        }
        this.#joinedSocket = this.#socket;
        this.#resumeToken = message.resumeToken;
        // On a resume the relay says how many of our frames it has; the rest
        // are sent again. On a first join it has none.
        this.#relayHasSent = Math.min(message.received ?? 0, this.#sent.length);
        this.#handlers.onJoined?.(message);
        this.#flush();
        return;
      case 'peer':
        this.#handlers.onPeer?.(message.event);
        return;
      case 'intrusion':
        this.#handlers.onIntrusion?.();
        return;
      case 'error':
        this.#handlers.onRelayError?.(message.code, message.message);
        return;
      default:
        return; // a newer relay's message: ignored
    }
  }

  // Sends only after `joined`, so frames are never written before the relay
  // has told us where this connection stands.
  #flush() {
    const socket = this.#socket;
    if (!socket || socket.readyState !== 1 || socket !== this.#joinedSocket) return;
    while (this.#relayHasSent < this.#sent.length) socket.send(this.#sent[this.#relayHasSent++]);
  }
}
