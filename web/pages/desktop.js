// The desktop (receiver) page at /, served by the application: logged in,
// it shows the account and this device with a Log out button; otherwise a
// QR code of a fresh pairing link, registered with the application (POST
// /api/pairings) before it is shown, with its countdown and the code to
// compare. The credential that arrives is the application's single-use
// grant, redeemed (POST /api/redeem) for this device's own session cookie.
// Logged in, it hears the account's notices (notices.js): a new login
// elsewhere, with a Revoke button, and at once when this device itself was
// logged out, which brings a fresh QR code without a reload.
import { startReceiver } from '../src/qrlogin.js';
import { qrSvg } from '../src/qr_render.js';
import { STRINGS } from './strings.js';
import { getJson, onSessionEnded, postJson } from './api.js';
import {
  $, applyStrings, displayText, endingOf, endPassingStatus, keepFocus, renderCode,
  setPassingStatus, setStatus, show, supportOrExplain,
} from './common.js';
import { clearNotices, startNotices, stopNotices } from './notices.js';
import { initTypedCode, stopTypedCode } from './desktop_code.js';

const T = STRINGS.desktop;
// A page left open makes a new code at each expiry, but not forever.
const MAX_AUTO_RENEWALS = 10;

const pairUrl = new URL('/pair', location.origin).href;
let relayUrl = '';
let pairingLifetimeMs = 0; // how long the application keeps a registered cid (/api/config)
let pairing = null; // the current startReceiver handle
// The current code's registration: its cid and the secret that only this
// page holds (in memory only) and presents at redemption.
let registration = null;
let generation = 0; // callbacks of an older pairing are ignored
let autoRenewals = 0;
let countdownTimer = null;
let sessionDevice = null; // this device, while logged in

// "1:05"
function minutesSeconds(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

function stopCountdown() {
  clearInterval(countdownTimer);
  countdownTimer = null;
  show($('countdown-box'), false);
}

function startCountdown(expiresInMs) {
  stopCountdown();
  const endsAt = performance.now() + expiresInMs;
  const text = $('countdown');
  const fill = $('countdown-fill');
  const update = () => {
    const left = endsAt - performance.now();
    text.textContent = left > 0 ? T.expiresIn(minutesSeconds(left)) : T.expiredNow;
    fill.style.transform = `scaleX(${Math.max(0, left / expiresInMs).toFixed(4)})`;
    if (left <= 0) clearInterval(countdownTimer);
  };
  update();
  show($('countdown-box'));
  countdownTimer = setInterval(update, 1000);
}

function clearQr() {
  $('qr-box').replaceChildren();
  $('link-field').value = '';
  show($('phone-warning'), false);
  stopCountdown();
}

function showPanel(name) {
  for (const id of ['pair-panel', 'code-panel', 'done-panel']) show($(id), id === name);
}

const loggedInShown = () => !$('done-panel').hidden;

function isLoopbackHost(host) {
  return host === 'localhost' || host === '[::1]' || /^127\.\d+\.\d+\.\d+$/.test(host);
}

function showLink(link) {
  $('qr-box').replaceChildren(qrSvg(link, { label: T.qrLabel }));
  $('link-field').value = link;
  const host = new URL(link).hostname;
  const warning = $('phone-warning');
  warning.textContent = T.phoneWarning(host);
  show(warning, isLoopbackHost(host));
}

// Starts a fresh pairing: a new key, a new channel, a new QR code.
// `notice` (intrusion, expiry) stays in the status region until a phone connects.
function newPairing(notice = null) {
  sessionDevice = null;
  clearNotices();
  const gen = ++generation;
  const previous = pairing;
  pairing = null;
  registration = null;
  previous?.cancel();
  clearQr();
  show($('new-code'), false);
  showPanel('pair-panel');
  setStatus(notice?.text ?? T.preparing, notice?.tone ?? 'info');
  const current = () => gen === generation;

  let handle;
  try {
    handle = startReceiver({
      relay: relayUrl,
      page: pairUrl,
      onLink: async (link, { expiresInMs, cid } = {}) => {
        if (!current()) return;
        // Registered before anyone can have seen the cid: the application
        // then knows which device asks, and only this page can redeem.
        const answer = await postJson('/api/pairings', { cid });
        if (!current()) return;
        if (!answer.ok) {
          // This code cannot log anyone in: drop it, and say why.
          generation += 1;
          pairing = null;
          handle?.cancel();
          stopped(T.registrationFailed(displayText(answer.message, 120)), 'error');
          return;
        }
        registration = { cid, secret: String(answer.body?.registration_secret ?? '') };
        showLink(link);
        if (expiresInMs) startCountdown(expiresInMs);
        if (!notice) setStatus(T.waiting);
      },
      onSas: (code) => {
        if (!current()) return;
        stopTypedCode(); // this pairing reached its prompt: the code one ends
        renderCode($('code'), code);
        show($('code-actions'));
        showPanel('code-panel');
        setStatus(T.compare(code));
      },
      onStatus: ({ status }) => {
        if (!current()) return;
        if (status === 'peer_joined') {
          autoRenewals = 0;
          clearQr();
          showPanel(null);
          setStatus(T.phoneConnected);
        } else if (status === 'peer_left') {
          setStatus(T.phoneLeft, 'warn');
        } else if (status === 'peer_back') {
          setStatus(T.phoneBack);
        } else if (status === 'delivering') {
          setStatus(T.delivering);
        } else if (status === 'reconnecting') {
          setPassingStatus(STRINGS.common.reconnecting, 'warn');
        } else if (status === 'resumed') {
          endPassingStatus();
        }
      },
      onCredential: ({ text }) => redeem(text),
    });
  } catch (error) {
    failed(error);
    return;
  }
  pairing = handle;
  handle.done.then(
    async ({ accepted, reason } = {}) => {
      if (!current()) return;
      pairing = null;
      registration = null;
      if (!accepted) {
        stopped(T.refused(reason), 'error');
        return;
      }
      await showSession();
    },
    (error) => {
      if (!current()) return;
      pairing = null;
      onPairingFailed(error);
    },
  );
}

function onPairingFailed(error) {
  const code = error?.code ?? 'network';
  const codeShown = !$('code-panel').hidden;
  if (code === 'intrusion') {
    // Someone else holds this QR code: never reuse it; a fresh one at once.
    autoRenewals = 0;
    newPairing({ text: T.intrusion, tone: 'warn' });
    return;
  }
  if ((code === 'expired' || code === 'timeout') && !codeShown) {
    if (autoRenewals >= MAX_AUTO_RENEWALS) {
      stopped(T.expiredStopped, 'info');
      return;
    }
    autoRenewals += 1;
    if (document.hidden) {
      // Nobody is looking: make the next code when the page is seen again.
      stopped(T.expiredStopped, 'info');
      document.addEventListener('visibilitychange', () => {
        if (!document.hidden && !$('new-code').hidden) newPairing({ text: T.expired, tone: 'info' });
      }, { once: true });
      return;
    }
    newPairing({ text: T.expired, tone: 'info' });
    return;
  }
  // After the codes were exchanged: what happened, and that it may have
  // been an attack.
  const { attack, why } = endingOf(error);
  const note = attack ? STRINGS.common.maybeAttack : '';
  if (why === 'network') stopped(T.connectionLost + note, attack ? 'warn' : 'error');
  else if (why === 'expired') stopped(T.expiredStopped + note, 'warn');
  else if (why === 'sas_mismatch') stopped(T.mismatch + note, 'warn');
  else if (why === 'user_cancelled' || why === 'peer_aborted') stopped(T.cancelled + note, 'warn');
  else failed(error);
}

function failed(error) {
  stopped(STRINGS.common.failed(error?.message ?? String(error)), 'error');
}

// The pairing ended without a login: say why and offer a new code.
function stopped(text, tone) {
  clearQr();
  showPanel('pair-panel');
  show($('new-code'));
  setStatus(text, tone);
  keepFocus($('new-code'));
}

// The credential is the application's grant, {"grant", "app"}: redeemed
// with this code's cid and registration secret for this device's own
// session. Anything else is refused, and the reason reaches both screens.
// A sender that sends the grant's JSON as text (the CLI's --credential-file)
// is read the same way: what counts is the redemption.
async function redeem(text, reg = registration) {
  let grant = null;
  try {
    grant = JSON.parse(text);
  } catch {
    grant = null;
  }
  if (!grant || typeof grant.grant !== 'string' || typeof grant.app !== 'string') {
    return { accepted: false, reason: T.notAGrant };
  }
  if (grant.app !== location.origin) return { accepted: false, reason: T.otherApp(displayText(grant.app)) };
  if (!reg) return { accepted: false, reason: T.notRegistered };
  const answer = await postJson('/api/redeem', {
    cid: reg.cid, grant: grant.grant, registration_secret: reg.secret, kind: 'cookie',
  });
  if (answer.status !== 201) return { accepted: false, reason: displayText(answer.message, 90) };
  return true;
}

// The code pairing reached its prompt: the QR one ends, its callbacks ignored.
function endQrPairing() {
  generation += 1;
  const previous = pairing;
  pairing = null;
  registration = null;
  previous?.cancel();
  clearQr();
  showPanel(null);
}

function showLoggedIn(session) {
  stopCountdown();
  stopTypedCode();
  const account = displayText(session?.account?.name) || T.unnamed;
  const device = displayText(session?.device?.name) || T.unnamedDevice;
  $('logged-in-as').textContent = T.loggedInAs(account);
  $('this-device').textContent = T.thisDevice(device);
  showPanel('done-panel');
  setStatus(T.loggedInStatus(account), 'ok');
  keepFocus($('done-heading'));
  sessionDevice = session?.device ?? null;
  startNotices({
    selfId: () => sessionDevice?.id,
    // The stream stopped for this device: /api/session says why (and
    // onSessionEnded shows a fresh code), or that it is still logged in.
    onEnded: () => showSession(),
  });
}

// Asks the application who this browser is: the logged-in view, or (not
// logged in, or logged out elsewhere) a fresh QR code, saying why.
async function showSession() {
  const answer = await getJson('/api/session');
  if (answer.ok) {
    showLoggedIn(answer.body);
    return;
  }
  if (answer.error === 'session_ended') return; // onSessionEnded showed why
  if (answer.status === 401) {
    autoRenewals = 0;
    newPairing();
    return;
  }
  stopped(T.appUnreachable(answer.message), 'error');
}

// This device was logged out (revoked from another device, logged out, or
// idle): say so, and offer a fresh code at once.
function loggedOutElsewhere(message) {
  if (pairing) return; // a pairing under way has no session to lose
  autoRenewals = 0;
  newPairing({ text: T.loggedOutWhy(displayText(message, 120)), tone: 'warn' });
  keepFocus($('page-heading'));
}

async function loadConfig() {
  const answer = await getJson('/api/config');
  if (!answer.ok) {
    stopped(T.appUnreachable(answer.message), 'error');
    show($('new-code'), false);
    return false;
  }
  relayUrl = String(answer.body?.relay ?? '');
  pairingLifetimeMs = Math.max(0, Number(answer.body?.pairing_lifetime) || 0) * 1000;
  if (!relayUrl) {
    showPanel('pair-panel');
    setStatus(T.noRelay, 'error');
    return false;
  }
  return true;
}

function wireControls() {
  $('confirm').addEventListener('click', () => {
    if (!pairing) return;
    show($('code-actions'), false);
    keepFocus($('code-heading'));
    setStatus(T.confirmedWaiting);
    pairing.confirm();
  });
  $('reject').addEventListener('click', () => {
    if (!pairing) return;
    show($('code-actions'), false);
    pairing.reject();
  });
  $('new-code').addEventListener('click', () => {
    autoRenewals = 0;
    newPairing();
    keepFocus($('page-heading'));
  });
  $('log-out').addEventListener('click', async () => {
    // First the stream: its "ended" for this very log-out would start a
    // second fresh code beside the one below.
    stopNotices();
    const answer = await postJson('/api/logout');
    if (!answer.ok && answer.status !== 401) {
      setStatus(T.logOutFailed(answer.message), 'error');
      showSession();
      return;
    }
    autoRenewals = 0;
    newPairing({ text: T.loggedOut, tone: 'info' });
    keepFocus($('page-heading'));
  });
  // Back to this tab: is this device still logged in? (It may have been
  // logged out from the phone meanwhile.)
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden && loggedInShown()) showSession();
  });
  onSessionEnded(loggedOutElsewhere);
  $('copy-link').addEventListener('click', async () => {
    const link = $('link-field').value;
    if (!link) return;
    try {
      await navigator.clipboard.writeText(link);
      setStatus(T.copied);
    } catch {
      $('link-field').select();
    }
  });
  $('link-field').addEventListener('focus', (event) => event.target.select());
  window.addEventListener('pagehide', () => {
    stopNotices();
    pairing?.cancel();
    stopTypedCode();
  });
  // Back from the back/forward cache: the old code was cancelled on the way out.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted) showSession();
  });
}

async function main() {
  applyStrings();
  document.title = T.title;
  if (!(await supportOrExplain())) return;
  wireControls();
  initTypedCode({
    relay: () => relayUrl,
    page: () => pairUrl,
    registrationLifetimeMs: () => pairingLifetimeMs,
    verified: endQrPairing,
    restartQr: () => {
      if (!pairing) newPairing();
    },
    redeem,
    loggedIn: showSession,
    registrationFailed: (message) => setStatus(T.registrationFailed(message), 'error'),
  });
  if (!(await loadConfig())) return;
  await showSession();
}

main();
