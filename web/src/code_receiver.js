// The code receiver's state machine (sans-IO): the new device, which shows a
// typed code instead of a QR code (docs/protocol.md, "Pairing by a typed
// code"). Same states, events, actions and reasons as
// crypto/pairing/code_receiver.cpp. One machine is one code: after any
// ending its driver makes a new one (a fresh code), counting the endings
// that CodeAttempts says count, and stops after three.
//
//   ready_to_start --start/PAKE_R--> waiting_for_sender
//   --PAKE_S with a valid tag_S/CONFIRM_R+CodeVerified--> waiting_for_credential
//   --CREDENTIAL/AskToAccept--> asking --user confirmed/DeliverCredential-->
//   delivering --onCredentialHandled/RESULT--> done
//
// There is no auto-accept in code mode: pushing a credential needs no sight
// of the code, only a lucky guess. Every event returns a Promise of actions,
// handled one at a time in call order; none after a final state.
import { wipe } from './bytes.js';
import { appOrigin, codeChannelId, codeDisplay, codeSpoken, drawCode } from './code.js';
import { checkPakeS, forgetCodeState, startCodeReceiver } from './code_protocol.js';
import { CodeMessageType } from './constants.js';
import { CpaceError } from './cpace.js';
import { abortBody, MessageType, responseAead, resultBody, sealFrame } from './protocol.js';
import {
  abortedShown, askToAccept, closeConnection, codeVerified, deliverCredential, peerStatus, sendFrame,
} from './actions.js';
import { reasonOfStep } from './code_machine_errors.js';
import { QrloginError, Reason } from './reason.js';
import { openCredential, readAbortCode } from './sealed_frames.js';
import { SerialQueue } from './serial.js';

export const CodeReceiverState = Object.freeze({
  ready_to_start: 'ready_to_start',
  waiting_for_sender: 'waiting_for_sender',
  waiting_for_credential: 'waiting_for_credential',
  asking: 'asking',
  delivering: 'delivering',
  done: 'done',
  aborted: 'aborted',
});
const S = CodeReceiverState;

// A generator or Ya that is the identity (probability ~2^-250) means a fresh code.
const SHARE_ATTEMPTS = 4;

export class CodeReceiver {
  #queue = new SerialQueue();
  #state = S.ready_to_start;
  #failure = null;
  #senderSeen = false;
  #pakeReceived = false;
  #cancelledByUser = false;
  #code = null; // { digits, display, spoken }
  #nameplate = '';
  #cid = null; // { raw, text }
  #pakeR = null;
  #step = null; // code_protocol.js's receiver state until PAKE_S
  #ctx = null;
  #response = null;
  #heldCredential = null;

  constructor(secret) {
    if (secret !== CONSTRUCT) throw new TypeError('use CodeReceiver.create()');
  }

  // Draws the code (N, then P, each from 4-byte big-endian draws), then skR,
  // sid and y_a, and computes Ya for the application at pageUrl (its origin
  // is bound into the key). Throws OriginError for a page URL that is not
  // http(s).
  static async create({ pageUrl }, internal = {}) {
    const app = appOrigin(pageUrl);
    for (let attempt = 0; attempt < SHARE_ATTEMPTS; attempt += 1) {
      const drawn = drawCode(internal);
      const cid = await codeChannelId(drawn.nameplate);
      let started;
      try {
        started = await startCodeReceiver({ password: drawn.password, app, cid }, internal);
      } catch (e) {
        if (e instanceof CpaceError && e.code === 'identity') continue;
        throw e;
      }
      const r = new CodeReceiver(CONSTRUCT);
      r.#code = Object.freeze({ digits: drawn.code, display: codeDisplay(drawn.code), spoken: codeSpoken(drawn.code) });
      r.#nameplate = drawn.nameplate;
      r.#cid = cid;
      r.#pakeR = started.frame;
      r.#step = started.state;
      return r;
    }
    throw new QrloginError('internal', 'cannot make a CPace share for a fresh code');
  }

  // The code to show; null once a sender proved it, and after any ending.
  get code() { return this.#code; }
  get nameplate() { return this.#nameplate; }
  get cid() { return this.#cid; }
  get state() { return this.#state; }
  get failure() { return this.#failure; }
  // True once a sender joined or any frame arrived: an ending from then on
  // (other than success or the local user's cancel) counts as an attempt.
  get senderSeen() { return this.#senderSeen; }
  get cancelledByUser() { return this.#cancelledByUser; }
  get holdsSecrets() {
    return Boolean(this.#code || this.#step || this.#ctx || this.#response || this.#heldCredential);
  }

  get #finished() {
    return this.#state === S.done || this.#state === S.aborted;
  }

  #event(handler) {
    return this.#queue.run(() => (this.#finished ? [] : handler()));
  }

  // The relay confirmed this receiver's join: sends PAKE_R. Once.
  start() {
    return this.#event(() => {
      if (this.#state !== S.ready_to_start) return this.#fail(Reason.invalid_event);
      this.#state = S.waiting_for_sender;
      return [sendFrame(this.#pakeR)];
    });
  }

  onFrame(frame) {
    return this.#event(() => {
      this.#senderSeen = true;
      switch (frame.length ? frame[0] : -1) {
        case CodeMessageType.pakeS: return this.#handlePakeS(frame);
        case MessageType.credential: return this.#handleCredential(frame);
        case MessageType.abort: return this.#handleAbort(frame);
        default: return this.#fail(Reason.unexpected_message); // QR mode's, or our own: no downgrade
      }
    });
  }

  onPeer(event) {
    return this.#event(() => {
      if (event === 'joined') this.#senderSeen = true;
      return [peerStatus(event)];
    });
  }

  // The user accepted the login AskToAccept asked about (valid in asking).
  onUserConfirmed() {
    return this.#event(() => {
      if (this.#state !== S.asking) return this.#fail(Reason.invalid_event);
      this.#state = S.delivering;
      const credential = this.#heldCredential;
      this.#heldCredential = null;
      return [deliverCredential(credential)];
    });
  }

  // Refusing a login the user did not ask for counts as an attempt; only
  // cancel() by the user does not.
  onUserRejected() {
    return this.#event(() => this.#fail(Reason.user_cancelled));
  }

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

  // Before PAKE_S: the sender took too long (30 s after it joined). After:
  // a possible attack.
  onTimeout() {
    return this.#event(() => this.#fail(Reason.timeout));
  }

  cancel(reason = Reason.user_cancelled) {
    return this.#event(() => {
      if (this.#state === S.delivering && reason === Reason.user_cancelled) return [];
      if (reason === Reason.user_cancelled) this.#cancelledByUser = true;
      return this.#fail(reason);
    });
  }

  async #handlePakeS(frame) {
    // One PAKE_S per code, also across resumes.
    if (this.#state !== S.waiting_for_sender) return this.#fail(Reason.unexpected_message);
    this.#pakeReceived = true;
    let confirmed;
    let response;
    try {
      confirmed = await checkPakeS(this.#step, frame);
      response = await responseAead(confirmed.context);
    } catch (e) {
      confirmed?.context.wipe();
      return this.#fail(this.#reasonOf(e));
    }
    this.#ctx = confirmed.context;
    this.#response = response;
    // The sender proved the code: it, the key pair and y_a are done with.
    this.#forgetCode();
    this.#state = S.waiting_for_credential;
    return [sendFrame(confirmed.frame), codeVerified()];
  }

  async #handleCredential(frame) {
    if (this.#state !== S.waiting_for_credential) return this.#fail(Reason.unexpected_message);
    const opened = await openCredential(this.#ctx, frame);
    if (opened.reason) return this.#fail(opened.reason);
    this.#heldCredential = opened.credential;
    this.#state = S.asking;
    return [askToAccept(opened.credential.label)];
  }

  async #handleAbort(frame) {
    // A sender sends ABORT only after it verified tag_R, so only once there
    // is a context; whatever it claims is shown as a possible attack.
    if (!this.#ctx) return this.#fail(Reason.unexpected_message, '', false);
    return this.#fail(Reason.possible_attack, await readAbortCode(this.#ctx, frame), false);
  }

  #reasonOf(e) {
    try {
      return reasonOfStep(e);
    } catch (local) {
      this.#state = S.aborted;
      this.#wipe();
      throw local;
    }
  }

  async #fail(reason, detail = '', tellPeer = true) {
    const actions = [];
    // Only a side that verified its peer's tag sends ABORT; the response
    // direction exists only then.
    if (tellPeer && this.#response) {
      try {
        actions.push(sendFrame(await sealFrame(this.#response, MessageType.abort, abortBody(reason))));
      } catch {
        // Nothing more to tell: the close follows.
      }
    }
    const ending = abortedShown(reason, detail, this.#pakeReceived);
    actions.push(ending, closeConnection());
    this.#state = S.aborted;
    this.#failure = ending.reason;
    this.#wipe();
    return actions;
  }

  #forgetCode() {
    this.#code = null;
    if (this.#step) forgetCodeState(this.#step);
    this.#step = null;
  }

  #wipe() {
    this.#forgetCode();
    this.#ctx?.wipe();
    this.#ctx = null;
    this.#response?.wipe();
    this.#response = null;
    if (this.#heldCredential) wipe(this.#heldCredential.bytes);
    this.#heldCredential = null;
  }
}

// The receiver's count of failed codes (contract: three endings after a
// sender joined, then stop until the user restarts). It survives rotation
// and expiry; only success or the user's restart resets it.
export class CodeAttempts {
  static LIMIT = 3;
  #failures = 0;

  // Records how a code's machine ended; true when the receiver must stop
  // (too_many_attempts) instead of showing a fresh code.
  record(ended) {
    if (ended.state === S.aborted && ended.senderSeen && !ended.cancelledByUser) this.#failures += 1;
    return this.exhausted;
  }

  reset() { this.#failures = 0; }
  get failures() { return this.#failures; }
  get exhausted() { return this.#failures >= CodeAttempts.LIMIT; }
}

const CONSTRUCT = Symbol('CodeReceiver.create');
