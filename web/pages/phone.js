// The phone (sender) page at /pair, served by the application: sign up or
// log in (name and password, a session cookie), take the pairing link from
// the URL fragment (and remove it from the address bar and history at
// once), the camera or a pasted link; ask the application who is asking
// (POST /api/pairings/lookup) before showing the code; on Confirm mint a
// single-use grant for that code (POST /api/grants) and send it through the
// pairing. Logged in, it lists the account's devices, each revocable.
import { linkChannelId, startSender } from '../src/qrlogin.js';
import { parseLink } from '../src/link.js';
import { cameraAvailable, startScanner } from '../src/qr_scan.js';
import { STRINGS } from './strings.js';
import { getJson, onSessionEnded, postJson } from './api.js';
import {
  $, applyStrings, displayText, endingOf, endPassingStatus, keepFocus, renderCode,
  setPassingStatus, setStatus, show, supportOrExplain,
} from './common.js';

const T = STRINGS.phone;

// First of all: the key in the fragment must not stay in the address bar,
// the history or a bookmark. replaceState rewrites the current entry.
const linkFromFragment = takeFragmentLink();

function takeFragmentLink() {
  if (!location.hash || location.hash === '#') return null;
  const link = location.href;
  history.replaceState(history.state, '', location.pathname + location.search);
  return link;
}

let session = null; // GET /api/session's answer while logged in
let pendingLink = null; // a link that waits for a log-in
let pairing = null;
let pairingCid = '';
let scanner = null;
let lastRefused = null;
let confirmed = false; // this person pressed Confirm (the grant was sent)
let endedBecause = ''; // why this page ended the pairing itself (a grant refused)

// "12 seconds ago", "3 minutes ago", or a date.
function ago(unixSeconds) {
  const seconds = Math.max(0, Math.round(Date.now() / 1000 - Number(unixSeconds)));
  if (!Number.isFinite(seconds)) return '';
  if (seconds < 60) return T.secondsAgo(seconds);
  if (seconds < 3600) return T.minutesAgo(Math.floor(seconds / 60));
  if (seconds < 86400) return T.hoursAgo(Math.floor(seconds / 3600));
  return new Date(Number(unixSeconds) * 1000).toLocaleString();
}

function showAccount() {
  const name = displayText(session?.account?.name);
  $('account-text').textContent = session ? T.accountIs(name) : T.noAccount;
  show($('account-form'), !session);
  // Logged out, logging in comes first; logged in, it is a footnote.
  const panel = $('account-panel');
  if (session) $('devices-panel').before(panel);
  else $('scan-panel').before(panel);
  show($('log-out'), Boolean(session) && !pairing);
  show(panel);
  show($('devices-panel'), Boolean(session));
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
  if (!session) {
    pendingLink = link;
    show($('scan-panel'), false);
    setStatus(T.needAccount, 'warn');
    keepFocus($('account-heading'));
    return true;
  }
  begin(link);
  return true;
}

// Who is asking: what the application saw when that device registered the
// code. A code it does not know, or no longer accepts, cannot be approved.
async function lookUp(cid) {
  const answer = await postJson('/api/pairings/lookup', { cid });
  if (answer.ok) return { ok: true, who: answer.body };
  const text = {
    unknown_cid: T.unknownCode,
    pairing_expired: T.codeExpired,
    pairing_used: T.codeUsed,
  }[answer.error] ?? T.lookupFailed(displayText(answer.message, 120));
  return { ok: false, text };
}

async function begin(link) {
  pendingLink = null;
  confirmed = false;
  endedBecause = '';
  show($('scan-panel'), false);
  show($('result-panel'), false);
  show($('log-out'), false);
  setStatus(T.checking);
  pairing = { pending: true }; // no second link (nor a camera) while this one is looked up
  let cid;
  try {
    cid = await linkChannelId(link);
  } catch (error) {
    pairing = null;
    finish(false, T.badLink(error?.message ?? String(error)));
    return;
  }
  const found = await lookUp(cid);
  if (!found.ok) {
    pairing = null;
    finish(false, found.text);
    return;
  }
  const who = found.who;
  $('requester').textContent = T.requester(displayText(who.device_name || who.user_agent) || T.unknownDevice,
    displayText(who.address) || T.unknownAddress, ago(who.registered_at));
  pairingCid = cid;
  setStatus(T.connecting);
  let handle;
  try {
    // No credential yet: the grant is minted only once the person confirmed.
    handle = startSender(link, null, {
      label: displayText(session?.device?.name),
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
    pairing = null;
    finish(false, error?.message ?? String(error));
    return;
  }
  pairing = handle;
  const name = displayText(session?.account?.name);
  handle.done.then(
    () => finish(true, T.done(name)),
    (error) => finish(false, endedBecause || failureText(error)),
  );
}

// Confirm: a grant for this code, sent through the pairing. Refused by the
// application, the pairing is cancelled (nothing sent) and this says why.
async function confirmWithGrant() {
  const handle = pairing;
  const answer = await postJson('/api/grants', { cid: pairingCid });
  if (handle !== pairing) return;
  if (answer.status !== 201 || !answer.body?.credential) {
    endedBecause = T.grantRefused(displayText(answer.message, 120));
    handle.cancel();
    return;
  }
  confirmed = true;
  setStatus(T.sending);
  handle.confirm(answer.body.credential);
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
  pairingCid = '';
  show($('code-panel'), false);
  $('result-heading').textContent = ok ? T.doneHeading : T.failedHeading;
  $('result-text').textContent = text;
  show($('result-panel'));
  show($('log-out'), Boolean(session));
  setStatus(text, ok ? 'ok' : 'warn');
  keepFocus(ok ? $('result-heading') : $('scan-again'));
  if (session) loadDevices();
}

// ---- the account: sign up, log in, log out ----

async function loadSession() {
  const answer = await getJson('/api/session');
  session = answer.ok ? answer.body : null;
  showAccount();
  if (session) loadDevices();
  return answer;
}

async function submitAccount(action) {
  const nameInput = $('account-name');
  const passwordInput = $('account-password');
  const name = nameInput.value;
  if (!name.trim()) {
    setStatus(T.nameMissing, 'error');
    nameInput.focus();
    return;
  }
  if (!passwordInput.value) {
    setStatus(T.passwordMissing, 'error');
    passwordInput.focus();
    return;
  }
  setStatus(action === 'signup' ? T.signingUp : T.loggingIn);
  const answer = await postJson(action === 'signup' ? '/api/signup' : '/api/login',
    { name, password: passwordInput.value, kind: 'cookie' });
  if (!answer.ok) {
    setStatus(accountError(answer), 'error');
    (answer.error === 'name_taken' || answer.error === 'bad_name' ? nameInput : passwordInput).focus();
    return;
  }
  passwordInput.value = '';
  nameInput.value = '';
  await loadSession();
  if (!session) {
    setStatus(T.notLoggedIn, 'error');
    return;
  }
  const shown = displayText(session.account?.name);
  setStatus(action === 'signup' ? T.signedUp(shown) : T.loggedIn(shown), 'ok');
  keepFocus($('account-heading'));
  if (pendingLink) begin(pendingLink);
  else if (!pairing && $('result-panel').hidden) showScanPanel();
}

function accountError(answer) {
  const message = displayText(answer.message, 160);
  switch (answer.error) {
    case 'name_taken': return T.nameTaken;
    case 'login_failed': return T.loginFailed;
    case 'rate_limited': return T.rateLimited(answer.retryAfter || 1);
    case 'network': return T.appUnreachable(message);
    default: return T.accountRefused(message);
  }
}

async function logOut() {
  const answer = await postJson('/api/logout');
  if (!answer.ok && answer.status !== 401) {
    setStatus(T.logOutFailed(displayText(answer.message, 120)), 'error');
    return;
  }
  session = null;
  $('device-list').replaceChildren();
  showAccount();
  setStatus(T.loggedOut);
  keepFocus($('account-heading'));
}

// Any call that met "session_ended": this phone was logged out elsewhere.
function loggedOutElsewhere(message) {
  session = null;
  $('device-list').replaceChildren();
  showAccount();
  setStatus(T.loggedOutWhy(displayText(message, 120)), 'warn');
}

// ---- the device list ----

function addedHow(device) {
  if (device.added_by === 'qr') return T.addedByQr(displayText(device.approved_by?.name) || T.unknownDevice);
  if (device.added_by === 'signup') return T.addedBySignup;
  return T.addedByPassword;
}

function deviceItem(device) {
  const item = document.createElement('li');
  item.dataset.deviceId = String(device.id);
  const name = displayText(device.name) || T.unknownDevice;
  const title = document.createElement('p');
  title.className = 'device-name';
  title.textContent = device.current ? T.thisDeviceNamed(name) : name;
  const facts = document.createElement('p');
  facts.className = 'device-facts';
  facts.textContent = [
    addedHow(device),
    T.created(ago(device.created_at), displayText(device.created_address)),
    T.lastSeen(ago(device.last_seen_at), displayText(device.last_address)),
  ].join(' \u00b7 ');
  item.append(title, facts);
  if (!device.current) {
    const actions = document.createElement('div');
    actions.className = 'actions';
    const revoke = document.createElement('button');
    revoke.type = 'button';
    revoke.textContent = T.revoke;
    revoke.setAttribute('aria-label', T.revokeNamed(name));
    revoke.addEventListener('click', () => revokeDevice(device.id, name));
    actions.append(revoke);
    item.append(actions);
  }
  return item;
}

async function loadDevices() {
  const answer = await getJson('/api/devices');
  if (!answer.ok) {
    if (answer.error !== 'session_ended') setStatus(T.devicesFailed(displayText(answer.message, 120)), 'error');
    return false;
  }
  const devices = Array.isArray(answer.body?.devices) ? answer.body.devices : [];
  $('device-list').replaceChildren(...devices.map(deviceItem));
  return true;
}

async function revokeDevice(id, name) {
  const answer = await postJson('/api/devices/revoke', { id });
  if (!answer.ok) {
    if (answer.error !== 'session_ended') setStatus(T.revokeFailed(name, displayText(answer.message, 120)), 'error');
    return;
  }
  await loadDevices();
  setStatus(T.revoked(name), 'ok');
  keepFocus($('devices-heading'));
}

// ---- the camera ----

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
    submitAccount(event.submitter?.value === 'signup' ? 'signup' : 'login');
  });
  $('log-out').addEventListener('click', logOut);
  $('refresh-devices').addEventListener('click', async () => {
    if (await loadDevices()) setStatus(T.devicesRefreshed);
  });
  $('paste-form').addEventListener('submit', (event) => {
    event.preventDefault();
    const input = $('paste-link');
    if (useLink(input.value.trim())) input.value = '';
  });
  $('camera-toggle').addEventListener('click', toggleCamera);
  $('confirm').addEventListener('click', () => {
    if (!pairing?.confirm) return;
    show($('code-actions'), false);
    keepFocus($('code-heading'));
    setStatus(T.approving);
    confirmWithGrant();
  });
  $('reject').addEventListener('click', () => {
    if (!pairing?.reject) return;
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
    pairing?.cancel?.();
  });
  onSessionEnded(loggedOutElsewhere);
}

async function main() {
  applyStrings();
  document.title = T.title;
  $('site').textContent = T.siteIntro(location.host);
  if (!(await supportOrExplain())) return;
  wireControls();
  await loadSession();
  if (linkFromFragment) {
    if (!useLink(linkFromFragment)) showScanPanel();
  } else {
    showScanPanel();
  }
}

main();
