// The desktop page's pairing by a typed code ("Can't scan? Use a code"):
// a code receiver beside the QR one, with its own keys. Each code's cid is
// registered with the application before the code is shown, as the QR
// flow registers its cid, so the phone can say who is asking and only
// this page can redeem the grant. The code is shown grouped in a
// left-to-right isolate, labelled with its spoken form, and each new code
// is announced. No auto-accept: the person answers a deliberate question.
import { startCodeReceiver } from '../src/qrlogin.js';
import { codeChannelId } from '../src/code.js';
import { STRINGS } from './strings.js';
import { postJson } from './api.js';
import { $, displayText, setStatus, show } from './common.js';

const T = STRINGS.typed;
// The contract's count: three failed attempts stop the codes until this
// page's person starts again. "New code" starts a new receiver, so the
// page keeps the count across it.
const MAX_FAILURES = 3;

let handle = null;
let generation = 0;
let failures = 0;
let registration = null; // { cid, secret } of the code shown now
let answerAccept = null; // resolves the open accept question
let hooks = null;
let renewTimer = null; // a fresh code before the application forgets this one's cid
let peerJoined = false;
let reading = 0; // counts the presses of Read it out
// Renewed this long before the application's registration ends, so a code
// typed at the last moment still finds who is asking.
const RENEW_MARGIN_MS = 10_000;

// hooks: relay() the relay URL, page() the page URL, registrationLifetimeMs()
// (how long the application keeps a registered cid), verified() (end the
// QR pairing), restartQr() (a QR code again if none is shown), redeem(text,
// registration), loggedIn(), registrationFailed(message).
export function initTypedCode(given) {
  hooks = given;
  $('use-code').addEventListener('click', () => start(true));
  $('typed-new').addEventListener('click', () => start(false));
  $('typed-restart').addEventListener('click', () => {
    failures = 0;
    hooks.restartQr();
    start(true);
  });
  $('read-out').addEventListener('click', readOut);
  $('accept-login').addEventListener('click', () => answer(true));
  $('refuse-login').addEventListener('click', () => answer(false));
}

export const typedCodeActive = () => handle !== null;

// Ends the code pairing (the QR pairing reached its code, or the page moved on).
export function stopTypedCode() {
  generation += 1;
  clearTimeout(renewTimer);
  const previous = handle;
  handle = null;
  registration = null;
  answer(false);
  previous?.cancel();
  show($('typed-panel'), false);
  show($('accept-panel'), false);
  show($('use-code'));
}

function start(focusHeading) {
  if (failures >= MAX_FAILURES) {
    stopped(T.tooMany);
    return;
  }
  stopTypedCode();
  const gen = ++generation;
  const current = () => gen === generation;
  setAlert('');
  $('typed-code').textContent = '';
  $('typed-code').removeAttribute('aria-label');
  show($('typed-offer'));
  show($('typed-restart'), false);
  show($('use-code'), false); // the panel has its own New code
  show($('typed-panel'));
  if (focusHeading) $('typed-heading').focus();
  setStatus(T.preparing);
  let pairing;
  try {
    pairing = startCodeReceiver({
      page: hooks.page(),
      relay: hooks.relay(),
      onCode: (code, info) => {
        if (current()) showCode(code, info, current);
      },
      onVerified: () => {
        if (!current()) return;
        hooks.verified();
        show($('typed-offer'), false);
        setStatus(T.verified);
      },
      onAccept: ({ label }) => (current() ? ask(label) : false),
      onCredential: ({ text }) => hooks.redeem(text, registration),
      onStatus: ({ status }) => {
        if (!current()) return;
        if (status === 'attempt_failed') {
          failures += 1;
          peerJoined = false;
        } else if (status === 'peer_joined') {
          peerJoined = true;
        }
      },
    });
  } catch (error) {
    stopped(T.stopped(error?.message ?? String(error)));
    return;
  }
  handle = pairing;
  pairing.done.then(
    async ({ accepted } = {}) => {
      if (!current()) return;
      handle = null;
      show($('accept-panel'), false);
      if (!accepted) {
        stopped(T.refusedByYou);
        return;
      }
      failures = 0;
      show($('typed-panel'), false);
      await hooks.loggedIn();
    },
    (error) => {
      if (!current()) return;
      handle = null;
      show($('accept-panel'), false);
      if (error?.code === 'too_many_attempts') stopped(T.tooMany);
      else if (error?.code === 'unavailable') stopped(T.unavailable);
      else stopped(T.stopped(error?.message ?? String(error)));
    },
  );
}

async function showCode(code, { expiresInMs, previous }, current) {
  // A new code after a failed attempt: its own count says whether to go on.
  if (previous && failures >= MAX_FAILURES) {
    stopTypedCode();
    stopped(T.tooMany);
    return;
  }
  registration = null;
  const cid = (await codeChannelId(code.digits.slice(0, 7))).text;
  const answerBody = await postJson('/api/pairings', { cid });
  if (!current()) return;
  if (!answerBody.ok) {
    stopTypedCode();
    hooks.registrationFailed(displayText(answerBody.message, 120));
    return;
  }
  registration = { cid, secret: String(answerBody.body?.registration_secret ?? '') };
  // The application keeps a registration for less time than the relay keeps
  // a code (150 s against 5 minutes by default): an unused code is replaced
  // before its cid is forgotten, as the library replaces an expired one.
  const lifetime = hooks.registrationLifetimeMs();
  const shownFor = lifetime > RENEW_MARGIN_MS ? Math.min(expiresInMs, lifetime - RENEW_MARGIN_MS) : expiresInMs;
  clearTimeout(renewTimer);
  peerJoined = false;
  if (shownFor < expiresInMs) {
    renewTimer = setTimeout(() => {
      if (current() && !peerJoined && !$('typed-offer').hidden) start(false);
    }, shownFor);
  }
  const box = $('typed-code');
  box.textContent = code.display;
  box.setAttribute('aria-label', code.spoken);
  $('typed-expiry').textContent = T.expiresIn(minutesSeconds(shownFor));
  // The status region announces each new code, in its spoken form.
  const announce = [T.announce, { code: code.display, spoken: code.spoken }, `. ${T.waiting}`];
  if (previous) {
    const why = previous.code === 'wrong_code' ? T.wrongCode : T.otherFailure;
    setAlert(`${why} ${T.freshCode}`);
    setStatus([`${why} `, ...announce], 'warn');
  } else {
    setStatus(announce);
  }
  show($('typed-offer'));
}

// The deliberate question (no auto-accept in code mode).
function ask(label) {
  answer(false);
  const name = displayText(label) || T.unnamedSender;
  $('accept-question').textContent = T.acceptQuestion(name);
  show($('typed-panel'), false);
  show($('accept-panel'));
  $('accept-heading').focus();
  setStatus(T.answerBelow, 'warn');
  return new Promise((resolve) => {
    answerAccept = resolve;
  });
}

function answer(yes) {
  const resolve = answerAccept;
  answerAccept = null;
  if (!resolve) return;
  show($('accept-panel'), false);
  if (yes) setStatus(STRINGS.desktop.delivering);
  resolve(yes);
}

function stopped(text) {
  show($('typed-panel'));
  show($('typed-offer'), false);
  show($('typed-restart'));
  setAlert(text);
  setStatus(text, 'warn');
  $('typed-restart').focus();
}

// "2:20"
function minutesSeconds(ms) {
  const total = Math.max(0, Math.round(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, '0')}`;
}

function setAlert(text) {
  $('typed-alert').textContent = text;
  show($('typed-alert'), Boolean(text));
}

// One digit at a time, a longer pause between groups. A reading stops
// when another starts or its code is no longer shown: two presses would
// otherwise read two codes interleaved, digit by digit.
async function readOut() {
  const box = $('typed-code');
  const spoken = box.getAttribute('aria-label');
  const synth = globalThis.speechSynthesis;
  if (!spoken) return;
  if (!synth || typeof SpeechSynthesisUtterance !== 'function') {
    setStatus(T.noSpeech, 'warn');
    return;
  }
  const mine = ++reading;
  const current = () => mine === reading && box.getAttribute('aria-label') === spoken;
  synth.cancel();
  const pause = (ms) => new Promise((resolve) => { setTimeout(resolve, ms); });
  const say = (text) => new Promise((resolve) => {
    const utterance = new SpeechSynthesisUtterance(text);
    utterance.lang = document.documentElement.lang || 'en';
    utterance.onend = resolve;
    utterance.onerror = resolve;
    synth.speak(utterance);
    setTimeout(resolve, 3000); // a voice that never ends does not stop the rest
  });
  for (const group of spoken.split(', ')) {
    for (const digit of group.split(' ')) {
      if (!current()) return;
      await say(digit);
      await pause(150);
    }
    await pause(600);
  }
}
