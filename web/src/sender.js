// The sender's pairing state machine (sans-IO): the device that is logged in
// and sends its credential. Same states, events, actions and reasons as
// crypto/pairing/sender.cpp. Every event returns a Promise of actions;
// events are handled one at a time in call order.
//
//   ready_to_start --start/HELLO--> waiting_for_ready --READY/REVEAL+ShowSas-->
//   comparing_codes --user confirmed/CREDENTIAL--> waiting_for_result
//   --RESULT/ShowResult--> done (or aborted when not accepted)
//
// One (enc, Ns) per Sender: it never retries by itself. Any invalid event
// moves to `aborted` with a reason; secrets are dropped in both final states.
import { wipe } from './bytes.js';
import { HpkeError, isPlatformFailure, setupBaseSender } from './hpke.js';
import {
  abortBody, AEAD_ID, channelId, commitment, computeSas, frameType, hpkeInfo, makeHello,
  MAX_CREDENTIAL_JSON_BYTES, MessageType, NONCE_BYTES, openFrame, responseAead, sasMatches, sealFrame,
  SEALED_NONCE_FRAME_BYTES,
} from './protocol.js';
import { CREDENTIAL_TOO_LARGE, openResult, readAbortCode, sealCredential } from './sealed_frames.js';
import { aborted, abortedShown, closeConnection, peerStatus, sendFrame, showResult, showSas } from './actions.js';
import { QrloginError, Reason, reasonFromPeerCode } from './reason.js';
import { SerialQueue } from './serial.js';
import { INJECTED_RANDOM, randomOf } from './random.js';

export const SenderState = Object.freeze({
  ready_to_start: 'ready_to_start',
  waiting_for_ready: 'waiting_for_ready',
  comparing_codes: 'comparing_codes',
  waiting_for_result: 'waiting_for_result',
  done: 'done',
  aborted: 'aborted',
});
const S = SenderState;

export class Sender {
  #random;
  #link;
  #cid;
  #credential; // J as UTF-8 bytes
  #queue = new SerialQueue();
  #state = S.ready_to_start;
  #failure = null;
  #ctx = null;
  #response = null;
  #senderNonce = null;
  #sas = '';
  #deferred = false; // started without a credential: confirmation brings it

  constructor(secret) {
    if (secret !== CONSTRUCT) throw new TypeError('use Sender.create()');
  }

  // link: a parsed link (parseLink). credentialJson: J as UTF-8 bytes (see
  // credentialJson()), or null to supply it at confirmation (a credential
  // that only exists once the person confirmed, e.g. a grant the
  // application mints then). The Sender takes it over and overwrites it when
  // the pairing ends. It is padded and sent only after the user confirmed
  // the code. Throws QrloginError('limit_exceeded') for J over 65536 bytes.
  // The ephemeral key and Ns come from the system's CSPRNG.
  static async create(link, credentialJson, internal = {}) {
    if (credentialJson && credentialJson.length > MAX_CREDENTIAL_JSON_BYTES) {
      throw new QrloginError('limit_exceeded', TOO_LARGE);
    }
    const s = new Sender(CONSTRUCT);
    s.#random = randomOf(internal);
    s.#link = link;
    s.#credential = credentialJson ?? null;
    s.#deferred = !credentialJson;
    s.#cid = await channelId(link.receiverPublicKey);
    return s;
  }

  get state() { return this.#state; }
  get failure() { return this.#failure; }
  get sas() { return this.#sas; }
  get cid() { return this.#cid; }
  get holdsSecrets() {
    return Boolean(this.#credential || this.#ctx || this.#response || this.#senderNonce);
  }

  get #finished() {
    return this.#state === S.done || this.#state === S.aborted;
  }

  #event(handler) {
    return this.#queue.run(() => (this.#finished ? [] : handler()));
  }

  // The relay paired us with the receiver: draws the ephemeral key, then
  // Ns, and sends HELLO. Valid once, in ready_to_start.
  start() {
    return this.#event(async () => {
      if (this.#state !== S.ready_to_start) return this.#fail(Reason.invalid_event);
      let setup;
      let response;
      try {
        setup = await setupBaseSender(AEAD_ID, this.#link.receiverPublicKey, hpkeInfo(this.#cid), {
          [INJECTED_RANDOM]: this.#random,
        });
        response = await responseAead(setup.context);
      } catch (e) {
        setup?.context.wipe();
        if (isPlatformFailure(e)) this.#failLocally(e);
        return this.#fail(e instanceof HpkeError && e.code === 'low_order_point' ? Reason.bad_key : Reason.bad_message);
      }
      this.#senderNonce = this.#random(NONCE_BYTES);
      const commit = await commitment(this.#cid, setup.enc, this.#senderNonce);
      this.#ctx = setup.context;
      this.#response = response;
      this.#state = S.waiting_for_ready;
      return [sendFrame(makeHello(setup.enc, commit))];
    });
  }

  onFrame(frame) {
    return this.#event(() => {
      switch (frameType(frame)) {
        case MessageType.ready: return this.#handleReady(frame);
        case MessageType.result: return this.#handleResult(frame);
        case MessageType.abort: return this.#handleAbort(frame);
        default: return this.#fail(Reason.unexpected_message); // unknown, or sender-to-receiver
      }
    });
  }

  onPeer(event) {
    return this.#event(() => [peerStatus(event)]);
  }

  onIntrusion() {
    return this.#event(() => this.#fail(Reason.intrusion));
  }

  // credentialJson: J as UTF-8 bytes, given here exactly when the Sender
  // was created without one (taken over and wiped like it); otherwise the
  // pairing ends with invalid_event and nothing is sent.
  onUserConfirmed(credentialJson = null) {
    return this.#event(() => this.#confirm(credentialJson));
  }

  // The application could not turn its late credential into J (a
  // QrloginError limit_exceeded or bad_credential): the pairing ends with
  // bad_credential, kept as it is after READY (this device's own doing, not
  // the peer's; the C++ Sender agrees), its message the detail.
  onCredentialUnusable(error) {
    return this.#event(() => {
      if (this.#state !== S.comparing_codes || !this.#deferred) return this.#fail(Reason.invalid_event);
      return this.#fail(Reason.bad_credential, String(error?.message ?? ''), true, { local: true });
    });
  }

  onUserRejected() {
    return this.#event(() => this.#fail(this.#state === S.comparing_codes ? Reason.sas_mismatch : Reason.user_cancelled));
  }

  onUserTyped(digits, credentialJson = null) {
    return this.#event(() => {
      if (this.#state !== S.comparing_codes) {
        wipe(credentialJson);
        return this.#fail(Reason.invalid_event);
      }
      if (!sasMatches(digits, this.#sas)) {
        wipe(credentialJson);
        return this.#fail(Reason.sas_mismatch);
      }
      return this.#confirm(credentialJson);
    });
  }

  onTimeout() {
    return this.#event(() => this.#fail(Reason.timeout));
  }

  cancel(reason = Reason.user_cancelled) {
    return this.#event(() => this.#fail(reason));
  }

  async #handleReady(frame) {
    if (this.#state !== S.waiting_for_ready) return this.#fail(Reason.unexpected_message);
    if (frame.length !== SEALED_NONCE_FRAME_BYTES) return this.#fail(Reason.bad_message);
    let receiverNonce;
    try {
      receiverNonce = await openFrame(this.#response, frame);
    } catch {
      return this.#fail(Reason.bad_message);
    }
    let reveal;
    try {
      this.#sas = await computeSas(this.#ctx, receiverNonce, this.#senderNonce);
      reveal = await sealFrame(this.#ctx, MessageType.reveal, this.#senderNonce);
    } catch {
      return this.#fail(Reason.bad_message);
    } finally {
      wipe(receiverNonce);
    }
    wipe(this.#senderNonce);
    this.#senderNonce = null;
    this.#state = S.comparing_codes;
    return [sendFrame(reveal), showSas(this.#sas)];
  }

  async #handleResult(frame) {
    if (this.#state !== S.waiting_for_result) return this.#fail(Reason.unexpected_message);
    const opened = await openResult(this.#response, frame);
    if (opened.reason) return this.#fail(opened.reason, '', opened.tellPeer);
    const { result } = opened;
    const actions = [showResult(result.accepted, result.reason)];
    if (result.accepted) {
      actions.push(closeConnection());
      this.#state = S.done;
      this.#wipe();
      return actions;
    }
    return actions.concat(await this.#fail(Reason.rejected, result.reason, false));
  }

  async #handleAbort(frame) {
    if (!this.#response) return this.#fail(Reason.unexpected_message, '', false); // nothing sent yet: not genuine
    const code = await readAbortCode(this.#response, frame);
    // After READY whatever the receiver claims is a possible attack; its code is the detail.
    if (this.#state !== S.waiting_for_ready) return this.#fail(Reason.possible_attack, code, false);
    return this.#fail(code === 'unreadable' ? Reason.peer_aborted : reasonFromPeerCode(code), code, false);
  }

  async #confirm(late) {
    // Exactly one credential: the one given at the start, or the late one.
    if (this.#state !== S.comparing_codes || this.#deferred !== Boolean(late)) {
      wipe(late);
      return this.#fail(Reason.invalid_event);
    }
    if (late) {
      this.#credential = late;
      if (late.length > MAX_CREDENTIAL_JSON_BYTES) return this.#fail(Reason.bad_credential, TOO_LARGE, true, { local: true });
    }
    const sealed = await sealCredential(this.#ctx, this.#credential);
    if (!sealed.frame) return this.#fail(sealed.reason, sealed.detail, true, { local: sealed.local });
    const { frame } = sealed;
    wipe(this.#credential);
    this.#credential = null;
    this.#state = S.waiting_for_result;
    return [sendFrame(frame)];
  }

  // local: the ending is this device's own (its credential), shown as it
  // is even after READY.
  async #fail(reason, detail = '', tellPeer = true, { local = false } = {}) {
    const actions = [];
    if (tellPeer && this.#ctx) {
      try {
        actions.push(sendFrame(await sealFrame(this.#ctx, MessageType.abort, abortBody(reason))));
      } catch {
        // Nothing more to tell: the close follows.
      }
    }
    // Once READY arrived, any ending but the user's own is a possible attack.
    const readyReceived = this.#state === S.comparing_codes || this.#state === S.waiting_for_result;
    const ending = local ? aborted(reason, detail) : abortedShown(reason, detail, readyReceived);
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
    wipe(this.#credential);
    this.#credential = null;
    this.#ctx?.wipe();
    this.#ctx = null;
    this.#response?.wipe();
    this.#response = null;
    wipe(this.#senderNonce);
    this.#senderNonce = null;
  }
}

const CONSTRUCT = Symbol('Sender.create');
const TOO_LARGE = CREDENTIAL_TOO_LARGE;
