// The desktop (receiver) page at /: shows a QR code of a fresh pairing link
// once the relay holds the channel, counts down its lifetime, shows the code
// to compare, and on success keeps a demo session in localStorage.
import { startReceiver } from '../src/qrlogin.js';
import { qrSvg } from '../src/qr_render.js';
import { STRINGS } from './strings.js';
import {
  $, applyStrings, displayText, endingOf, endPassingStatus, keepFocus, loadJson, removeKey, renderCode, saveJson,
  setPassingStatus, setStatus, show, supportOrExplain,
} from './common.js';

const T = STRINGS.desktop;
const SESSION_KEY = 'qrlogin.demo.session';
// A page left open makes a new code at each expiry, but not forever.
const MAX_AUTO_RENEWALS = 10;

let pairUrl = new URL('/pair', location.href).href;
let pairing = null; // the current startReceiver handle
let generation = 0; // callbacks of an older pairing are ignored
let autoRenewals = 0;
let countdownTimer = null;

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
  const gen = ++generation;
  const previous = pairing;
  pairing = null;
  previous?.cancel();
  clearQr();
  show($('new-code'), false);
  showPanel('pair-panel');
  setStatus(notice?.text ?? T.preparing, notice?.tone ?? 'info');
  const current = () => gen === generation;

  let handle;
  try {
    handle = startReceiver({
      page: pairUrl,
      onLink: (link, { expiresInMs } = {}) => {
        if (!current()) return;
        showLink(link);
        if (expiresInMs) startCountdown(expiresInMs);
        if (!notice) setStatus(T.waiting);
      },
      onSas: (code) => {
        if (!current()) return;
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
      onCredential: ({ text, isString, label }) => {
        let user = '';
        if (!isString) {
          try {
            user = JSON.parse(text)?.user ?? '';
          } catch {
            user = '';
          }
        }
        const name = displayText(label) || displayText(typeof user === 'string' ? user : '') || T.unnamed;
        const session = { label: name, credential: text, isString, loggedInAt: new Date().toISOString() };
        return saveJson(SESSION_KEY, session) ? true : { accepted: false, reason: 'the browser refused to store it' };
      },
    });
  } catch (error) {
    failed(error);
    return;
  }
  pairing = handle;
  handle.done.then(
    () => {
      if (!current()) return;
      pairing = null;
      const session = loadJson(SESSION_KEY);
      showLoggedIn(session);
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

function showLoggedIn(session) {
  stopCountdown();
  const label = displayText(session?.label) || T.unnamed;
  $('logged-in-as').textContent = T.loggedInAs(label);
  showPanel('done-panel');
  setStatus(T.loggedInStatus(label), 'ok');
  keepFocus($('done-heading'));
}

async function loadPairUrl() {
  // The relay says where its sender page is (its --public-url); a page
  // opened at another address (localhost) still makes links phones can use.
  try {
    const response = await fetch('/config.json', { cache: 'no-store', credentials: 'omit' });
    if (!response.ok) return;
    const config = await response.json();
    const url = new URL(config.pair_url);
    if (url.protocol === 'https:' || url.protocol === 'http:') pairUrl = url.href;
  } catch {
    // keep this page's own origin
  }
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
  $('log-out').addEventListener('click', () => {
    removeKey(SESSION_KEY);
    autoRenewals = 0;
    newPairing();
    keepFocus($('page-heading'));
  });
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
  window.addEventListener('pagehide', () => pairing?.cancel());
  // Back from the back/forward cache: the old code was cancelled on the way out.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && $('done-panel').hidden) newPairing();
  });
}

async function main() {
  applyStrings();
  document.title = T.title;
  if (!(await supportOrExplain())) return;
  wireControls();
  await loadPairUrl();
  const session = loadJson(SESSION_KEY);
  if (session) showLoggedIn(session);
  else newPairing();
}

main();
