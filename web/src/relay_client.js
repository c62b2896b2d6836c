// A WebSocket client for the qrlogin relay (one channel, one role) that
// resumes a cut connection in both directions.
//
//   <relay>/v1/channels/<cid>?role=receiver|sender[&kind=code][&received=N]
//   subprotocol "qrlogin.v1" (plus "qrlogin.resume.<token>" on a resume)
//
// Text frames are the relay's control messages (JSON, relay -> client only);
// binary frames are the peer's, forwarded unchanged. The client keeps what a
// resume needs — the last resume token, the number of binary frames it
// received, and the frames it sent that the relay has not confirmed — in
// memory only, never in storage or in a URL, and drops them when the
// channel ends. Works with the browser's WebSocket and with the `ws`
// package's (pass it as `WebSocket`).
//
// Resume (docs/protocol.md, "Resume"): a socket that closes without a normal
// close (1000) and without a definitive relay error is reopened with the
// token and `received=N`, after a backoff, until the channel's lifetime (from
// the last `joined`) is over. The relay answers `joined` with how many of our
// frames it has; we send the rest again, it sends what we missed, so every
// frame arrives exactly once, in order. A relay still unreachable when the
// lifetime ends is a lost connection, as in the CLI: only the relay can say
// the code expired.
import { MAX_FRAME_BYTES } from './constants.js';
import { channelUrl } from './link.js';
import { classifyRelayError } from './relay_errors.js';

export const SUBPROTOCOL = 'qrlogin.v1';
const RESUME_PREFIX = 'qrlogin.resume.';
const NORMAL_CLOSE = 1000;

// Delays before resume attempts 1, 2, 3, ...; the last repeats.
export const RESUME_BACKOFF_MS = Object.freeze([250, 500, 1000, 2000, 4000]);
// A resume attempt not open by then is dropped and tried again (a network
// that swallows packets would otherwise hold it for the TCP timeout).
export const RESUME_ATTEMPT_TIMEOUT_MS = 5000;
// What the relay, which is not trusted, can make us hold. A message over
// these is a protocol violation: binary frames are the peer's (the largest
// is a CREDENTIAL, MAX_FRAME_BYTES), control messages are a few hundred bytes.
export { MAX_FRAME_BYTES };
export const MAX_CONTROL_MESSAGE_BYTES = 4096;
// Events a handler took as a promise that has not settled yet (see the
// handlers below). A pairing has a handful in flight at most: the relay
// forwards at most 16 frames per channel.
export const MAX_QUEUED_EVENTS = 64;
export const MAX_QUEUED_BYTES = 2 * MAX_FRAME_BYTES + MAX_CONTROL_MESSAGE_BYTES;

// The CLI's words for the same end (cli/resumable_channel.cpp).
export const UNRESTORED_MESSAGE =
  'the connection to the relay was lost and could not be restored before the code expired';

const utf8 = new TextEncoder();

const now = () => (globalThis.performance?.now ? globalThis.performance.now() : Date.now());

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
      if (j.kind !== undefined && typeof j.kind !== 'string') return null;
      return {
        type: 'joined', role: j.role, expiresInMs: j.expires_in_ms, peer: j.peer, resumeToken: j.resume_token ?? null,
        received: j.received ?? null, kind: j.kind ?? 'qr',
      };
    }
    case 'peer':
      if (!['joined', 'left', 'back'].includes(j.event)) return null;
      return { type: 'peer', event: j.event };
    case 'intrusion':
      return { type: 'intrusion' };
    case 'error':
      if (typeof j.code !== 'string') return null;
      if (j.resume !== undefined && typeof j.resume !== 'boolean') return null;
      return {
        type: 'error',
        code: j.code,
        message: typeof j.message === 'string' ? j.message : '',
        // Contract rev. 3; an older relay's error has none (its code decides).
        resume: j.resume ?? classifyRelayError(j.code).resumable,
      };
    default:
      return { type: j.type };
  }
}

export class RelayClient {
  #url;
  #role;
  #kind;
  #WebSocket;
  #handlers;
  #backoff;
  #socket = null;
  #socketJoined = false; // `joined` arrived on #socket
  #socketError = null; // the relay's `error` on #socket: { code, message }
  #token = null; // for the next resume; spent once a resume socket opens
  #presented = null; // the token a resume socket presented, until its `joined`
  #received = 0; // binary frames received on this channel, over all sockets
  #sent = []; // our frames from index #sentBase on, for a resume
  #sentBase = 0; // frames below this index the relay confirmed having
  #written = 0; // index of our next frame to write on #socket
  #expiresAt = 0; // when the channel ends (from the last `joined`)
  #attempt = 0; // resume attempts since the last `joined`
  #retryTimer = null;
  #attemptTimeout;
  #attemptTimer = null;
  #closing = false; // close() asked: deliver what is pending, then close 1000
  #closedPromise = null;
  #resolveClosed = null;
  #socketIsResume = false;
  #peerPresent = false; // the other side is connected, as the relay last said
  #peerSeen = false; // it was connected at some point
  #ended = false;
  #queued = 0; // events whose handler's promise has not settled
  #queuedBytes = 0;

  // handlers: { onJoined(info), onPeer(event), onIntrusion(), onFrame(Uint8Array),
  //   onReconnecting(), onEnd(end) }
  // onJoined gets every `joined`; info.received is null on the first and a
  // number on a resume. onReconnecting: once per cut, before the first
  // attempt. onEnd: once, when the channel is over for us, with
  //   { reason: 'relay', code, message }  the relay's error (not resumable, or
  //                                       no token to resume with)
  //   { reason: 'closed' }                a normal close 1000 by the relay
  //   { reason: 'lost', message }         cut, and no way to resume (no token,
  //                                       or the lifetime passed while reconnecting)
  //   { reason: 'unsupported', message }  a code channel's `joined` lacks
  //                                       "kind":"code": the relay has no code
  //                                       channels (closed 1000)
  //   { reason: 'protocol', message }     the relay broke the protocol, sent
  //                                       a message over MAX_FRAME_BYTES or
  //                                       MAX_CONTROL_MESSAGE_BYTES, or more
  //                                       than the queue bound (below)
  // Not called after close().
  // onFrame, onPeer and onIntrusion may return a promise: until it settles,
  // the event counts as queued. Past MAX_QUEUED_EVENTS or MAX_QUEUED_BYTES
  // queued, the channel ends with 'protocol' rather than pile up what a
  // relay floods us with.
  // kind: 'qr' (the default) or 'code', a code channel (`kind=code` in its
  // URL; its `joined` must say "kind":"code").
  constructor({
    relayUrl, cid, role, kind = 'qr', WebSocket = globalThis.WebSocket, handlers = {},
    backoffMs = RESUME_BACKOFF_MS, attemptTimeoutMs = RESUME_ATTEMPT_TIMEOUT_MS,
  }) {
    if (role !== 'receiver' && role !== 'sender') throw new TypeError('role must be receiver or sender');
    if (typeof WebSocket !== 'function') throw new TypeError('no WebSocket implementation: pass one as WebSocket');
    if (kind !== 'qr' && kind !== 'code') throw new TypeError('kind must be qr or code');
    this.#url = `${channelUrl(relayUrl, cid)}?role=${role}${kind === 'code' ? '&kind=code' : ''}`;
    this.#role = role;
    this.#kind = kind;
    this.#WebSocket = WebSocket;
    this.#handlers = handlers;
    this.#backoff = backoffMs.length ? backoffMs : RESUME_BACKOFF_MS;
    this.#attemptTimeout = attemptTimeoutMs;
  }

  get url() { return this.#url; }
  get receivedCount() { return this.#received; }
  get ended() { return this.#ended; }
  // True while a resume token is held (for tests: it must be gone at the end).
  get holdsToken() { return this.#token !== null; }

  // Opens the channel (first connection).
  connect() {
    if (this.#socket || this.#ended) throw new Error('connect() once');
    this.#open(false);
  }

  send(frame) {
    if (this.#ended || this.#closing) return;
    this.#sent.push(Uint8Array.from(frame));
    this.#flush();
  }

  // Ends our use of the channel with a normal close (1000), which ends it for
  // both sides. Only the relay's answer to that close proves it read every
  // frame before it; when the socket is cut instead (the last frame, e.g.
  // RESULT or ABORT, may be lost in flight), the client resumes, sends what
  // the relay lacks, and closes again — bounded by the channel's lifetime
  // and the relay's refusal. No handler is called after close(). Resolves
  // once the client is finished and holds nothing.
  close() {
    if (this.#closedPromise) return this.#closedPromise;
    this.#closedPromise = new Promise((resolve) => { this.#resolveClosed = resolve; });
    if (this.#ended) {
      this.#resolveClosed();
      return this.#closedPromise;
    }
    this.#closing = true;
    const socket = this.#socket;
    if (socket && this.#socketJoined && socket.readyState === 1) {
      this.#closeWhenPeerIsBack(socket);
    } else if (!(this.#resuming && now() < this.#expiresAt)) {
      this.#finish(socket); // nothing opened yet, or no way back: just stop
    }
    // Else a resume is on its way: its `joined` flushes and closes.
    return this.#closedPromise;
  }

  // A normal close ends the channel at once, and with it the frames the
  // peer has not taken: a peer that dropped (a phone that locked its screen
  // after sending its credential) would then miss RESULT. So while it is
  // away, the close waits for `peer back` — or the relay's `expired` at the
  // end of its grace.
  #closeWhenPeerIsBack(socket) {
    const owed = this.#sentBase + this.#sent.length > 0;
    if (this.#peerSeen && !this.#peerPresent && owed) {
      this.#flush();
      return;
    }
    this.#closeAfterFlush(socket);
  }

  #closeAfterFlush(socket) {
    this.#flush(); // the close frame follows every frame written before it
    try {
      socket.close(NORMAL_CLOSE);
    } catch {
      // Already closing: its close event decides.
    }
  }

  // Resuming: a token to resume with, or a resume socket on its way.
  get #resuming() {
    return this.#token !== null || (this.#socket !== null && this.#socketIsResume);
  }

  // Drops everything a resume needed and closes the socket normally.
  #finish(socket) {
    this.#ended = true;
    clearTimeout(this.#retryTimer);
    this.#retryTimer = null;
    clearTimeout(this.#attemptTimer);
    this.#attemptTimer = null;
    this.#token = null;
    this.#presented = null;
    this.#sent = []; // ciphertexts: dropped, not overwritten (a socket may still be writing them)
    this.#socket = null;
    if (socket && (socket.readyState === 0 || socket.readyState === 1)) {
      try {
        socket.close(NORMAL_CLOSE);
      } catch {
        // Already closing.
      }
    }
    this.#resolveClosed?.();
  }

  #end(end) {
    if (this.#ended) return;
    const closing = this.#closing;
    this.#finish(this.#socket);
    if (!closing) this.#handlers.onEnd?.(end);
  }

  #open(resume) {
    const protocols = [SUBPROTOCOL];
    let url = this.#url;
    if (resume) {
      url += `&received=${this.#received}`;
      protocols.push(RESUME_PREFIX + this.#token);
    }
    let socket;
    try {
      // The third argument is the `ws` package's options (a browser ignores
      // it): there it refuses a message over maxPayload before holding it all.
      socket = new this.#WebSocket(url, protocols, { maxPayload: MAX_FRAME_BYTES });
    } catch (e) {
      this.#end({ reason: 'lost', message: `cannot open a WebSocket: ${e?.message ?? e}` });
      return;
    }
    socket.binaryType = 'arraybuffer';
    this.#socket = socket;
    this.#socketJoined = false;
    this.#socketError = null;
    this.#socketIsResume = resume;
    clearTimeout(this.#attemptTimer);
    this.#attemptTimer = !resume ? null : setTimeout(() => {
      this.#attemptTimer = null;
      // Its close event follows (1006), and the next attempt with it.
      if (socket === this.#socket && socket.readyState === 0) socket.close();
    }, this.#attemptTimeout);
    socket.onopen = () => {
      clearTimeout(this.#attemptTimer);
      this.#attemptTimer = null;
      if (socket !== this.#socket) return;
      // The relay has read the token and spent it, unless it refuses with a
      // resumable error; the next one comes with `joined`. Before `open` it
      // may never have reached the relay, and stays good for the next attempt.
      if (resume) {
        this.#presented = this.#token;
        this.#token = null;
      }
    };
    socket.onmessage = (event) => {
      if (socket !== this.#socket || this.#ended) return;
      const { data } = event;
      if (typeof data === 'string') {
        // A string has no more UTF-16 units than UTF-8 bytes: a long one is
        // too large without encoding it.
        const bytes = data.length > MAX_CONTROL_MESSAGE_BYTES ? data.length : utf8.encode(data).length;
        if (bytes > MAX_CONTROL_MESSAGE_BYTES) {
          this.#protocolError(`the relay sent a control message larger than ${MAX_CONTROL_MESSAGE_BYTES} bytes`);
          return;
        }
        this.#onControl(data, bytes);
      } else if (data.byteLength > MAX_FRAME_BYTES) {
        this.#tooLarge();
      } else {
        this.#onBinary(data);
      }
    };
    socket.onclose = (event) => {
      if (socket !== this.#socket || this.#ended) return;
      clearTimeout(this.#attemptTimer);
      this.#attemptTimer = null;
      this.#socket = null;
      this.#socketJoined = false;
      this.#onSocketClosed(event.code);
    };
    socket.onerror = (event) => {
      if (socket !== this.#socket || this.#ended) return;
      // `ws` refused a message over maxPayload (a browser has no such limit).
      if (event?.error?.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') this.#tooLarge();
      // Otherwise a close event follows and carries what we can know.
    };
  }

  // The same words for a browser and for `ws`, which refuses a text message
  // over MAX_FRAME_BYTES too.
  #tooLarge() {
    this.#protocolError(`the relay sent a message larger than ${MAX_FRAME_BYTES} bytes`);
  }

  // Hands a relay event to a handler. One that returns a promise has not
  // taken the event until the promise settles.
  #deliver(name, bytes, ...args) {
    if (!this.#handlers[name]) return;
    if (this.#queued >= MAX_QUEUED_EVENTS || this.#queuedBytes + bytes > MAX_QUEUED_BYTES) {
      this.#protocolError(`the relay sent more than ${MAX_QUEUED_EVENTS} events or ${MAX_QUEUED_BYTES} bytes that were not handled yet`);
      return;
    }
    const result = this.#handlers[name](...args);
    if (typeof result?.then !== 'function') return;
    this.#queued += 1;
    this.#queuedBytes += bytes;
    const taken = () => {
      this.#queued -= 1;
      this.#queuedBytes -= bytes;
    };
    result.then(taken, taken);
  }

  #onSocketClosed(code) {
    const error = this.#socketError;
    const resumable = error ? error.resume : code !== NORMAL_CLOSE;
    // A resumable refusal of a resume (a node going away, a backend briefly
    // unavailable) left the slot and its token as they were.
    if (error && resumable && this.#presented !== null) this.#token = this.#presented;
    this.#presented = null;
    if (this.#closing) {
      // A clean close (the relay answered ours) or a refusal: the channel is
      // over. A cut: the relay may lack our last frames, or our close.
      if (resumable && this.#token !== null) this.#scheduleResume();
      else this.#finish(null);
      return;
    }
    if (error && (!resumable || this.#token === null)) {
      this.#end({ reason: 'relay', code: error.code, message: error.message });
      return;
    }
    if (!error && code === NORMAL_CLOSE) {
      this.#end({ reason: 'closed' });
      return;
    }
    if (this.#token === null) {
      this.#end({ reason: 'lost', message: 'the connection to the relay was lost' });
      return;
    }
    this.#scheduleResume();
  }

  #scheduleResume() {
    const left = this.#expiresAt - now();
    if (left <= 0) {
      this.#endUnrestored();
      return;
    }
    const delay = this.#backoff[Math.min(this.#attempt, this.#backoff.length - 1)];
    this.#attempt += 1;
    if (this.#attempt === 1 && !this.#closing) this.#handlers.onReconnecting?.();
    this.#retryTimer = setTimeout(() => {
      this.#retryTimer = null;
      if (this.#ended) return;
      if (now() >= this.#expiresAt) {
        this.#endUnrestored();
        return;
      }
      this.#open(true);
    }, Math.min(delay, left));
    // Coming back only to deliver our last frames is best effort: in Node it
    // does not keep a process alive that has nothing else to do.
    if (this.#closing) this.#retryTimer.unref?.();
  }

  // The lifetime ran out before the relay could be reached again. Had the
  // relay been reached, it would have said `expired` itself.
  #endUnrestored() {
    this.#end({ reason: 'lost', message: UNRESTORED_MESSAGE });
  }

  #onBinary(data) {
    if (!this.#socketJoined) {
      this.#protocolError('the relay sent a frame before joined');
      return;
    }
    this.#received += 1;
    if (this.#closing) return; // nobody listens any more
    this.#deliver('onFrame', data.byteLength, new Uint8Array(data));
  }

  #protocolError(message) {
    this.#end({ reason: 'protocol', message });
  }

  #onControl(text, bytes) {
    const message = parseControl(text);
    if (!message) {
      this.#protocolError('the relay sent a malformed control message');
      return;
    }
    switch (message.type) {
      case 'joined':
        this.#onJoined(message);
        return;
      case 'peer':
        this.#peerPresent = message.event !== 'left';
        if (this.#peerPresent) this.#peerSeen = true;
        if (!this.#closing) this.#deliver('onPeer', bytes, message.event);
        else if (this.#peerPresent) this.#closeAfterFlush(this.#socket); // what close() waited for
        return;
      case 'intrusion':
        if (!this.#closing) this.#deliver('onIntrusion', bytes);
        return;
      case 'error':
        // The relay closes the socket next; that close decides what follows.
        this.#socketError = {
          code: message.code,
          message: message.message,
          resume: message.resume,
        };
        return;
      default:
        return; // a newer relay's message: ignored
    }
  }

  #onJoined(message) {
    const socket = this.#socket;
    if (this.#socketJoined) {
      this.#protocolError('the relay sent joined twice');
      return;
    }
    if (message.role !== this.#role) {
      this.#protocolError('the relay joined us with the wrong role');
      return;
    }
    if (socket.protocol !== SUBPROTOCOL) {
      this.#protocolError(`the relay did not answer with the ${SUBPROTOCOL} subprotocol`);
      return;
    }
    if (message.kind !== this.#kind) {
      if (this.#kind === 'code') {
        this.#end({ reason: 'unsupported', message: 'this relay does not support pairing by a typed code' });
      } else {
        this.#protocolError(`the relay joined us to a channel of kind ${JSON.stringify(message.kind)}`);
      }
      return;
    }
    // On a resume the relay says how many of our frames it has: those are
    // confirmed and dropped; the rest are sent again. On a first join it has none.
    const total = this.#sentBase + this.#sent.length;
    const has = message.received ?? 0;
    if (has > total || has < this.#sentBase) {
      this.#protocolError('the relay claims frames we never sent, or forgot frames it confirmed');
      return;
    }
    this.#sent = this.#sent.slice(has - this.#sentBase);
    this.#sentBase = has;
    this.#written = has;
    this.#token = message.resumeToken;
    this.#presented = null;
    this.#expiresAt = now() + message.expiresInMs;
    this.#attempt = 0;
    this.#socketJoined = true;
    this.#peerPresent = message.peer;
    if (message.peer) this.#peerSeen = true;
    if (this.#closing) {
      // We came back only to deliver what was owed: send it and close.
      this.#closeWhenPeerIsBack(socket);
      return;
    }
    this.#handlers.onJoined?.(message);
    this.#flush();
  }

  // Writes only after `joined`, so frames are never written before the relay
  // has told us where this connection stands.
  #flush() {
    const socket = this.#socket;
    if (!socket || !this.#socketJoined || socket.readyState !== 1) return;
    while (this.#written < this.#sentBase + this.#sent.length) {
      socket.send(this.#sent[this.#written - this.#sentBase]);
      this.#written += 1;
    }
  }
}
