// The account's live notices, on both pages while logged in: GET
// /api/events (server-sent events, same origin, the session cookie). A
// `login` elsewhere is shown as "New login: …, approved by …, just now —
// Not you? Revoke it." with a Revoke button; `revoked` and `logout` only
// tell the page to refresh what it lists; `ended` means the stream stopped
// for this very device (logged out) — the page then asks /api/session
// whether that is so. One stream at a time; closed on pagehide and when
// the page logs out. What the application sends is shown as text only.
import { STRINGS } from './strings.js';
import { postJson } from './api.js';
import { $, ago, displayText, setStatus, show } from './common.js';

const C = STRINGS.common;
const MAX_NOTICES = 5;

let source = null;

function dataOf(event) {
  try {
    const value = JSON.parse(event.data);
    return value && typeof value === 'object' ? value : {};
  } catch {
    return {};
  }
}

// Opens the stream unless one is open. `selfId()`: this device's id (a
// login it approved itself is no news to it). `onChange()`: the account's
// devices changed. `onEnded()`: the stream ended for this device.
export function startNotices({ selfId = () => null, onChange = () => {}, onEnded = () => {} } = {}) {
  if (source && source.readyState !== EventSource.CLOSED) return;
  if (typeof EventSource !== 'function') return; // then the lists are refreshed by hand
  const stream = new EventSource('/api/events');
  source = stream;
  stream.addEventListener('login', (event) => {
    const device = dataOf(event);
    onChange();
    if (device.approved_by?.id !== undefined && device.approved_by.id === selfId()) return;
    showLoginNotice(device, onChange);
  });
  stream.addEventListener('revoked', () => onChange());
  stream.addEventListener('logout', () => onChange());
  stream.addEventListener('ended', () => {
    if (source !== stream) return;
    stopNotices();
    onEnded();
  });
}

export function stopNotices() {
  source?.close();
  source = null;
}

// Logged out: the notices of the account go too.
export function clearNotices() {
  stopNotices();
  $('notices').replaceChildren();
  show($('notices-panel'), false);
}

function showLoginNotice(device, onChange) {
  const name = displayText(device.name) || C.unknownDevice;
  const network = displayText(device.created_network) || '?';
  const approver = displayText(device.approved_by?.name) || C.unknownDevice;
  const byQr = device.added_by === 'qr';
  const item = document.createElement('li');
  item.dataset.deviceId = String(device.id ?? '');
  const text = document.createElement('p');
  text.className = 'notice-text';
  const when = ago(device.created_at);
  text.textContent = byQr ? C.newLogin(name, network, approver, when) : C.newPasswordLogin(name, network, when);
  const actions = document.createElement('div');
  actions.className = 'actions';
  const revoke = document.createElement('button');
  revoke.type = 'button';
  revoke.className = 'primary';
  revoke.textContent = C.noticeRevoke;
  revoke.setAttribute('aria-label', C.noticeRevokeNamed(name));
  const dismiss = document.createElement('button');
  dismiss.type = 'button';
  dismiss.textContent = C.noticeDismiss;
  dismiss.setAttribute('aria-label', C.noticeDismissNamed(name));
  actions.append(revoke, dismiss);
  item.append(text, actions);

  revoke.addEventListener('click', async () => {
    revoke.disabled = true;
    const answer = await postJson('/api/devices/revoke', { id: device.id });
    if (!answer.ok) {
      revoke.disabled = false;
      if (answer.error !== 'session_ended') {
        setStatus(C.noticeRevokeFailed(name, displayText(answer.message, 120)), 'error');
      }
      return;
    }
    text.textContent = C.noticeRevoked(name);
    revoke.remove();
    dismiss.focus();
    setStatus(C.noticeRevoked(name), 'ok');
    onChange();
  });
  dismiss.addEventListener('click', () => {
    item.remove();
    const list = $('notices');
    if (!list.children.length) {
      show($('notices-panel'), false);
      $('page-heading').focus();
    } else {
      list.querySelector('button')?.focus();
    }
  });

  const list = $('notices');
  list.prepend(item);
  while (list.children.length > MAX_NOTICES) list.lastElementChild.remove();
  show($('notices-panel'));
  setStatus(byQr ? C.newLoginStatus(name, network, approver) : C.newPasswordLoginStatus(name, network), 'warn');
}
