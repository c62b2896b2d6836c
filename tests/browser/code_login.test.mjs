// Pairing by a typed code, pages to pages with the application (issue 24):
// the desktop offers "Can't scan? Use a code", shows a 14-digit code
// labelled with its spoken form and announces it, the phone types it,
// both people answer a deliberate question, the grant is redeemed. All of
// it with the keyboard alone. A wrong code is reported on both pages and
// the desktop shows a fresh code; three wrong codes stop the desktop; a
// typo is caught on the phone without sending anything, a spent code is
// refused there, and a second phone typing a code in use is told so. Read
// it out speaks the code shown, digit by digit (a recording stand-in for
// speechSynthesis: headless Chromium has no voice).
import test from 'node:test';
import assert from 'node:assert/strict';
import { wrongCodeFor } from '../web/typed_codes.mjs';
import { shownCode, startCodeOnDesktop, typeCodeOnPhone } from './code_steps.mjs';
import {
  DESKTOP, PASSWORD, PHONE, assertAccessible, fetchIn, gotoPage, openPage, shoot, startSession, tabTo,
  waitForLink, waitForStatus, withCleanup,
} from './harness.mjs';

// Signs up on the phone page with the keyboard alone.
async function signUpByKeyboard(phone, name) {
  await tabTo(phone, 'account-name');
  await phone.keyboard.type(name);
  await tabTo(phone, 'account-password');
  await phone.keyboard.type(PASSWORD);
  await tabTo(phone, 'sign-up');
  await phone.keyboard.press('Enter');
  await phone.locator('#account-text').filter({ hasText: `Logged in here as ${name}` }).waitFor();
}

async function openBoth(browser, app) {
  const phone = await openPage(browser, { viewport: PHONE, name: 'phone' });
  await gotoPage(phone, `${app.origin}/pair`);
  await signUpByKeyboard(phone, 'Alice');
  const desktop = await openPage(browser, { viewport: DESKTOP, name: 'desktop' });
  await gotoPage(desktop, `${app.origin}/`);
  await waitForLink(desktop);
  return { phone, desktop };
}

const spokenOf = (digits) => [digits.slice(0, 3), digits.slice(3, 7), digits.slice(7, 10), digits.slice(10)]
  .map((g) => [...g].join(' ')).join(', ');

test('a code login, pages to pages, with the keyboard alone', { timeout: 240_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { phone, desktop } = await openBoth(browser, app);

  // The phone's field: numeric, no autofill, a visible label, the warning.
  const field = phone.locator('#enter-code');
  assert.equal(await field.getAttribute('inputmode'), 'numeric');
  assert.equal(await field.getAttribute('autocomplete'), 'off');
  assert.equal(await field.inputValue(), '');
  assert.equal(await phone.getByLabel('The 14-digit code shown on the new device').count(), 1);
  assert.equal(await phone.locator('#enter-code-warning').textContent(),
    'Enter a code only from a screen in front of you. Never enter a code someone sent you or read to you.');

  const code = await startCodeOnDesktop(desktop);
  assert.match(code.display, /^\d{3} \d{4} - \d{3} \d{4}$/);
  assert.equal(code.spoken, spokenOf(code.display.replace(/\D/g, '')));
  assert.equal(await desktop.locator('#typed-code').evaluate((el) => el.tagName === 'BDI' && el.dir === 'ltr'), true);
  // The accessibility tree: the code is an image named by its spoken form,
  // and the status region announced it.
  const codeTree = await desktop.locator('#typed-code').ariaSnapshot();
  assert.ok(codeTree.includes(`img "${code.spoken}"`), codeTree);
  const statusTree = await desktop.locator('#status').ariaSnapshot();
  assert.ok(statusTree.includes(`New code: ${code.spoken}`), statusTree);
  assert.doesNotMatch(statusTree, /\d{3} \d{4}/, 'the grouped digits are hidden from screen readers');
  await assertAccessible(desktop);
  await shoot(desktop, 'desktop-typed-code.png', { upTo: '#typed-panel' });

  // A typo is caught on the phone: nothing sent, the desktop's code stays.
  const digits = code.display.replace(/\D/g, '');
  const typo = digits.slice(0, 13) + String((Number(digits[13]) + 1) % 10);
  await typeCodeOnPhone(phone, typo);
  await phone.locator('#enter-code-error').filter({ hasText: 'This code has a typo' }).waitFor();
  assert.equal(await phone.evaluate(() => document.activeElement?.id), 'enter-code');
  assert.equal(await field.getAttribute('aria-invalid'), 'true');
  await phone.waitForTimeout(300);
  assert.equal((await shownCode(desktop)).display, code.display, 'a typo costs no guess');

  await phone.keyboard.press('Control+A');
  await phone.keyboard.press('Backspace');
  assert.equal(await phone.locator('#enter-code-error').textContent(), '', 'a fixed typo clears its error');
  await phone.keyboard.type(code.display);
  await shoot(phone, 'phone-enter-code.png', { upTo: '#enter-code-panel' });
  await phone.keyboard.press('Enter');

  // The phone: who is asking, and the deliberate question.
  await phone.locator('#accepted-panel').waitFor({ state: 'visible' });
  assert.equal(await phone.evaluate(() => document.activeElement?.id), 'accepted-heading');
  assert.equal(await phone.locator('#accepted-question').textContent(),
    'Code accepted. Log in the device showing this code as Alice? Only if that device is in front of you.');
  assert.match(await phone.locator('#requester').textContent(), /^Logging in: Chrome on Linux/);
  await assertAccessible(phone);
  await shoot(phone, 'phone-code-accepted.png', { upTo: '#accepted-panel' });
  // The QR pairing ended when the code was proved.
  await desktop.locator('#pair-panel').waitFor({ state: 'hidden' });
  await tabTo(phone, 'log-in-that');
  await phone.keyboard.press('Enter');

  // The desktop's deliberate question; no auto-accept.
  await desktop.locator('#accept-panel').waitFor({ state: 'visible' });
  assert.equal(await desktop.evaluate(() => document.activeElement?.id), 'accept-heading');
  assert.equal(await desktop.locator('#accept-question').textContent(),
    'Did you just enter this code on your own device, and does it say \u2018Code accepted\u2019? ' +
    'Accept the login from Chrome on Linux?');
  await assertAccessible(desktop);
  await shoot(desktop, 'desktop-typed-accept.png', { upTo: '#accept-panel' });
  await tabTo(desktop, 'accept-login');
  await desktop.keyboard.press('Enter');

  await waitForStatus(desktop, /Logged in as Alice/);
  await waitForStatus(phone, /now logged in as Alice/);
  const session = await fetchIn(desktop, 'GET', '/api/session');
  assert.equal(session.status, 200);
  assert.equal(session.body.account.name, 'Alice');
  desktop.assertClean();
  phone.assertClean();
}));

test('wrong codes: both pages say so, the desktop shows a fresh code, and stops after three', { timeout: 240_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { phone, desktop } = await openBoth(browser, app);
  let code = await startCodeOnDesktop(desktop);

  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const wrong = wrongCodeFor(code.display);
    await typeCodeOnPhone(phone, wrong);
    await waitForStatus(phone, /The code was not accepted: mistyped, expired, or someone interfered\./);
    if (attempt === 1) {
      // One guess per code: the same nameplate again is refused on the phone.
      assert.equal(await phone.evaluate(() => document.activeElement?.id), 'scan-again');
      await phone.keyboard.press('Enter');
      await typeCodeOnPhone(phone, wrong);
      await phone.locator('#enter-code-error')
        .filter({ hasText: 'This code can\u2019t be used again. Choose New code on the new device.' }).waitFor();
      await phone.keyboard.press('Control+A');
      await phone.keyboard.press('Backspace');
      await phone.evaluate(() => document.getElementById('enter-code').blur()); // typeCodeOnPhone tabs to it
    }
    if (attempt < 3) {
      const fresh = await shownCode(desktop, { not: code.display });
      assert.notEqual(fresh.display, code.display);
      await waitForStatus(desktop, /A wrong code was entered on another device \(a typo, or someone guessing\)/);
      assert.match(await desktop.locator('#typed-alert').textContent(), /A wrong code was entered on another device/);
      const statusTree = await desktop.locator('#status').ariaSnapshot();
      assert.ok(statusTree.includes(`New code: ${fresh.spoken}`), statusTree);
      code = fresh;
    }
    // The phone: back to the form with the keyboard (focus is on "scan again").
    if (attempt !== 1) {
      assert.equal(await phone.evaluate(() => document.activeElement?.id), 'scan-again');
      await phone.keyboard.press('Enter');
    }
  }
  await waitForStatus(desktop, /Three attempts with a code failed/);
  assert.equal(await desktop.locator('#typed-code').isVisible(), false, 'no code is offered any more');
  assert.equal(await desktop.evaluate(() => document.activeElement?.id), 'typed-restart');
  await assertAccessible(desktop);

  // Start again: a fresh code.
  await desktop.keyboard.press('Enter');
  const again = await shownCode(desktop, { not: code.display });
  assert.match(again.display, /^\d{3} \d{4} - \d{3} \d{4}$/);
  desktop.assertClean();
  phone.assertClean();
}));

test('an unused code is replaced before the application forgets its cid, and the fresh one still logs in', { timeout: 240_000 }, () => withCleanup(async (defer) => {
  // The application keeps a registration 13 s: the code is renewed after 3 s.
  const { app, browser } = await startSession(defer, { app: { args: ['--pairing-lifetime', '13'] } });
  const { phone, desktop } = await openBoth(browser, app);
  const first = await startCodeOnDesktop(desktop);
  assert.match(await desktop.locator('#typed-expiry').textContent(), /valid for 0:03 minutes/);
  const fresh = await shownCode(desktop, { not: first.display });
  assert.notEqual(fresh.display, first.display);
  assert.equal(await desktop.locator('#typed-alert').isVisible(), false, 'a renewal is no failed attempt');
  const statusTree = await desktop.locator('#status').ariaSnapshot();
  assert.ok(statusTree.includes(`New code: ${fresh.spoken}`), statusTree);

  await typeCodeOnPhone(phone, fresh.display);
  await phone.locator('#accepted-panel').waitFor({ state: 'visible' });
  await tabTo(phone, 'log-in-that');
  await phone.keyboard.press('Enter');
  await desktop.locator('#accept-panel').waitFor({ state: 'visible' });
  await tabTo(desktop, 'accept-login');
  await desktop.keyboard.press('Enter');
  await waitForStatus(desktop, /Logged in as Alice/);
  desktop.assertClean();
  phone.assertClean();
}));

test('a second phone typing a code already entered: code_in_use, and the first goes on', { timeout: 240_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { phone, desktop } = await openBoth(browser, app);
  const other = await openPage(browser, { viewport: PHONE, name: 'other phone' });
  await gotoPage(other, `${app.origin}/pair`);
  await signUpByKeyboard(other, 'Mallory');
  const code = await startCodeOnDesktop(desktop);
  await typeCodeOnPhone(phone, code.display);
  await phone.locator('#accepted-panel').waitFor({ state: 'visible' });
  await typeCodeOnPhone(other, code.display);
  await waitForStatus(other, /Someone else entered this code first\. Reject the login on the new device\./);
  await tabTo(phone, 'log-in-that');
  await phone.keyboard.press('Enter');
  await desktop.locator('#accept-panel').waitFor({ state: 'visible' });
  await tabTo(desktop, 'accept-login');
  await desktop.keyboard.press('Enter');
  await waitForStatus(desktop, /Logged in as Alice/);
  desktop.assertClean();
  phone.assertClean();
}));

// Installed before the page's scripts run: records what would be spoken
// (each utterance's text, language and when it was spoken) and ends each
// utterance at once, as a voice that speaks instantly would.
function recordSpeech() {
  const spoken = [];
  window.spokenUtterances = spoken;
  class RecordedUtterance {
    constructor(text) {
      this.text = text;
      this.lang = '';
      this.onend = null;
      this.onerror = null;
    }
  }
  const synth = {
    speak(utterance) {
      spoken.push({ text: utterance.text, lang: utterance.lang, at: performance.now() });
      setTimeout(() => utterance.onend?.(), 0);
    },
    cancel() {},
    pause() {},
    resume() {},
    getVoices: () => [],
  };
  Object.defineProperty(window, 'speechSynthesis', { configurable: true, get: () => synth });
  window.SpeechSynthesisUtterance = RecordedUtterance;
}

const spokenSince = (desktop, from) => desktop.evaluate((n) => window.spokenUtterances.slice(n), from);

// Waits until `count` utterances were spoken after the first `from`, and
// a second more (a reading that goes on would show there).
async function heard(desktop, from, count) {
  await desktop.waitForFunction(({ n, c }) => window.spokenUtterances.length >= n + c, { n: from, c: count });
  await desktop.waitForTimeout(1000);
  return spokenSince(desktop, from);
}

// What a listener hears: the digits of the spoken form in order, each on
// its own, in the page's language, and a pause of at least 0.7 s (the
// page's 150 ms after a digit and 600 ms after a group) where the spoken
// form has a comma; inside a group, mostly shorter ones.
function assertSpokenAs(utterances, spoken) {
  const groups = spoken.split(', ').map((g) => g.split(' '));
  assert.deepEqual(utterances.map((u) => u.text), groups.flat(), `the digits of "${spoken}", one utterance each`);
  assert.ok(utterances.every((u) => u.lang === 'en'), 'spoken in the page\'s language');
  const gaps = utterances.slice(1).map((u, i) => u.at - utterances[i].at);
  const ends = groups.slice(0, -1).map((_, g) => groups.slice(0, g + 1).flat().length - 1);
  for (const end of ends) assert.ok(gaps[end] >= 700, `a pause after group ${ends.indexOf(end) + 1}: ${gaps[end]} ms`);
  const inside = gaps.filter((_, i) => !ends.includes(i)).sort((a, b) => a - b);
  assert.ok(inside[Math.floor(inside.length / 2)] < 600, `digits within a group follow each other quickly: ${inside}`);
}

test('Read it out speaks the code shown, digit by digit with a pause per group; a fresh code read out is the fresh one', { timeout: 240_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const desktop = await openPage(browser, { viewport: DESKTOP, name: 'desktop' });
  await desktop.addInitScript(recordSpeech);
  await gotoPage(desktop, `${app.origin}/`);
  await waitForLink(desktop);
  const code = await startCodeOnDesktop(desktop);

  await tabTo(desktop, 'read-out');
  await desktop.keyboard.press('Enter');
  assertSpokenAs(await heard(desktop, 0, 14), code.spoken);

  // Read out again, then New code while it is still reading: the old code
  // is not read on, and Read it out now reads the fresh code.
  await desktop.keyboard.press('Enter');
  await desktop.waitForFunction(() => window.spokenUtterances.length >= 14 + 3);
  await tabTo(desktop, 'typed-new');
  await desktop.keyboard.press('Enter');
  const fresh = await shownCode(desktop, { not: code.display });
  assert.notEqual(fresh.spoken, code.spoken);
  const before = (await spokenSince(desktop, 0)).length;
  await tabTo(desktop, 'read-out');
  await desktop.keyboard.press('Enter');
  assertSpokenAs(await heard(desktop, before, 14), fresh.spoken);
  desktop.assertClean();
}));
