// The phone (sender) page at /pair, served by the application: sign up or
// log in (name and password, a session cookie), take the pairing link from
// the URL fragment (and remove it from the address bar and history at
// once), the camera or a pasted link; ask the application who is asking
// (POST /api/pairings/lookup) before showing the code: its browser, how
// long ago it made the code, and whether it is on this phone's network. On
// the same network Confirm mints a single-use grant for that code (POST
// /api/grants) and sends it through the pairing; from another network the
// person takes a deliberate step and types the code the other screen shows
// (or, when the application refuses that, nothing can be approved). Logged
// in, it lists the account's devices, each revocable, with their recent
// history, and hears of new logins at once (notices.js).
import { linkChannelId, spentNameplatesIn, startCodeSender, startSender } from '../src/qrlogin.js';
import { codeChannelId, parseTypedCode } from '../src/code.js';
import { parseLink } from '../src/link.js';
import { cameraAvailable, startScanner } from '../src/qr_scan.js';
import { STRINGS } from './strings.js';
import { getJson, onSessionEnded, postJson } from './api.js';
import {
  $, ago, agoSeconds, applyStrings, displayText, endingOf, endPassingStatus, keepFocus, renderCode,
  setPassingStatus, setStatus, show, supportOrExplain,
} from './common.js';
import { clearNotices, startNotices, stopNotices } from './notices.js';

const T = STRINGS.phone;
const C = STRINGS.common;
const HISTORY_SHOWN = 10;

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
// What approving this pairing takes, from the lookup: "confirm" (same
// network) or "deliberate" (another network: the explicit step and the
// typed code). "refused" never gets this far.
let approval = 'confirm';
let shownSas = ''; // the code, kept to mint a grant only for the right typed code
let typedCode = false; // the person typed a code (a mismatch is then theirs)

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
  for (const id of ['context-panel', 'code-panel', 'accepted-panel', 'result-panel']) show($(id), false);
  show($('scan-panel'));
  show($('enter-code-panel'));
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

// The context, shown before the code: which device, how long ago it made
// the code, and where it is relative to this phone.
function showContext(who) {
  const device = displayText(who.device_name || who.user_agent) || C.unknownDevice;
  $('requester').textContent = T.requester(device, agoSeconds(who.age));
  const network = who.network ?? {};
  const requester = displayText(network.requester) || '?';
  const approver = displayText(network.approver) || '?';
  const line = $('network');
  line.dataset.relation = String(network.relation ?? '');
  if (network.relation === 'same_address') line.textContent = T.sameAddress(requester);
  else if (network.relation === 'same_network') line.textContent = T.sameNetwork(requester);
  else line.textContent = T.otherNetwork(requester, approver);
  show($('context-panel'));
}

async function begin(link) {
  pendingLink = null;
  confirmed = false;
  endedBecause = '';
  typedCode = false;
  shownSas = '';
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
  const requesterNetwork = displayText(who.network?.requester) || '?';
  if (who.approval !== 'confirm' && who.approval !== 'deliberate') {
    // Nothing to approve: the pairing is not even started.
    pairing = null;
    finish(false, who.approval === 'refused' ? T.otherNetworkRefused(requesterNetwork) : T.lookupFailed(T.noApprovalRule));
    return;
  }
  approval = who.approval;
  showContext(who);
  pairingCid = cid;
  const deliberate = approval === 'deliberate';
  // From another network the warning is what the status region says until
  // the code arrives; the routine progress would only cover it.
  const progress = (text) => {
    if (!deliberate) setStatus(text);
  };
  setStatus(deliberate ? T.deliberateStatus(requesterNetwork) : T.connecting, deliberate ? 'warn' : 'info');
  let handle;
  try {
    // No credential yet: the grant is minted only once the person confirmed.
    handle = startSender(link, null, {
      label: displayText(session?.device?.name),
      onSas: (code) => {
        shownSas = code;
        showCodeStep(code, requesterNetwork);
      },
      onStatus: ({ status }) => {
        if (status === 'connecting') progress(T.connecting);
        else if (status === 'waiting_for_peer') progress(T.waitingOther);
        else if (status === 'peer_joined') progress(T.otherConnected);
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

// The code's step. Same network: the code and Confirm. Another network:
// no code shown, but "This is my device, somewhere else", then the code
// typed from the other screen.
function showCodeStep(code, requesterNetwork) {
  const deliberate = approval === 'deliberate';
  $('code-heading').textContent = deliberate ? T.deliberateHeading : T.codeHeading;
  $('code-help').textContent = deliberate ? T.deliberateHelp : T.codeHelp;
  if (deliberate) $('code').replaceChildren();
  else renderCode($('code'), code);
  show($('code'), !deliberate);
  show($('code-actions'), !deliberate);
  show($('deliberate-actions'), deliberate);
  show($('typed-form'), false);
  $('typed-code').value = '';
  show($('code-panel'));
  if (deliberate) setStatus(T.deliberateStatus(requesterNetwork), 'warn');
  else setStatus(T.compare(code));
}

// A grant for this code (`extra`: the deliberate step's confirmation),
// then `send(credential)`. Refused by the application, the pairing is
// cancelled (nothing sent) and this says why.
async function approveWithGrant(extra, send) {
  const handle = pairing;
  const answer = await postJson('/api/grants', { cid: pairingCid, ...extra });
  if (handle !== pairing) return;
  if (answer.status !== 201 || !answer.body?.credential) {
    endedBecause = T.grantRefused(displayText(answer.message, 120));
    handle.cancel();
    return;
  }
  confirmed = true;
  setStatus(T.sending);
  send(handle, answer.body.credential);
}

// The typed code. Only the right code is worth a grant: a wrong one goes
// to the library without one, which ends the pairing (sas_mismatch) and
// tells the other screen.
function submitTypedCode() {
  if (!pairing?.typed || approval !== 'deliberate') return;
  const input = $('typed-code');
  const digits = input.value.replace(/\D/g, '');
  if (digits.length !== 6) {
    setStatus(T.typeSixDigits, 'error');
    input.focus();
    return;
  }
  show($('typed-form'), false);
  keepFocus($('code-heading'));
  typedCode = true;
  setStatus(T.approving);
  if (digits !== shownSas.replace(/\D/g, '')) {
    pairing.typed(digits);
    return;
  }
  approveWithGrant({ other_network_confirmed: true }, (handle, credential) => handle.typed(digits, credential));
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
      case 'sas_mismatch':
        if (typedCode && !confirmed) return T.typedWrong;
        return confirmed ? T.mismatchAfterSend : T.mismatch;
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
  shownSas = '';
  show($('code-panel'), false);
  show($('accepted-panel'), false);
  show($('enter-code-panel'), false);
  show($('context-panel'), false);
  $('result-heading').textContent = ok ? T.doneHeading : T.failedHeading;
  $('result-text').textContent = text;
  show($('result-panel'));
  show($('log-out'), Boolean(session));
  setStatus(text, ok ? 'ok' : 'warn');
  keepFocus(ok ? $('result-heading') : $('scan-again'));
  if (session) loadDevices();
}

// ---- pairing by a typed code ----

function codeError(text) {
  const input = $('enter-code');
  $('enter-code-error').textContent = text;
  input.setAttribute('aria-invalid', text ? 'true' : 'false');
  if (!text) return;
  setStatus(text, 'error'); // the one live region says it too
  input.focus();
}

// What the person typed: checked here first (a typo costs no guess and
// sends nothing), then who is asking, then the key exchange.
async function beginCode() {
  if (pairing) return;
  const input = $('enter-code');
  const typed = input.value;
  let parsed;
  try {
    parsed = parseTypedCode(typed);
  } catch (error) {
    const digits = String(typed).replace(/\D/g, '').length;
    codeError({ code_chars: T.codeChars, code_length: T.codeLength(digits), code_check: T.codeCheck }[error?.code] ??
      String(error?.message ?? error));
    return;
  }
  codeError('');
  if (!session) {
    setStatus(T.needAccount, 'warn');
    keepFocus($('account-heading'));
    $('account-heading').focus();
    return;
  }
  pairing = { pending: true };
  setStatus(T.codeChecking);
  const cid = (await codeChannelId(parsed.nameplate)).text;
  const found = await lookUp(cid);
  if (!found.ok) {
    pairing = null;
    codeError(found.text === T.unknownCode ? T.noSuchCode : found.text);
    return;
  }
  const who = found.who;
  if (who.approval !== 'confirm' && who.approval !== 'deliberate') {
    pairing = null;
    const network = displayText(who.network?.requester) || '?';
    codeError(who.approval === 'refused' ? T.otherNetworkRefused(network) : T.lookupFailed(T.noApprovalRule));
    return;
  }
  // The relay is the application's (a QR link carries it; a code does not).
  const config = await getJson('/api/config');
  const relay = String(config.body?.relay ?? '');
  if (!config.ok || !relay) {
    pairing = null;
    codeError(T.appUnreachable(displayText(config.message, 120) || 'no relay'));
    return;
  }
  approval = who.approval;
  confirmed = false;
  endedBecause = '';
  let handle;
  try {
    handle = startCodeSender(typed, null, {
      page: location.href,
      relay,
      label: displayText(session?.device?.name),
      spent: spentNameplatesIn(sessionStorage),
      onVerified: () => showCodeAccepted(),
      onStatus: ({ status }) => {
        if (status === 'reconnecting') setPassingStatus(STRINGS.common.reconnecting, 'warn');
        else if (status === 'resumed') endPassingStatus();
      },
    });
  } catch (error) {
    pairing = null;
    codeError(error?.code === 'code_spent' ? T.codeSpent : String(error?.message ?? error));
    return;
  }
  input.value = '';
  pairing = handle;
  pairingCid = cid;
  show($('scan-panel'), false);
  show($('enter-code-panel'), false);
  show($('log-out'), false);
  showContext(who);
  const name = displayText(session?.account?.name);
  handle.done.then(
    () => finish(true, T.done(name)),
    (error) => finish(false, endedBecause || codeFailureText(error)),
  );
}

function showCodeAccepted() {
  const name = displayText(session?.account?.name);
  $('accepted-question').textContent = T.codeAccepted(name);
  show($('accepted-panel'));
  setStatus(T.codeAcceptedHeading, 'ok');
  $('accepted-heading').focus();
}

function codeFailureText(error) {
  const { attack, why } = endingOf(error);
  const text = {
    wrong_code: T.wrongCode,
    code_in_use: T.codeInUse,
    expired: T.noSuchCode,
  }[why];
  if (!text) return failureText(error);
  return attack ? text + STRINGS.common.maybeAttack : text;
}

function wireCodeControls() {
  // A fixed typo clears its error.
  $('enter-code').addEventListener('input', () => {
    if (!$('enter-code-error').textContent) return;
    codeError('');
    setStatus('');
  });
  $('enter-code-form').addEventListener('submit', (event) => {
    event.preventDefault();
    beginCode();
  });
  $('log-in-that').addEventListener('click', () => {
    if (!pairing?.confirm) return;
    show($('accepted-panel'), false);
    setStatus(T.approving);
    // The code typed from the screen in front of this person is the
    // deliberate step another network asks for.
    approveWithGrant(approval === 'deliberate' ? { other_network_confirmed: true } : {},
      (handle, credential) => handle.confirm(credential));
  });
  $('dont-log-in').addEventListener('click', () => {
    if (!pairing?.reject) return;
    show($('accepted-panel'), false);
    pairing.reject();
  });
}

// ---- the account: sign up, log in, log out ----

async function loadSession() {
  const answer = await getJson('/api/session');
  session = answer.ok ? answer.body : null;
  showAccount();
  if (session) {
    loadDevices();
    watchNotices();
  }
  return answer;
}

function watchNotices() {
  startNotices({
    selfId: () => session?.device?.id,
    onChange: () => {
      if (session) loadDevices();
    },
    // The stream stopped for this phone: the session's answer says why
    // (onSessionEnded), or that it is still logged in (then it listens again).
    onEnded: async () => {
      const answer = await getJson('/api/session');
      if (answer.ok) watchNotices();
      else if (answer.error !== 'session_ended' && session) loggedOutElsewhere(answer.message);
    },
  });
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
  // First the stream: this phone's own log-out is no news to it, and a
  // list refresh it would start could only fail once the session is gone.
  stopNotices();
  const answer = await postJson('/api/logout');
  if (!answer.ok && answer.status !== 401) {
    setStatus(T.logOutFailed(displayText(answer.message, 120)), 'error');
    watchNotices();
    return;
  }
  session = null;
  clearNotices();
  clearDevices();
  showAccount();
  setStatus(T.loggedOut);
  keepFocus($('account-heading'));
}

// Any call that met "session_ended": this phone was logged out elsewhere.
function loggedOutElsewhere(message) {
  session = null;
  clearNotices();
  clearDevices();
  showAccount();
  setStatus(T.loggedOutWhy(displayText(message, 120)), 'warn');
}

// ---- the device list ----

function addedHow(device) {
  if (device.added_by === 'qr') return T.addedByQr(displayText(device.approved_by?.name) || C.unknownDevice);
  if (device.added_by === 'signup') return T.addedBySignup;
  return T.addedByPassword;
}

function deviceItem(device) {
  const item = document.createElement('li');
  item.dataset.deviceId = String(device.id);
  const name = displayText(device.name) || C.unknownDevice;
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
  if (!session) return false; // logged out while the list was on its way
  if (!answer.ok) {
    if (answer.error !== 'session_ended') setStatus(T.devicesFailed(displayText(answer.message, 120)), 'error');
    return false;
  }
  const devices = Array.isArray(answer.body?.devices) ? answer.body.devices : [];
  $('device-list').replaceChildren(...devices.map(deviceItem));
  const history = Array.isArray(answer.body?.history) ? answer.body.history.slice(0, HISTORY_SHOWN) : [];
  $('history-list').replaceChildren(...history.map(historyItem));
  show($('history'), history.length > 0);
  return true;
}

function clearDevices() {
  $('device-list').replaceChildren();
  $('history-list').replaceChildren();
  show($('history'), false);
}

// One line of the history: "Chrome on Linux logged in by QR code, approved
// by phone, network 192.0.2.0/24, 2 minutes ago", "… was revoked, …".
function historyItem(entry) {
  const name = displayText(entry.device?.name) || C.unknownDevice;
  const when = ago(entry.at);
  const network = displayText(entry.network) || '?';
  const item = document.createElement('li');
  item.dataset.event = String(entry.event ?? '');
  item.textContent = (() => {
    switch (entry.event) {
      case 'login':
        if (entry.added_by === 'qr') {
          return T.historyQr(name, displayText(entry.approved_by?.name) || C.unknownDevice, network, when);
        }
        if (entry.added_by === 'signup') return T.historySignup(name, when);
        return T.historyPassword(name, network, when);
      case 'revoked': return T.historyRevoked(name, when);
      case 'logout': return T.historyLogout(name, when);
      default: return T.historyIdle(name, when);
    }
  })();
  return item;
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
  wireCodeControls();
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
    // From another network a plain Confirm is never enough.
    if (!pairing?.confirm || approval !== 'confirm') return;
    show($('code-actions'), false);
    keepFocus($('code-heading'));
    setStatus(T.approving);
    approveWithGrant({}, (handle, credential) => handle.confirm(credential));
  });
  $('elsewhere').addEventListener('click', () => {
    if (!pairing?.typed || approval !== 'deliberate') return;
    show($('deliberate-actions'), false);
    show($('typed-form'));
    setStatus(T.typeTheCode, 'warn');
    $('typed-code').focus();
  });
  $('not-mine').addEventListener('click', () => {
    if (!pairing?.cancel) return;
    show($('deliberate-actions'), false);
    endedBecause = T.notMineEnded;
    pairing.cancel();
  });
  $('typed-form').addEventListener('submit', (event) => {
    event.preventDefault();
    submitTypedCode();
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
    stopNotices();
    pairing?.cancel?.();
  });
  // Back from the back/forward cache: the stream was closed on the way out.
  window.addEventListener('pageshow', (event) => {
    if (event.persisted && session) watchNotices();
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
