// The drivers of the code mode (docs/protocol.md, "Pairing by a typed
// code"): startCodeReceiver shows a code and rotates it, startCodeSender
// takes what the person typed. Each runs the code machines over a code
// channel (PairingSession with kind=code), exported by qrlogin.js.
import { wipe } from './bytes.js';
import { CodeEntryError, parseTypedCode } from './code.js';
import { CodeAttempts, CodeReceiver } from './code_receiver.js';
import { CodeSender } from './code_sender.js';
import { senderCredentialJson } from './credential.js';
import { assertSecureContext, assertX25519 } from './features.js';
import { relayUrlForPage } from './link.js';
import { QrloginError, Reason } from './reason.js';
import { PairingSession } from './session.js';

const SECOND = 1000;
// How long each step may take (the machine's state -> ms). The receiver's
// waiting_for_sender timer runs only once a sender joined its channel: an
// unused code waits for the channel's lifetime, then a fresh one is shown.
export const DEFAULT_CODE_TIMEOUTS = Object.freeze({
  waiting_for_sender: 30 * SECOND, // receiver: PAKE_S, after a sender joined
  waiting_for_pake_r: 30 * SECOND, // sender: PAKE_R, once joined
  waiting_for_confirm: 30 * SECOND, // sender: CONFIRM_R, after PAKE_S
  confirming: 180 * SECOND, // the sender's person confirms sending
  waiting_for_credential: 180 * SECOND, // the receiver waits for that
  asking: 180 * SECOND, // the receiver's person accepts the login
  waiting_for_result: 180 * SECOND,
});

// A receiver that hears `taken` draws another code, at most this many times.
export const TAKEN_RETRIES = 5;
// How long a sender refuses a nameplate it spent: the code channel's
// lifetime plus the resume grace (contract: a cid is remembered that long).
export const SPENT_NAMEPLATE_MS = (5 * 60 + 30) * SECOND;

function safeCall(callback, ...args) {
  try {
    return callback?.(...args);
  } catch {
    return undefined; // an application callback must not break the pairing
  }
}

function asQrloginError(e) {
  if (e instanceof QrloginError) return e;
  if (e instanceof CodeEntryError) return new QrloginError(e.code, e.message);
  return new QrloginError(e?.code ?? 'internal', e?.message ?? String(e));
}

/**
 * Starts the new device's side: shows a code instead of a QR code.
 *
 * page: the application's page URL; its origin is bound into the code's key
 *   (in a browser: location.href). relay: the relay's URL, default derived
 *   from page.
 * onCode({ digits, display, spoken }, { expiresInMs, failures, previous }):
 *   show this code (display large, spoken as its accessible label); called
 *   again with a fresh code after every ending that does not stop the
 *   receiver (previous: that ending's QrloginError, or null) and when an
 *   unused code expires.
 * onVerified(): a sender proved it has the code (before any credential).
 * onAccept({ label }) -> boolean | Promise<boolean>: ask the person, as a
 *   deliberate act, whether to accept a login from `label` (untrusted).
 *   There is no auto-accept in code mode.
 * onCredential(credential): store it, as for startReceiver.
 * onStatus: progress and failures. signal: an AbortSignal that cancels.
 * Returns { cancel(), done }; done resolves with { accepted, reason? } or
 * rejects with a QrloginError: too_many_attempts after three failed codes,
 * unavailable when the relay cannot give a code channel, user_cancelled, ...
 */
export function startCodeReceiver({
  page = globalThis.location?.href, relay = '', onCode, onVerified, onAccept, onCredential, onStatus, signal,
  WebSocket = globalThis.WebSocket, timeouts = DEFAULT_CODE_TIMEOUTS,
} = {}) {
  assertSecureContext();
  for (const [name, f] of [['onCode', onCode], ['onAccept', onAccept], ['onCredential', onCredential]]) {
    if (typeof f !== 'function') throw new TypeError(`startCodeReceiver needs an ${name} callback`);
  }
  const attempts = new CodeAttempts();
  let current = null; // { machine, session }
  let cancelled = false;
  let resolveDone;
  let rejectDone;
  const done = new Promise((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => {});

  const fail = (error) => {
    safeCall(onStatus, { status: 'failed', error });
    rejectDone(error);
  };

  async function nextCode(previous, takenTries) {
    let machine;
    try {
      await assertX25519();
      machine = await CodeReceiver.create({ pageUrl: page });
    } catch (e) {
      fail(asQrloginError(e));
      return;
    }
    if (cancelled) {
      fail(new QrloginError(Reason.user_cancelled));
      return;
    }
    let taken = false;
    let announced = false;
    let outcome = {};
    let pakeTimer = null;
    const armPakeTimer = () => {
      if (pakeTimer || !timeouts.waiting_for_sender) return;
      pakeTimer = setTimeout(() => session.event((m) => (m.state === 'waiting_for_sender' ? m.onTimeout() : [])),
        timeouts.waiting_for_sender);
    };
    const { waiting_for_sender: _, ...stepTimeouts } = timeouts;
    const session = new PairingSession({
      machine,
      relayUrl: relay || relayUrlForPage(page),
      cid: machine.cid.text,
      role: 'receiver',
      kind: 'code',
      WebSocket,
      timeouts: stepTimeouts,
      callbacks: {
        onStatus: (status) => {
          if (status.status !== 'failed' && status.status !== 'done') safeCall(onStatus, status);
        },
        outcome: () => outcome,
        onRelayEnd: (end) => {
          if (end.reason === 'relay' && end.code === 'taken') taken = true;
          return undefined;
        },
        onJoined: (info) => {
          if (info.peer) armPakeTimer();
          if (announced) return; // a resume: the same code stays shown
          announced = true;
          session.event((m) => m.start());
          safeCall(onCode, machine.code, { expiresInMs: info.expiresInMs, failures: attempts.failures, previous });
          safeCall(onStatus, { status: 'waiting_for_peer' });
        },
        onAction: (action) => {
          if (action.kind === 'PeerStatus') {
            safeCall(onStatus, { status: `peer_${action.event}` });
            if (action.event !== 'left') armPakeTimer();
          } else if (action.kind === 'CodeVerified') {
            clearTimeout(pakeTimer);
            safeCall(onVerified);
            safeCall(onStatus, { status: 'code_verified' });
          } else if (action.kind === 'AskToAccept') {
            ask(session, action.label);
          } else if (action.kind === 'DeliverCredential') {
            deliver(session, action.credential, (o) => { outcome = o; });
          }
        },
      },
    });
    current = { machine, session };
    session.start();
    try {
      const value = await session.done;
      clearTimeout(pakeTimer);
      attempts.reset();
      safeCall(onStatus, { status: 'done', ...value });
      resolveDone(value);
    } catch (error) {
      clearTimeout(pakeTimer);
      if (cancelled || machine.cancelledByUser) {
        fail(error);
      } else if (taken) {
        if (takenTries + 1 >= TAKEN_RETRIES) {
          fail(new QrloginError('unavailable', undefined, `relay: taken ${TAKEN_RETRIES} times`));
        } else {
          nextCode(previous, takenTries + 1);
        }
      } else if (attempts.record(machine)) {
        fail(new QrloginError(Reason.too_many_attempts, undefined, error.code));
      } else if (machine.senderSeen || error.code === Reason.expired) {
        // A failed attempt, or an unused code that expired: a fresh code.
        if (machine.senderSeen) safeCall(onStatus, { status: 'attempt_failed', error, failures: attempts.failures });
        nextCode(machine.senderSeen ? error : null, 0);
      } else {
        fail(error); // the relay or this device failed before any sender came
      }
    }
  }

  async function deliver(session, credential, setOutcome) {
    safeCall(onStatus, { status: 'delivering' });
    const { accepted, reason } = await storeCredential(onCredential, credential);
    setOutcome(accepted ? { accepted } : { accepted, reason });
    await session.event((m) => m.onCredentialHandled(accepted, reason));
  }

  async function ask(session, label) {
    safeCall(onStatus, { status: 'asking' });
    let yes = false;
    try {
      yes = (await onAccept({ label })) === true;
    } catch {
      yes = false;
    }
    await session.event((m) => (yes ? m.onUserConfirmed() : m.onUserRejected()));
  }

  const cancel = () => {
    cancelled = true;
    return current?.session.event((m) => m.cancel(Reason.user_cancelled));
  };
  if (signal) {
    if (signal.aborted) cancelled = true;
    else signal.addEventListener('abort', cancel, { once: true });
  }
  safeCall(onStatus, { status: 'connecting' });
  nextCode(null, 0);
  return { cancel: async () => { await cancel(); }, done };
}

// Hands a delivered credential to the application's onCredential and
// reads its answer: true (or nothing) accepts; false or { accepted: false,
// reason } refuses. The credential's bytes are wiped afterwards.
export async function storeCredential(onCredential, credential) {
  try {
    const answer = await onCredential({ text: credential.text, isString: credential.isString, label: credential.label });
    const accepted = answer === undefined || answer === true || answer?.accepted === true;
    if (accepted) return { accepted, reason: '' };
    return { accepted, reason: typeof answer?.reason === 'string' ? answer.reason : 'refused' };
  } catch {
    return { accepted: false, reason: 'the application failed to store the credential' };
  } finally {
    wipe(credential.bytes);
  }
}

// The nameplates this page spent (PAKE_S went out for them): nameplate ->
// until (ms since the epoch). In memory by default; spentNameplatesIn keeps
// them in a Storage (sessionStorage) so a reload does not forget them.
class SpentNameplates {
  #entries = new Map();
  #load;
  #save;

  constructor(load = () => [], save = () => {}) {
    this.#load = load;
    this.#save = save;
  }

  #current(now) {
    for (const [nameplate, until] of this.#load()) {
      if (!this.#entries.has(nameplate) || this.#entries.get(nameplate) < until) this.#entries.set(nameplate, until);
    }
    for (const [nameplate, until] of this.#entries) if (until <= now) this.#entries.delete(nameplate);
    return this.#entries;
  }

  has(nameplate, now = Date.now()) {
    return this.#current(now).has(nameplate);
  }

  add(nameplate, until, now = Date.now()) {
    const entries = this.#current(now);
    entries.set(nameplate, Math.max(until, entries.get(nameplate) ?? 0));
    try {
      this.#save([...entries]);
    } catch {
      // A full or unavailable storage: memory still refuses it.
    }
  }
}

const pageSpent = new SpentNameplates();

/**
 * A spent-nameplate store kept in `storage` (e.g. sessionStorage) under
 * `key`, for startCodeSender's `spent` option: a reload of the page still
 * refuses a code it already tried. Only nameplates (public) are stored.
 */
export function spentNameplatesIn(storage, key = 'qrlogin.spent-codes') {
  const load = () => {
    try {
      const list = JSON.parse(storage.getItem(key) ?? '[]');
      return Array.isArray(list) ? list.filter((e) => Array.isArray(e) && typeof e[0] === 'string' && Number.isFinite(e[1])) : [];
    } catch {
      return [];
    }
  };
  return new SpentNameplates(load, (entries) => storage.setItem(key, JSON.stringify(entries)));
}

const NO_SUCH_CODE = 'no device shows this code now: check the code, or show a new one on the new device';

// What a sender's confirm() does with a credential given late: it becomes J
// at once, with the start's checks (a bad one is the machine's
// onCredentialUnusable); the machine takes J over and wipes it however the
// pairing ends, and so does this when the pairing never started. `run`
// hands an event to the session's machine.
export function withLateCredential(run, label) {
  return (late, event) => {
    if (late === null || late === undefined) return run((m) => event(m, null));
    let lateJ;
    try {
      lateJ = senderCredentialJson(late, label);
    } catch (e) {
      return run((m) => m.onCredentialUnusable(e));
    }
    return run((m) => event(m, lateJ)).finally(() => wipe(lateJ));
  };
}

/**
 * Starts the logged-in device's side with the code its person typed.
 *
 * typed: what the person typed or pasted. Throws a QrloginError before
 *   anything is sent: code_chars, code_length, code_check (a typo: no guess
 *   spent), or code_spent (this page already tried this code: one guess per
 *   code, so a relay cannot get a second one by asking for a retype).
 * credential: as for startSender (a string, a JSON value, or null to give
 *   it at confirm()).
 * page: the application's page URL (its origin is bound into the code's
 *   key; in a browser location.href). relay: default derived from page.
 * onVerified(): the new device proved it shows this code; ask the person to
 *   confirm sending, then call confirm() or reject().
 * onResult({ accepted, reason }), onStatus, signal, timeouts: as for startSender.
 * spent: where spent codes are remembered (default: this page's memory;
 *   spentNameplatesIn(sessionStorage) survives a reload).
 * done rejects with code_in_use (someone else entered this code first),
 * expired (no device shows this code now), wrong_code (not accepted), ...
 */
export function startCodeSender(typed, credential, {
  page = globalThis.location?.href, relay = '', label = '', onVerified, onResult, onStatus, signal, spent = pageSpent,
  WebSocket = globalThis.WebSocket, timeouts = DEFAULT_CODE_TIMEOUTS,
} = {}) {
  assertSecureContext();
  let code;
  try {
    code = parseTypedCode(typed);
  } catch (e) {
    throw asQrloginError(e);
  }
  if (spent.has(code.nameplate)) {
    throw new QrloginError('code_spent', 'this code was already tried on this device: show a new code on the new device');
  }
  const deferred = credential === null || credential === undefined;
  const j = deferred ? null : senderCredentialJson(credential, label);
  let failure = null;
  const markSpent = (machine) => {
    if (machine.pakeSent) spent.add(machine.nameplate, Date.now() + SPENT_NAMEPLATE_MS);
  };

  const sessionReady = (async () => {
    let machine;
    try {
      await assertX25519();
      machine = await CodeSender.create({ pageUrl: page, code, credentialJson: j });
    } catch (e) {
      wipe(j);
      failure = asQrloginError(e);
      safeCall(onStatus, { status: 'failed', error: failure });
      return null;
    }
    let joined = false;
    const session = new PairingSession({
      machine,
      relayUrl: relay || relayUrlForPage(page),
      cid: machine.cid.text,
      role: 'sender',
      kind: 'code',
      WebSocket,
      timeouts,
      callbacks: {
        onStatus,
        outcome: () => ({ accepted: true }),
        onRelayEnd: (end) => {
          if (end.reason !== 'relay') return undefined;
          if (end.code === 'channel_full') return { reason: Reason.code_in_use, detail: 'relay: channel_full' };
          if (end.code === 'expired') return { reason: Reason.expired, detail: 'relay: expired', message: NO_SUCH_CODE };
          return undefined;
        },
        onJoined: () => {
          if (joined) return;
          joined = true;
          session.watch(); // PAKE_R is due now: the receiver sent it when it joined
        },
        onAction: (action) => {
          if (action.kind === 'CodeVerified') {
            markSpent(machine);
            safeCall(onVerified);
            safeCall(onStatus, { status: 'code_verified' });
          } else if (action.kind === 'ShowResult') {
            safeCall(onResult, { accepted: action.accepted, reason: action.reason });
          } else if (action.kind === 'PeerStatus') {
            safeCall(onStatus, { status: `peer_${action.event}` });
          }
        },
      },
    });
    session.done.then(() => markSpent(machine), () => markSpent(machine));
    session.start();
    return session;
  })();

  const run = (event) => sessionReady.then((session) => session?.event(event));
  const done = sessionReady.then((session) => (session ? session.done : Promise.reject(failure)));
  done.catch(() => {});
  const withLate = withLateCredential(run, label);
  const cancel = () => run((m) => m.cancel(Reason.user_cancelled));
  if (signal) {
    if (signal.aborted) cancel();
    else signal.addEventListener('abort', cancel, { once: true });
  }
  return {
    confirm: (late) => withLate(late, (m, lateJ) => m.onUserConfirmed(lateJ)),
    reject: () => run((m) => m.onUserRejected()),
    cancel,
    done,
  };
}
