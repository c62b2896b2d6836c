// The receiver's pairing state machine (sans-IO): the device that shows the
// QR code and gets the credential. Same states, events, actions and reasons
// as crypto/pairing/receiver.cpp. Every event returns a Promise of the
// actions its driver must carry out, in order; events are handled one at a
// time in call order. No sockets, no clocks.
//
//   waiting_for_hello --HELLO/READY--> waiting_for_reveal --REVEAL/ShowSas-->
//   comparing_codes --(user confirmed + CREDENTIAL)/DeliverCredential-->
//   delivering --onCredentialHandled/RESULT--> done
//
// Any invalid event moves to `aborted` with a reason; secrets are dropped
// (and typed arrays overwritten) in both final states. Events after a final
// state return no actions.
import { constantTimeEqual, wipe } from './bytes.js';
import { ENC_BYTES, HpkeError, isPlatformFailure, keyPairFromSecret, SECRET_KEY_BYTES, setupBaseReceiver } from './hpke.js';
import { buildLink } from './link.js';
import {
  abortBody, AEAD_ID, channelId, commitment, computeSas, frameType, hpkeInfo, HELLO_FRAME_BYTES,
  MessageType, NONCE_BYTES, openFrame, responseAead, resultBody, sasMatches, sealFrame, SEALED_NONCE_FRAME_BYTES,
} from './protocol.js';
import { openCredential, readAbortCode } from './sealed_frames.js';
import { abortedShown, closeConnection, deliverCredential, peerStatus, sendFrame, showSas } from './actions.js';
import { QrloginError, Reason } from './reason.js';
import { SerialQueue } from './serial.js';
import { randomOf } from './random.js';

export const ReceiverState = Object.freeze({
  waiting_for_hello: 'waiting_for_hello',
  waiting_for_reveal: 'waiting_for_reveal',
  comparing_codes: 'comparing_codes',
  delivering: 'delivering',
  done: 'done',
  aborted: 'aborted',
});
const S = ReceiverState;

export class Receiver {
  #random;
  #autoAccept;
  #queue = new SerialQueue();
  #state = S.waiting_for_hello;
  #failure = null;

  #keyPair; // { privateKey: CryptoKey, publicKey: Uint8Array }
  #cid;
  #link;
  #enc = null;
  #commit = null;
  #ctx = null;
  #response = null;
  #receiverNonce = null;
  #sas = '';
  #userConfirmed = false;
  #heldCredential = null;

  constructor(secret) {
    if (secret !== CONSTRUCT) throw new TypeError('use Receiver.create()');
  }

  // Draws a fresh key pair (32 bytes from the system's CSPRNG); nothing
  // else until HELLO. relayUrl may be '': the link then points at the page
  // URL's own relay. autoAccept skips the receiver's own confirmation (the
  // code is still shown for the sender's user). Risk: whoever holds the QR
  // can push their own credential into this device. Throws LinkError for a
  // bad URL.
  static async create(options) {
    const { pageUrl, relayUrl = '', autoAccept = false } = options;
    const r = new Receiver(CONSTRUCT);
    r.#random = randomOf(options);
    r.#autoAccept = autoAccept;
    const secretKey = r.#random(SECRET_KEY_BYTES);
    try {
      r.#keyPair = await keyPairFromSecret(secretKey);
    } finally {
      wipe(secretKey);
    }
    r.#link = buildLink(pageUrl, r.#keyPair.publicKey, relayUrl);
    r.#cid = await channelId(r.#keyPair.publicKey);
    return r;
  }

  get link() { return this.#link; }
  get cid() { return this.#cid; }
  get publicKey() { return this.#keyPair?.publicKey ?? null; }
  get state() { return this.#state; }
  get failure() { return this.#failure; }
  get sas() { return this.#sas; }
  // True while any secret (skR, HPKE context, Nr, a held credential) is kept.
  get holdsSecrets() {
    return Boolean(this.#keyPair?.privateKey || this.#ctx || this.#response || this.#receiverNonce || this.#heldCredential);
  }

  get #finished() {
    return this.#state === S.done || this.#state === S.aborted;
  }

  // Each event: ignored after a final state, run one at a time.
  #event(handler) {
    return this.#queue.run(() => (this.#finished ? [] : handler()));
  }

  // A binary frame from the relay. Valid in every non-final state for the
  // message that state expects; anything else aborts.
  onFrame(frame) {
    return this.#event(() => {
      switch (frameType(frame)) {
        case MessageType.hello: return this.#handleHello(frame);
        case MessageType.reveal: return this.#handleReveal(frame);
        case MessageType.credential: return this.#handleCredential(frame);
        case MessageType.abort: return this.#handleAbort(frame);
        default: return this.#fail(Reason.unexpected_message); // unknown, or receiver-to-sender
      }
    });
  }

  onPeer(event) {
    return this.#event(() => [peerStatus(event)]);
  }

  onIntrusion() {
    return this.#event(() => this.#fail(Reason.intrusion));
  }

  // Valid in comparing_codes.
  onUserConfirmed() {
    return this.#event(() => this.#confirm());
  }

  // A rejection before the codes are shown counts as a cancel.
  onUserRejected() {
    return this.#event(() => this.#fail(this.#state === S.comparing_codes ? Reason.sas_mismatch : Reason.user_cancelled));
  }

  onUserTyped(digits) {
    return this.#event(() => {
      if (this.#state !== S.comparing_codes) return this.#fail(Reason.invalid_event);
      if (!sasMatches(digits, this.#sas)) return this.#fail(Reason.sas_mismatch);
      return this.#confirm();
    });
  }

  // The application stored (or refused) the delivered credential; valid in
  // delivering. Sends RESULT.
  onCredentialHandled(accepted, reason = '') {
    return this.#event(async () => {
      if (this.#state !== S.delivering) return this.#fail(Reason.invalid_event);
      const actions = [];
      try {
        actions.push(sendFrame(await sealFrame(this.#response, MessageType.result, resultBody(accepted, reason))));
      } catch {
        // As in the C++ core: without RESULT the sender times out.
      }
      actions.push(closeConnection());
      this.#state = S.done;
      this.#wipe();
      return actions;
    });
  }

  // A step took too long (the driver owns the clock). After READY this is
  // reported as a possible attack (#fail).
  onTimeout() {
    return this.#event(() => this.#fail(Reason.timeout));
  }

  // After READY a network loss, expiry or timeout is reported as
  // possible_attack, with the driver's reason as detail (#fail).
  // While the application stores the credential (delivering) the user's
  // cancel is ignored: it would tell the sender `user_cancelled` after the
  // fact; the application's answer (RESULT) says what became of it.
  cancel(reason = Reason.user_cancelled) {
    return this.#event(() => {
      if (this.#state === S.delivering && reason === Reason.user_cancelled) return [];
      return this.#fail(reason);
    });
  }

  async #handleHello(frame) {
    // Exactly one HELLO per key pair, also across resumes.
    if (this.#state !== S.waiting_for_hello) return this.#fail(Reason.unexpected_message);
    if (frame.length !== HELLO_FRAME_BYTES) return this.#fail(Reason.bad_message);
    const enc = frame.slice(1, 1 + ENC_BYTES);
    const commit = frame.slice(1 + ENC_BYTES);
    let ctx;
    let response;
    try {
      ctx = await setupBaseReceiver(AEAD_ID, enc, this.#keyPair, hpkeInfo(this.#cid));
    } catch (e) {
      if (isPlatformFailure(e)) this.#failLocally(e);
      return this.#fail(e instanceof HpkeError && e.code === 'low_order_point' ? Reason.bad_key : Reason.bad_message);
    }
    try {
      response = await responseAead(ctx);
    } catch {
      ctx.wipe();
      return this.#fail(Reason.bad_message);
    }
    this.#enc = enc;
    this.#commit = commit;
    this.#ctx = ctx;
    this.#response = response;
    this.#keyPair = { privateKey: null, publicKey: this.#keyPair.publicKey }; // the context holds all that is needed

    // Nr is drawn only now, after the sender has committed to Ns.
    this.#receiverNonce = this.#random(NONCE_BYTES);
    let ready;
    try {
      ready = await sealFrame(this.#response, MessageType.ready, this.#receiverNonce);
    } catch {
      return this.#fail(Reason.bad_message);
    }
    this.#state = S.waiting_for_reveal;
    return [sendFrame(ready)];
  }

  async #handleReveal(frame) {
    if (this.#state !== S.waiting_for_reveal) return this.#fail(Reason.unexpected_message);
    if (frame.length !== SEALED_NONCE_FRAME_BYTES) return this.#fail(Reason.bad_message);
    let senderNonce;
    try {
      senderNonce = await openFrame(this.#ctx, frame);
    } catch {
      return this.#fail(Reason.bad_message);
    }
    try {
      const expected = await commitment(this.#cid, this.#enc, senderNonce);
      if (!constantTimeEqual(expected, this.#commit)) return this.#fail(Reason.bad_commit);
      try {
        this.#sas = await computeSas(this.#ctx, this.#receiverNonce, senderNonce);
      } catch {
        return this.#fail(Reason.bad_message);
      }
    } finally {
      wipe(senderNonce);
    }
    wipe(this.#receiverNonce);
    this.#receiverNonce = null;
    this.#state = S.comparing_codes;
    this.#userConfirmed = this.#autoAccept;
    return [showSas(this.#sas)];
  }

  async #handleCredential(frame) {
    if (this.#state !== S.comparing_codes || this.#heldCredential) return this.#fail(Reason.unexpected_message);
    const opened = await openCredential(this.#ctx, frame);
    if (opened.reason) return this.#fail(opened.reason);
    this.#heldCredential = opened.credential;
    return this.#deliverIfReady();
  }

  async #handleAbort(frame) {
    // Before HELLO there is no context, so an ABORT cannot be genuine.
    if (!this.#ctx) return this.#fail(Reason.unexpected_message, '', false);
    const code = await readAbortCode(this.#ctx, frame);
    // With a context READY went out too, so whatever the sender claims is a
    // possible attack (the sender that stops before revealing Ns is the
    // classic pattern, docs/threat-model.md); its code is the detail.
    return this.#fail(Reason.possible_attack, code, false);
  }

  #confirm() {
    if (this.#state !== S.comparing_codes) return this.#fail(Reason.invalid_event);
    this.#userConfirmed = true;
    return this.#deliverIfReady();
  }

  #deliverIfReady() {
    if (!this.#userConfirmed || !this.#heldCredential) return [];
    this.#state = S.delivering;
    const credential = this.#heldCredential;
    this.#heldCredential = null;
    return [deliverCredential(credential)];
  }

  async #fail(reason, detail = '', tellPeer = true) {
    const actions = [];
    // ABORT needs an HPKE context; before HELLO the socket is simply closed.
    if (tellPeer && this.#response) {
      try {
        actions.push(sendFrame(await sealFrame(this.#response, MessageType.abort, abortBody(reason))));
      } catch {
        // Nothing more to tell: the close follows.
      }
    }
    // Once READY went out, any ending but the user's own is a possible attack.
    const readySent = [S.waiting_for_reveal, S.comparing_codes, S.delivering].includes(this.#state);
    const ending = abortedShown(reason, detail, readySent);
    actions.push(ending, closeConnection());
    this.#state = S.aborted;
    this.#failure = ending.reason;
    this.#wipe();
    return actions;
  }

  // This device's WebCrypto failed: not the peer's doing, and no protocol
  // outcome. The machine ends with its secrets dropped, and the event
  // rejects with what failed (QrloginError 'unsupported' or 'internal'),
  // which the driver reports as it is.
  #failLocally(error) {
    this.#state = S.aborted;
    this.#wipe();
    throw new QrloginError(error.code, error.message);
  }

  #wipe() {
    if (this.#keyPair) this.#keyPair = { privateKey: null, publicKey: this.#keyPair.publicKey };
    this.#ctx?.wipe();
    this.#ctx = null;
    this.#response?.wipe();
    this.#response = null;
    wipe(this.#receiverNonce);
    this.#receiverNonce = null;
    if (this.#heldCredential) wipe(this.#heldCredential.bytes);
    this.#heldCredential = null;
    this.#userConfirmed = false;
  }
}

const CONSTRUCT = Symbol('Receiver.create');
