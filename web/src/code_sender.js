// The code sender's state machine (sans-IO): the logged-in device on which
// the person typed the code (docs/protocol.md, "Pairing by a typed code").
// Same states, events, actions and reasons as crypto/pairing/code_sender.cpp.
//
//   waiting_for_pake_r --PAKE_R/PAKE_S--> waiting_for_confirm
//   --CONFIRM_R with a valid tag_R/CodeVerified--> confirming
//   --user confirmed/CREDENTIAL--> waiting_for_result --RESULT/ShowResult--> done
//
// One CPace session per machine, and per nameplate: once PAKE_S went out
// and the pairing did not succeed, the driver refuses this nameplate for the
// code lifetime plus grace (pakeSent), so a hostile relay gets one guess per
// code the person typed, not one per retype. Every event returns a Promise
// of actions, handled one at a time in call order.
import { wipe } from './bytes.js';
import { appOrigin, codeChannelId } from './code.js';
import { answerPakeR, checkConfirmR, forgetCodeState } from './code_protocol.js';
import { CodeMessageType } from './constants.js';
import { abortBody, MAX_CREDENTIAL_JSON_BYTES, MessageType, responseAead, sealFrame } from './protocol.js';
import { aborted, abortedShown, closeConnection, codeVerified, peerStatus, sendFrame, showResult } from './actions.js';
import { reasonOfStep } from './code_machine_errors.js';
import { QrloginError, Reason } from './reason.js';
import { CREDENTIAL_TOO_LARGE, openResult, readAbortCode, sealCredential } from './sealed_frames.js';
import { SerialQueue } from './serial.js';

export const CodeSenderState = Object.freeze({
  waiting_for_pake_r: 'waiting_for_pake_r',
  waiting_for_confirm: 'waiting_for_confirm',
  confirming: 'confirming',
  waiting_for_result: 'waiting_for_result',
  done: 'done',
  aborted: 'aborted',
});
const S = CodeSenderState;

// Endings between PAKE_S and a verified CONFIRM_R that keep their own name:
// the user's own, and the machine's misuse or a malformed frame.
const NOT_WRONG_CODE = new Set([Reason.user_cancelled, Reason.invalid_event, Reason.bad_message, Reason.unexpected_message]);

export class CodeSender {
  #internal;
  #queue = new SerialQueue();
  #state = S.waiting_for_pake_r;
  #failure = null;
  #app = '';
  #code = null; // { nameplate, password, code } until PAKE_S
  #nameplate = '';
  #cid = null;
  #credential = null; // J as UTF-8 bytes
  #deferred = false;
  #step = null; // code_protocol.js's sender state (the expected tag_R)
  #ctx = null;
  #response = null;
  #pakeSent = false;
  #peerVerified = false;
  #credentialSent = false;

  constructor(secret) {
    if (secret !== CONSTRUCT) throw new TypeError('use CodeSender.create()');
  }

  // pageUrl: the application's (its origin is bound into the key). code: a
  // typed code as parseTypedCode gives it. credentialJson: J as UTF-8
  // bytes, taken over and wiped when the pairing ends, sent only after the
  // user confirmed; or null to give it at confirmation. Throws OriginError
  // for a page URL that is not http(s), QrloginError limit_exceeded for J
  // over 65536 bytes.
  static async create({ pageUrl, code, credentialJson = null }, internal = {}) {
    const app = appOrigin(pageUrl);
    if (credentialJson && credentialJson.length > MAX_CREDENTIAL_JSON_BYTES) {
      throw new QrloginError('limit_exceeded', CREDENTIAL_TOO_LARGE);
    }
    const s = new CodeSender(CONSTRUCT);
    s.#internal = internal;
    s.#app = app;
    s.#code = code;
    s.#nameplate = code.nameplate;
    s.#cid = await codeChannelId(code.nameplate);
    s.#credential = credentialJson ?? null;
    s.#deferred = !credentialJson;
    return s;
  }

  get cid() { return this.#cid; }
  get nameplate() { return this.#nameplate; }
  get state() { return this.#state; }
  get failure() { return this.#failure; }
  get pakeSent() { return this.#pakeSent; }
  get credentialSent() { return this.#credentialSent; }
  get holdsSecrets() {
    return Boolean(this.#code || this.#credential || this.#step || this.#ctx || this.#response);
  }

  get #finished() {
    return this.#state === S.done || this.#state === S.aborted;
  }

  #event(handler) {
    return this.#queue.run(() => (this.#finished ? [] : handler()));
  }

  onFrame(frame) {
    return this.#event(() => {
      switch (frame.length ? frame[0] : -1) {
        case CodeMessageType.pakeR: return this.#handlePakeR(frame);
        case CodeMessageType.confirmR: return this.#handleConfirmR(frame);
        case MessageType.result: return this.#handleResult(frame);
        case MessageType.abort: return this.#handleAbort(frame);
        default: return this.#fail(Reason.unexpected_message); // QR mode's, or our own: no downgrade
      }
    });
  }

  onPeer(event) {
    return this.#event(() => [peerStatus(event)]);
  }

  // credentialJson: exactly when the sender was created without one.
  onUserConfirmed(credentialJson = null) {
    return this.#event(() => {
      if (this.#state !== S.confirming || this.#deferred !== Boolean(credentialJson)) {
        wipe(credentialJson);
        return this.#fail(Reason.invalid_event);
      }
      if (credentialJson) {
        this.#credential = credentialJson;
        if (credentialJson.length > MAX_CREDENTIAL_JSON_BYTES) {
          return this.#fail(Reason.bad_credential, CREDENTIAL_TOO_LARGE, true, { local: true });
        }
      }
      return this.#sendCredential();
    });
  }

  // The application could not turn its late credential into J: ends with
  // bad_credential, its message the detail (this device's own doing).
  onCredentialUnusable(error) {
    return this.#event(() => {
      if (this.#state !== S.confirming || !this.#deferred) return this.#fail(Reason.invalid_event);
      return this.#fail(Reason.bad_credential, String(error?.message ?? ''), true, { local: true });
    });
  }

  onUserRejected() {
    return this.#event(() => this.#fail(Reason.user_cancelled));
  }

  // Before PAKE_S: no receiver answered (30 s). After it, before CONFIRM_R:
  // wrong_code (mistyped, expired, or someone interfered).
  onTimeout() {
    return this.#event(() => this.#fail(Reason.timeout));
  }

  // The driver ends the pairing. Between PAKE_S and CONFIRM_R any ending
  // but the user's own cancel is wrong_code, at once.
  cancel(reason = Reason.user_cancelled) {
    return this.#event(() => this.#fail(reason));
  }

  async #handlePakeR(frame) {
    if (this.#state !== S.waiting_for_pake_r) return this.#fail(Reason.unexpected_message);
    // y_b, then the HPKE key pair (code_protocol.js draws them in that order).
    let answered;
    let response;
    try {
      answered = await answerPakeR({ password: this.#code.password, app: this.#app, cid: this.#cid }, frame, this.#internal);
      response = await responseAead(answered.context);
    } catch (e) {
      answered?.context.wipe();
      return this.#fail(this.#reasonOf(e));
    }
    this.#step = answered.state;
    this.#ctx = answered.context;
    this.#response = response;
    this.#code = null; // P's last use
    this.#pakeSent = true;
    this.#state = S.waiting_for_confirm;
    return [sendFrame(answered.frame)];
  }

  #handleConfirmR(frame) {
    if (this.#state !== S.waiting_for_confirm) return this.#fail(Reason.unexpected_message);
    try {
      checkConfirmR(this.#step, frame);
    } catch (e) {
      return this.#fail(this.#reasonOf(e));
    }
    this.#step = null;
    this.#peerVerified = true;
    this.#state = S.confirming;
    return [codeVerified()];
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
    // A receiver sends ABORT only after it verified tag_S, which is after it
    // sent CONFIRM_R: before that, it is not genuine.
    if (!this.#peerVerified) return this.#fail(Reason.unexpected_message, '', false);
    return this.#fail(Reason.possible_attack, await readAbortCode(this.#response, frame), false);
  }

  async #sendCredential() {
    const sealed = await sealCredential(this.#ctx, this.#credential);
    if (!sealed.frame) return this.#fail(sealed.reason, sealed.detail, true, { local: sealed.local });
    wipe(this.#credential);
    this.#credential = null;
    this.#credentialSent = true;
    this.#state = S.waiting_for_result;
    return [sendFrame(sealed.frame)];
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

  // local: the ending is this device's own (its credential), shown as it is.
  async #fail(reason, detail = '', tellPeer = true, { local = false } = {}) {
    // Between PAKE_S and a verified CONFIRM_R every ending but the user's
    // own means the code was not accepted.
    let shownReason = reason;
    let shownDetail = detail;
    if (this.#pakeSent && !this.#peerVerified && !NOT_WRONG_CODE.has(reason)) {
      if (!shownDetail && reason !== Reason.wrong_code) shownDetail = reason;
      shownReason = Reason.wrong_code;
    }
    const actions = [];
    // Only a side that verified its peer's tag sends ABORT.
    if (tellPeer && this.#peerVerified && this.#ctx) {
      try {
        actions.push(sendFrame(await sealFrame(this.#ctx, MessageType.abort, abortBody(shownReason))));
      } catch {
        // Nothing more to tell: the close follows.
      }
    }
    const ending = local ? aborted(shownReason, shownDetail) : abortedShown(shownReason, shownDetail, this.#pakeSent);
    actions.push(ending, closeConnection());
    this.#state = S.aborted;
    this.#failure = ending.reason;
    this.#wipe();
    return actions;
  }

  #wipe() {
    this.#code = null;
    wipe(this.#credential);
    this.#credential = null;
    if (this.#step) forgetCodeState(this.#step);
    this.#step = null;
    this.#ctx?.wipe();
    this.#ctx = null;
    this.#response?.wipe();
    this.#response = null;
  }
}

const CONSTRUCT = Symbol('CodeSender.create');
