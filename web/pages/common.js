// What both pages share: text from the strings table, the status region,
// the code display, the "cannot run here" message, and small DOM helpers.
// Everything is set as text (textContent), never as HTML.
import { LANG, STRINGS, spokenDigits } from './strings.js';
import { checkSupport } from '../src/qrlogin.js';

// Fills every [data-text="section.key"] with its string and sets `lang`.
export function applyStrings(root = document) {
  document.documentElement.lang = LANG;
  for (const el of root.querySelectorAll('[data-text]')) {
    const value = lookup(el.dataset.text);
    if (typeof value === 'string') el.textContent = value;
  }
}

function lookup(path) {
  return path.split('.').reduce((node, key) => node?.[key], STRINGS);
}

export const $ = (id) => {
  const el = document.getElementById(id);
  if (!el) throw new Error(`page element #${id} is missing`);
  return el;
};

export function show(el, visible = true) {
  el.hidden = !visible;
}

// The one aria-live region: a sentence saying where things stand. `message`
// is a string, or a list of strings and { code } parts (a code is shown
// grouped and read digit by digit). `tone` (info, ok, warn, error) only
// changes the look.
let lastStatus = null;
let shown = null; // { message, tone } in the region now
let replaced = null; // what a passing notice covers, until it passes
export function setStatus(message, tone = 'info') {
  replaced = null;
  renderStatus(message, tone);
}

// A notice that passes (the connection is being resumed): it covers the
// status until endPassingStatus() puts that back, unless a newer status was
// set meanwhile, which then simply stays.
export function setPassingStatus(message, tone = 'warn') {
  if (!replaced) replaced = shown;
  renderStatus(message, tone);
}

export function endPassingStatus() {
  if (!replaced) return;
  const { message, tone } = replaced;
  replaced = null;
  renderStatus(message, tone);
}

function renderStatus(message, tone) {
  shown = { message, tone };
  const status = $('status');
  status.dataset.tone = tone;
  const parts = Array.isArray(message) ? message : [message];
  const key = JSON.stringify(parts);
  if (key === lastStatus) return;
  lastStatus = key;
  status.replaceChildren(...parts.map((part) => (typeof part === 'string' ? document.createTextNode(part) : codeSpans(part.code, '', part.spoken))));
}

// `spoken`: what a screen reader reads instead of the digits one by one
// (a typed code's groups, with pauses).
function codeSpans(code, spokenPrefix = '', spoken = '') {
  const group = document.createElement('span');
  const visible = document.createElement('bdi');
  visible.dir = 'ltr';
  visible.setAttribute('aria-hidden', 'true');
  visible.textContent = code;
  const spokenText = document.createElement('span');
  spokenText.className = 'visually-hidden';
  spokenText.textContent = spokenPrefix + (spoken || spokenDigits(code));
  group.append(visible, spokenText);
  return group;
}

// Shows the six digits large, read digit by digit by screen readers: the
// visible "123 456" is hidden from them, a visually hidden "1 2 3 4 5 6"
// is what they read.
export function renderCode(container, code) {
  const group = codeSpans(code, STRINGS.common.codePrefix);
  group.firstChild.className = 'code-digits';
  container.replaceChildren(group);
}

// Moves focus to `target` only when the focused element was just hidden
// (or nothing is focused), so keyboard users never land on <body>.
export function keepFocus(target) {
  const active = document.activeElement;
  if (!active || active === document.body || active.closest('[hidden]')) {
    target.focus({ preventScroll: false });
  }
}

// Checks WebCrypto X25519 and a secure context; when missing, says what to
// do in the #unsupported panel and resolves to false.
export async function supportOrExplain() {
  const support = await checkSupport();
  if (support.ok) return true;
  let text;
  if (globalThis.isSecureContext === false) text = STRINGS.common.insecure(location.origin);
  else if (/X25519/.test(support.message)) text = STRINGS.common.noX25519;
  else text = STRINGS.common.otherUnsupported(support.message);
  $('unsupported-text').textContent = text;
  show($('unsupported'));
  setStatus(text, 'error');
  return false;
}

// How a pairing ended, for the page's words: after the codes were
// exchanged the library says possible_attack and puts the precise reason
// first in the detail (contract rev. 3). `why` is that reason, or the code.
export function endingOf(error) {
  const attack = error?.code === 'possible_attack';
  return { attack, why: attack ? String(error.detail ?? '').split(' ')[0] : error?.code };
}

// Untrusted display text (a label from the other device): one line, bounded.
export function displayText(text, max = 80) {
  const line = String(text ?? '').replace(/[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}\u2026` : line;
}

// "just now", "12 seconds ago", "3 minutes ago", or a date: how long ago
// `seconds` seconds were (agoSeconds), or a unix time was (ago).
export function agoSeconds(seconds) {
  const n = Math.max(0, Math.round(Number(seconds)));
  if (!Number.isFinite(n)) return '';
  const C = STRINGS.common;
  if (n < 5) return C.justNow;
  if (n < 60) return C.secondsAgo(n);
  if (n < 3600) return C.minutesAgo(Math.floor(n / 60));
  if (n < 86400) return C.hoursAgo(Math.floor(n / 3600));
  return new Date(Date.now() - n * 1000).toLocaleString();
}

export const ago = (unixSeconds) => agoSeconds(Date.now() / 1000 - Number(unixSeconds));
