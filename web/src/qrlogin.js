// qrlogin's browser API: log a new device in with a QR code, end to end
// encrypted through a blind relay. Plain ES module on WebCrypto; no
// runtime dependency but @noble/curves (ristretto255, for the typed code's
// CPace). See docs/js-api.md and README.md.
//
//   startReceiver({ relay, page, onLink, onSas, onCredential, onStatus, autoAccept })
//     -> { confirm(), reject(), cancel(), typed(digits), done }
//   startSender(link, credential | null, { label, onSas, onResult, onStatus })
//     -> { confirm(credential?), reject(), cancel(), typed(digits, credential?), done }
//   linkChannelId(link) -> Promise<cid>
//   startCodeReceiver({ page, relay, onCode, onVerified, onAccept, onCredential, onStatus, signal })
//     -> { cancel(), done }
//   startCodeSender(typed, credential | null, { page, relay, label, onVerified, onResult, onStatus, signal, spent })
//     -> { confirm(credential?), reject(), cancel(), done }
//
// `done` resolves when the pairing succeeded and rejects with a QrloginError
// whose `code` is one of the stable Reason codes (reason.js).
import { assertSecureContext, assertX25519, checkSupport } from './features.js';
import { LinkError, parseLink, relayUrlForPage } from './link.js';
import { senderCredentialJson } from './credential.js';
import { channelId } from './protocol.js';
import { QrloginError, Reason } from './reason.js';
import { Receiver } from './receiver.js';
import { Sender } from './sender.js';
import { PairingSession } from './session.js';
import { wipe } from './bytes.js';
import { storeCredential, withLateCredential } from './code_pairing.js';

export { checkSupport, QrloginError, Reason };
export { DEFAULT_CODE_TIMEOUTS, spentNameplatesIn, startCodeReceiver, startCodeSender } from './code_pairing.js';

const SECOND = 1000;
// How long each step may take (the machine's state -> ms). The channel's
// own lifetime (from the relay's `joined`) bounds the whole pairing too.
export const DEFAULT_TIMEOUTS = Object.freeze({
  waiting_for_reveal: 30 * SECOND, // after READY: then it is a possible attack
  waiting_for_ready: 30 * SECOND,
  comparing_codes: 180 * SECOND, // people compare the codes
  waiting_for_result: 180 * SECOND, // the receiver's person confirms too
});

function safeCall(callback, ...args) {
  try {
    callback?.(...args);
  } catch {
    // An application callback must not break the pairing.
  }
}

// The handle both start functions return. Events wait until the machine
// exists; a cancel before that ends the pairing as soon as it starts.
function makeHandle(sessionReady, failedEarly) {
  const run = (event) => sessionReady.then((session) => session?.event(event));
  const done = sessionReady.then((session) => (session ? session.done : failedEarly()));
  done.catch(() => {});
  return {
    confirm: () => run((m) => m.onUserConfirmed()),
    reject: () => run((m) => m.onUserRejected()),
    typed: (digits) => run((m) => m.onUserTyped(digits)),
    cancel: () => run((m) => m.cancel(Reason.user_cancelled)),
    done,
  };
}

/**
 * The channel id of a pairing link (base64url, 22 characters): what the
 * receiver registered with its application, so the sender's page can ask
 * the application about it before its person confirms. Rejects with
 * QrloginError('bad_link') when the link is not a valid v1 link.
 */
export async function linkChannelId(link) {
  let parsed;
  try {
    parsed = parseLink(String(link));
  } catch (e) {
    throw linkFailure(e);
  }
  return (await channelId(parsed.receiverPublicKey)).text;
}

// A link that is refused, or cannot be made, is bad_link; its own code
// (link.js: no_key, page_insecure, relay_duplicate, ...) is the detail.
const linkFailure = (e) => new QrloginError('bad_link', e.message, e.code);

async function prepare(create, onStatus) {
  try {
    await assertX25519();
    return { machine: await create() };
  } catch (e) {
    let error;
    if (e instanceof QrloginError) error = e;
    else if (e instanceof LinkError) error = linkFailure(e);
    else error = new QrloginError(e?.code ?? 'invalid_event', e?.message ?? String(e));
    safeCall(onStatus, { status: 'failed', error });
    return { error };
  }
}

/**
 * Starts the device that shows the QR code and receives the credential.
 *
 * relay: the relay's ws(s):// URL; default: derived from `page` (https -> wss).
 * page: the sender page's URL that the link (and so the QR code) points at.
 * onLink(link, { expiresInMs, cid }): show `link` as a QR code; called once the
 *   relay holds the channel, which expires expiresInMs later (a new QR is then
 *   needed). cid: the channel id (base64url), e.g. to register with the
 *   application before the QR code is shown.
 * onSas(code): show the code ("123 456") for the people to compare.
 * onCredential({ text, isString, label }): store it; return (or resolve to)
 *   true to accept, false or { accepted: false, reason } to refuse. Called
 *   only after confirm() (or at once with autoAccept).
 * onStatus({ status, ... }): progress and failures (status 'failed' with `error`).
 * autoAccept: skip this side's confirmation. The code is still shown, for
 *   the sender's person. Risk: anyone who holds the QR code can push their
 *   own credential into this device (login CSRF). Off by default.
 */
export function startReceiver({
  relay = '', page, onLink, onSas, onCredential, onStatus, autoAccept = false,
  WebSocket = globalThis.WebSocket, timeouts = DEFAULT_TIMEOUTS,
} = {}) {
  assertSecureContext();
  if (typeof onCredential !== 'function') throw new TypeError('startReceiver needs an onCredential callback');
  if (typeof onLink !== 'function') throw new TypeError('startReceiver needs an onLink callback');
  let outcome = {};
  let linkShown = false;
  let failure = null;

  const sessionReady = prepare(() => Receiver.create({ pageUrl: page, relayUrl: relay, autoAccept }), onStatus)
    .then(({ machine, error }) => {
      if (error) {
        failure = error;
        return null;
      }
      const session = new PairingSession({
        machine,
        relayUrl: relay || relayUrlForPage(page),
        cid: machine.cid.text,
        role: 'receiver',
        WebSocket,
        timeouts,
        callbacks: {
          onStatus,
          outcome: () => outcome,
          onJoined: (info) => {
            if (linkShown) return; // a resume: the same QR code stays valid
            linkShown = true;
            // expiresInMs: the channel's remaining lifetime, for a countdown.
            safeCall(onLink, machine.link, { expiresInMs: info.expiresInMs, cid: machine.cid.text });
            safeCall(onStatus, { status: 'waiting_for_peer' });
          },
          onAction: (action) => {
            if (action.kind === 'ShowSas') {
              safeCall(onSas, action.code);
              safeCall(onStatus, { status: 'comparing_codes' });
            } else if (action.kind === 'PeerStatus') {
              safeCall(onStatus, { status: `peer_${action.event}` });
            } else if (action.kind === 'DeliverCredential') {
              deliver(session, action.credential);
            }
          },
        },
      });
      session.start();
      return session;
    });

  async function deliver(session, credential) {
    safeCall(onStatus, { status: 'delivering' });
    const { accepted, reason } = await storeCredential(onCredential, credential);
    outcome = accepted ? { accepted } : { accepted, reason };
    await session.event((m) => m.onCredentialHandled(accepted, reason));
  }

  return makeHandle(sessionReady, () => Promise.reject(failure));
}

/**
 * Starts the device that is logged in and sends its credential.
 *
 * link: the text of the QR code. Throws QrloginError('bad_link') when it is
 *   not a valid qrlogin v1 link, or (in a browser) when its page is on
 *   another origin than this page (allowOtherOrigin: true lifts that).
 * credential: a string (sent as that exact text) or any JSON value; or null
 *   (or undefined) to give it only at confirm(credential) / typed(digits,
 *   credential), once the person confirmed the code (a grant minted then).
 *   Throws QrloginError('limit_exceeded') over 65536 bytes of JSON. Exactly
 *   one credential: a deferred sender confirmed without one, or a sender
 *   given one at the start and another at confirmation, ends with
 *   invalid_event and sends nothing; a late credential that is too large or
 *   not sendable ends it with bad_credential (its message says which).
 * label: an optional name for this device, shown by the receiver.
 * onSas(code): show the code; the person then calls confirm() or reject().
 * onResult({ accepted, reason }): the receiver's answer.
 * onStatus({ status, ... }): progress and failures.
 */
export function startSender(link, credential, {
  label = '', onSas, onResult, onStatus, allowOtherOrigin = false,
  WebSocket = globalThis.WebSocket, timeouts = DEFAULT_TIMEOUTS,
} = {}) {
  assertSecureContext();
  let parsed;
  try {
    parsed = parseLink(String(link));
  } catch (e) {
    throw linkFailure(e);
  }
  // In a browser the link must be for this page's own origin. An opaque
  // origin ("null": a sandboxed frame, a file) matches none, so it cannot
  // tell: refused too, unless the application says otherwise.
  const here = globalThis.location?.origin;
  const linkOrigin = parsed.pageOrigin;
  if (here !== undefined && !allowOtherOrigin && (here === 'null' || linkOrigin !== here)) {
    throw new QrloginError('bad_link', here === 'null'
      ? 'this page has no origin of its own (a sandboxed frame or a local file), so it cannot check that this code was made for it; open it from the application\'s own page'
      : `this code is for another site (${linkOrigin}); it was not made for this page`);
  }
  const deferred = credential === null || credential === undefined;
  const j = deferred ? null : senderCredentialJson(credential, label);
  let failure = null;

  const sessionReady = prepare(() => Sender.create(parsed, j), onStatus).then(({ machine, error }) => {
    if (error) {
      wipe(j);
      failure = error;
      return null;
    }
    // One HELLO per scan: `joined` with the peer there, `peer joined` or
    // `peer back` may each come first, and some come again after a resume.
    let started = false;
    const startOnce = () => {
      if (started) return;
      started = true;
      session.event((m) => m.start());
    };
    const session = new PairingSession({
      machine,
      relayUrl: parsed.relayUrl,
      cid: machine.cid.text,
      role: 'sender',
      WebSocket,
      timeouts,
      callbacks: {
        onStatus,
        outcome: () => ({ accepted: true }),
        onJoined: (info) => {
          if (info.peer) startOnce();
          else if (info.received === null) safeCall(onStatus, { status: 'waiting_for_peer' });
        },
        onAction: (action) => {
          if (action.kind === 'ShowSas') {
            safeCall(onSas, action.code);
            safeCall(onStatus, { status: 'comparing_codes' });
          } else if (action.kind === 'ShowResult') {
            safeCall(onResult, { accepted: action.accepted, reason: action.reason });
          } else if (action.kind === 'PeerStatus') {
            safeCall(onStatus, { status: `peer_${action.event}` });
            if (action.event !== 'left') startOnce();
          }
        },
      },
    });
    session.start();
    return session;
  });

  const handle = makeHandle(sessionReady, () => Promise.reject(failure));
  const run = (event) => sessionReady.then((session) => session?.event(event));
  const withLate = withLateCredential(run, label);
  return {
    ...handle,
    confirm: (late) => withLate(late, (m, lateJ) => m.onUserConfirmed(lateJ)),
    typed: (digits, late) => withLate(late, (m, lateJ) => m.onUserTyped(digits, lateJ)),
  };
}
