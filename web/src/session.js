// Drives one pairing machine (Receiver or Sender) over a RelayClient: carries
// out the machine's actions, turns relay notices into machine events, owns
// the clock (one timer per state) and resumes a cut connection once per cut.
import { RelayClient } from './relay_client.js';
import { QrloginError, Reason, reasonMessage } from './reason.js';

const RESUME_DELAYS_MS = [250, 1000, 2500];

// How a relay error ends a pairing: the Reason code, the relay's code as detail.
function reasonForRelayError(code) {
  if (code === 'expired') return Reason.expired;
  if (code === 'channel_full') return Reason.intrusion;
  return Reason.network;
}

export class PairingSession {
  #machine;
  #relay;
  #callbacks;
  #timeouts;
  #stepTimer = null;
  #expiryTimer = null;
  #resumeAttempt = 0;
  #settled = false;
  #resolve;
  #reject;
  #pendingRelayError = null;
  #lastState = null;
  done;

  // callbacks: { onJoined(info), onAction(action), onStatus(event), outcome() }.
  // onAction is synchronous: the actions of one event are carried out without
  // yielding, so frames leave in the order the machine made them. outcome()
  // is what `done` resolves to once the machine reaches `done`.
  // timeouts: { [machineState]: milliseconds }
  constructor({ machine, relayUrl, cid, role, WebSocket, callbacks, timeouts }) {
    this.#machine = machine;
    this.#callbacks = callbacks;
    this.#timeouts = timeouts;
    this.done = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
    this.done.catch(() => {}); // failures are also reported through onStatus
    this.#relay = new RelayClient({
      relayUrl, cid, role, WebSocket,
      handlers: {
        onJoined: (info) => this.#onJoined(info),
        onPeer: (event) => this.#apply(this.#machine.onPeer(event)),
        onIntrusion: () => this.#apply(this.#machine.onIntrusion()),
        onRelayError: (code, message) => this.#onRelayError(code, message),
        onFrame: (frame) => this.#apply(this.#machine.onFrame(frame)),
        onClose: (close) => this.#onClose(close),
        onProtocolError: (message) => this.#end(Reason.network, message),
      },
    });
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
    this.#resumeAttempt = 0;
    if (info.received !== null) this.#status({ status: 'resumed' });
    // The channel's lifetime counts from its creation; a resume never extends it.
    clearTimeout(this.#expiryTimer);
    this.#expiryTimer = setTimeout(() => this.#apply(this.#machine.onTimeout()), info.expiresInMs);
    this.#callbacks.onJoined?.(info);
  }

  #onRelayError(code, message) {
    // The relay closes the socket next; that close ends the pairing.
    this.#pendingRelayError = { code, message };
  }

  #onClose({ normal }) {
    if (this.#settled) return;
    if (this.#pendingRelayError) {
      const { code, message } = this.#pendingRelayError;
      this.#end(reasonForRelayError(code), `relay: ${code}${message ? ` (${message})` : ''}`);
      return;
    }
    if (!normal && this.#relay.canResume && this.#resumeAttempt < RESUME_DELAYS_MS.length) {
      const delay = RESUME_DELAYS_MS[this.#resumeAttempt++];
      this.#status({ status: 'reconnecting' });
      setTimeout(() => {
        if (!this.#settled) this.#relay.resume();
      }, delay);
      return;
    }
    this.#end(Reason.network, normal ? 'the relay closed the channel' : 'the connection to the relay was lost');
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
      this.#fail(new QrloginError(Reason.invalid_event, `internal error: ${e?.message ?? e}`));
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
      case 'Aborted':
        this.#fail(new QrloginError(action.reason, reasonMessage(action.reason), action.detail || detail));
        return;
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
