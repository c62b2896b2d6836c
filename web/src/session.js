// Drives one pairing machine (Receiver or Sender) over a RelayClient: carries
// out the machine's actions, turns relay notices into machine events and owns
// the clock (one timer per state, and the channel's lifetime). The
// RelayClient resumes a cut connection by itself; this reports it
// (`reconnecting`, `resumed`) and ends the pairing when it cannot.
import { RelayClient, UNRESTORED_MESSAGE } from './relay_client.js';
import { QrloginError, Reason, reasonMessage } from './reason.js';
import { classifyRelayError } from './relay_errors.js';

// How the end of the relay connection ends a pairing: [Reason code, detail].
// A relay error's code goes in the detail as `relay: <code>`.
export function reasonForEnd(end) {
  switch (end.reason) {
    case 'relay':
      return [classifyRelayError(end.code).reason, `relay: ${end.code}${end.message ? ` (${end.message})` : ''}`];
    case 'closed':
      return [Reason.network, 'the relay closed the channel'];
    case 'unsupported':
      return ['unsupported', end.message];
    default:
      return [Reason.network, end.message || 'the connection to the relay was lost'];
  }
}

export class PairingSession {
  #machine;
  #relay;
  #callbacks;
  #timeouts;
  #stepTimer = null;
  #expiryTimer = null;
  #settled = false;
  #resolve;
  #reject;
  #lastState = null;
  #reconnecting = false; // between `reconnecting` and the resume's `joined`
  #messages = {}; // reason -> the message onRelayEnd gave it
  done;

  // callbacks: { onJoined(info), onAction(action), onStatus(event), outcome() }.
  // onAction is synchronous: the actions of one event are carried out without
  // yielding, so frames leave in the order the machine made them. outcome()
  // is what `done` resolves to once the machine reaches `done`.
  // timeouts: { [machineState]: milliseconds }
  // kind: 'qr' or 'code' (a code channel). callbacks.onRelayEnd(end), when
  // given, may name the ending of a relay end itself: it returns
  // { reason, detail, message } or nothing (then reasonForEnd decides).
  constructor({ machine, relayUrl, cid, role, kind = 'qr', WebSocket, callbacks, timeouts }) {
    this.#machine = machine;
    this.#callbacks = callbacks;
    this.#timeouts = timeouts;
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.done.catch(() => {}); // failures are also reported through onStatus
    this.#relay = new RelayClient({
      relayUrl, cid, role, kind, WebSocket,
      handlers: {
        onJoined: (info) => this.#onJoined(info),
        onPeer: (event) => this.#apply(this.#machine.onPeer(event)),
        // Code channels have no intrusion notice (code machines take none).
        onIntrusion: () => (this.#machine.onIntrusion ? this.#apply(this.#machine.onIntrusion()) : undefined),
        onFrame: (frame) => this.#apply(this.#machine.onFrame(frame)),
        onReconnecting: () => {
          this.#reconnecting = true;
          this.#status({ status: 'reconnecting' });
        },
        onEnd: (end) => this.#onRelayEnd(end),
      },
    });
  }

  #onRelayEnd(end) {
    const named = this.#callbacks.onRelayEnd?.(end);
    if (named) {
      this.#messages[named.reason] = named.message;
      this.#end(named.reason, named.detail ?? '');
    } else {
      this.#end(...reasonForEnd(end));
    }
  }

  // Arms the timer of the machine's current state (a driver that starts a
  // step without an event, e.g. a code sender waiting for PAKE_R once joined).
  watch() {
    this.#rearmOnStateChange();
  }

  get machine() { return this.#machine; }

  start() {
    this.#status({ status: 'connecting' });
    this.#relay.connect();
  }

  // Runs a machine event from the application (confirm, reject, ...).
  event(run) {
    return this.#apply(run(this.#machine));
  }

  #status(event) {
    try {
      this.#callbacks.onStatus?.(event);
    } catch {
      // An application callback must not break the pairing.
    }
  }

  #onJoined(info) {
    this.#reconnecting = false;
    if (info.received !== null) this.#status({ status: 'resumed' });
    // The channel's lifetime counts from its creation; a resume never
    // extends it. The relay ends the channel then too (`expired`).
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = setTimeout(() => this.#onLifetimeOver(), info.expiresInMs);
    this.#callbacks.onJoined?.(info);
  }

  // Still cut off from the relay, we cannot know the code expired, only that
  // the connection did not come back in time (the relay client ends the same
  // way, whichever timer fires first).
  #onLifetimeOver() {
    if (this.#reconnecting) this.#end(Reason.network, UNRESTORED_MESSAGE);
    else this.#end(Reason.expired, "the channel's lifetime is over");
  }

  // Ends the pairing from outside the machine (relay trouble).
  #end(reason, detail) {
    if (this.#settled) return;
    this.#apply(this.#machine.cancel(reason), detail);
  }

  async #apply(pendingActions, detail = '') {
    let actions;
    try {
      actions = await pendingActions;
    } catch (e) {
      // A machine rejects only when this device failed (e.g. its WebCrypto:
      // 'unsupported', 'internal'); that error is reported as it is.
      this.#fail(e instanceof QrloginError ? e : new QrloginError('internal', `internal error: ${e?.message ?? e}`));
      return;
    }
    for (const action of actions) this.#perform(action, detail);
    if (this.#machine.state === 'done') this.#succeed(this.#callbacks.outcome?.() ?? {});
    this.#rearmOnStateChange();
  }

  #perform(action, detail) {
    switch (action.kind) {
      case 'SendFrame':
        this.#relay.send(action.frame);
        return;
      case 'CloseConnection':
        this.#relay.close();
        return;
      case 'Aborted': {
        // The machine's detail (after READY: the precise reason) and the
        // relay's (what the connection said), both when there are both.
        const both = action.detail && detail && action.detail !== detail ? `${action.detail} (${detail})` : '';
        const message = this.#messages[action.reason] ?? reasonMessage(action.reason);
        this.#fail(new QrloginError(action.reason, message, both || action.detail || detail));
        return;
      }
      default:
        try {
          this.#callbacks.onAction(action);
        } catch {
          // An application callback must not break the pairing.
        }
    }
  }

  #rearmOnStateChange() {
    const state = this.#machine.state;
    if (state === this.#lastState || this.#settled) return;
    this.#lastState = state;
    this.#armTimer(this.#timeouts[state]);
  }

  #armTimer(ms) {
    clearTimeout(this.#stepTimer);
    this.#stepTimer = null;
    if (!ms || this.#settled) return;
    this.#stepTimer = setTimeout(() => this.#apply(this.#machine.onTimeout()), ms);
  }

  #stopTimers() {
    clearTimeout(this.#stepTimer);
    clearTimeout(this.#expiryTimer);
  }

  #succeed(value) {
    if (this.#settled) return;
    this.#settled = true;
    this.#stopTimers();
    this.#relay.close();
    this.#status({ status: 'done', ...value });
    this.#resolve(value);
  }

  #fail(error) {
    if (this.#settled) return;
    this.#settled = true;
    this.#stopTimers();
    this.#relay.close();
    this.#status({ status: 'failed', error });
    this.#reject(error);
  }
}
