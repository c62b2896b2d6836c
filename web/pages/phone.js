// The phone (sender) page at /pair: takes the pairing link from the URL
// fragment (and removes it from the address bar and history at once) or from
// its own camera scanner, shows the code to compare, and sends the demo
// account's login only after the person pressed Confirm.
import { startSender } from '../src/qrlogin.js';
import { parseLink } from '../src/link.js';
import { cameraAvailable, startScanner } from '../src/qr_scan.js';
import { STRINGS } from './strings.js';
import {
  $, applyStrings, displayText, endingOf, endPassingStatus, keepFocus, loadJson, randomToken, removeKey, renderCode,
  saveJson, setPassingStatus, setStatus, show, supportOrExplain,
} from './common.js';

const T = STRINGS.phone;
const ACCOUNT_KEY = 'qrlogin.demo.account';

// First of all: the key in the fragment must not stay in the address bar,
// the history or a bookmark. replaceState rewrites the current entry.
const linkFromFragment = takeFragmentLink();

function takeFragmentLink() {
  if (!location.hash || location.hash === '#') return null;
  const link = location.href;
  history.replaceState(history.state, '', location.pathname + location.search);
  return link;
}

let account = null;
let pendingLink = null; // a link that waits for an account to be created
let pairing = null;
let scanner = null;
let lastRefused = null;
let confirmed = false; // this person pressed Confirm (the login was sent)

function showAccount() {
  account = loadJson(ACCOUNT_KEY);
  const name = displayText(account?.name);
  if (!name) account = null;
  $('account-text').textContent = account ? T.accountIs(name) : T.noAccount;
  show($('account-form'), !account);
  // Without an account, creating one comes first; with one, it is a footnote.
  const panel = $('account-panel');
  if (account) panel.parentNode.append(panel);
  else $('scan-panel').before(panel);
  show($('remove-account'), Boolean(account) && !pairing);
  show($('account-panel'));
}

function showScanPanel() {
  for (const id of ['code-panel', 'result-panel']) show($(id), false);
  show($('scan-panel'));
  const hasCamera = cameraAvailable();
  show($('camera-toggle'), hasCamera);
  if (!hasCamera && !lastRefused) setStatus(T.noCamera, 'warn');
}

// Checks a link (from the fragment, the scanner or the paste field). Returns
// an error message, or null when it is a v1 link for this very site.
function refusal(link, fromScanner) {
  let parsed;
  try {
    parsed = parseLink(String(link));
  } catch (e) {
    if (fromScanner && !String(link).includes('#v1.')) return T.notQrlogin;
    return T.badLink(e.message);
  }
  const origin = parsed.pageOrigin;
  // Trusted code: only this origin's page may handle the login.
  if (origin !== location.origin) return T.otherSite(origin, location.host);
  return null;
}

function useLink(link, fromScanner = false) {
  if (pairing) return false;
  const why = refusal(link, fromScanner);
  if (why) {
    if (why !== lastRefused) setStatus(why, 'error');
    lastRefused = why;
    return false;
  }
  lastRefused = null;
  stopCamera();
  if (!account) {
    pendingLink = link;
    show($('scan-panel'), false);
    setStatus(T.needAccount, 'warn');
    keepFocus($('account-heading'));
    return true;
  }
  begin(link);
  return true;
}

function begin(link) {
  pendingLink = null;
  confirmed = false;
  show($('scan-panel'), false);
  show($('result-panel'), false);
  show($('remove-account'), false);
  setStatus(T.connecting);
  const name = displayText(account.name);
  // A fresh single-use grant per login, never a long-lived secret.
  const grant = { user: name, grant: `demo-${randomToken()}` };
  let handle;
  try {
    handle = startSender(link, grant, {
      label: name,
      onSas: (code) => {
        renderCode($('code'), code);
        show($('code-actions'));
        show($('code-panel'));
        setStatus(T.compare(code));
      },
      onStatus: ({ status }) => {
        if (status === 'connecting') setStatus(T.connecting);
        else if (status === 'waiting_for_peer') setStatus(T.waitingOther);
        else if (status === 'peer_joined') setStatus(T.otherConnected);
        else if (status === 'peer_left') setStatus(T.otherLeft, 'warn');
        else if (status === 'peer_back') setStatus(T.otherBack);
        else if (status === 'reconnecting') setPassingStatus(STRINGS.common.reconnecting, 'warn');
        else if (status === 'resumed') endPassingStatus();
      },
    });
  } catch (error) {
    finish(false, error?.message ?? String(error));
    return;
  }
  pairing = handle;
  handle.done.then(
    () => finish(true, T.done(name)),
    (error) => finish(false, failureText(error)),
  );
}

// What happened, and after the codes were exchanged that it may have been
// an attack (endingOf).
function failureText(error) {
  const { attack, why } = endingOf(error);
  const text = (() => {
    switch (why) {
      case 'intrusion': return T.intrusion;
      case 'expired': return T.expired;
      case 'network': return confirmed ? T.connectionLostAfterSend : T.connectionLost;
      case 'sas_mismatch': return confirmed ? T.mismatchAfterSend : T.mismatch;
      case 'user_cancelled':
      case 'peer_aborted': return T.cancelled;
      case 'rejected': return T.refused(displayText(error.detail) || error.message);
      default: return STRINGS.common.failed(error?.message ?? String(error));
    }
  })();
  return attack ? text + STRINGS.common.maybeAttack : text;
}

function finish(ok, text) {
  pairing = null;
  show($('code-panel'), false);
  $('result-heading').textContent = ok ? T.doneHeading : T.failedHeading;
  $('result-text').textContent = text;
  show($('result-panel'));
  show($('remove-account'), Boolean(account));
  setStatus(text, ok ? 'ok' : 'warn');
  keepFocus(ok ? $('result-heading') : $('scan-again'));
}

async function toggleCamera() {
  if (scanner) {
    stopCamera();
    return;
  }
  const video = $('camera');
  setStatus(T.cameraStarting);
  try {
    scanner = await startScanner(video, { onCode: (text) => useLink(text, true) });
  } catch (error) {
    scanner = null;
    setStatus(T.cameraFailed(error?.message ?? String(error)), 'error');
    return;
  }
  if (pairing) {
    stopCamera();
    return;
  }
  show(video);
  $('camera-toggle').textContent = T.stopCamera;
  if (!lastRefused) setStatus(T.cameraOn);
}

function stopCamera() {
  scanner?.stop();
  scanner = null;
  show($('camera'), false);
  $('camera-toggle').textContent = T.startCamera;
}

function wireControls() {
  $('account-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('account-name');
    const name = displayText(input.value, 60);
    if (!name) {
      setStatus(T.nameMissing, 'error');
      input.focus();
      return;
    }
    saveJson(ACCOUNT_KEY, { name, createdAt: new Date().toISOString() });
    input.value = '';
    showAccount();
    setStatus(T.accountCreated(name), 'ok');
    keepFocus($('account-heading'));
    if (pendingLink) begin(pendingLink);
    else if (!pairing && $('result-panel').hidden) showScanPanel();
  });
  $('remove-account').addEventListener('click', () => {
    removeKey(ACCOUNT_KEY);
    showAccount();
    setStatus(T.accountRemoved);
    keepFocus($('account-heading'));
  });
  $('paste-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('paste-link');
    if (useLink(input.value.trim())) input.value = '';
  });
  $('camera-toggle').addEventListener('click', toggleCamera);
  $('confirm').addEventListener('click', () => {
    if (!pairing) return;
    show($('code-actions'), false);
    keepFocus($('code-heading'));
    confirmed = true;
    setStatus(T.sending);
    pairing.confirm();
  });
  $('reject').addEventListener('click', () => {
    if (!pairing) return;
    show($('code-actions'), false);
    pairing.reject();
  });
  $('scan-again').addEventListener('click', () => {
    show($('result-panel'), false);
    showScanPanel();
    setStatus('');
    keepFocus($('scan-heading'));
  });
  // A link opened while this page is already open only changes the fragment:
  // take it (and remove it) the same way.
  window.addEventListener('hashchange', () => {
    const link = takeFragmentLink();
    if (link && !pairing) {
      show($('result-panel'), false);
      if (!useLink(link)) showScanPanel();
    }
  });
  window.addEventListener('pagehide', () => {
    stopCamera();
    pairing?.cancel();
  });
}

async function main() {
  applyStrings();
  document.title = T.title;
  $('site').textContent = T.siteIntro(location.host);
  if (!(await supportOrExplain())) return;
  wireControls();
  showAccount();
  if (linkFromFragment) {
    if (!useLink(linkFromFragment)) showScanPanel();
  } else {
    showScanPanel();
  }
}

main();
