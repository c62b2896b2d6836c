// Who is asking (issue 21): the phone shows where the device asking is
// before its code; on another network (the application started with
// --trust-proxy 127.0.0.1/32, the desktop's context sending X-Forwarded-For)
// it warns, offers no plain Confirm, and completes only with the explicit
// "This is my device, somewhere else" step and the code typed from the
// other screen; --other-network refuse never completes; the account's
// other signed-in device hears of the new login within a second and its
// Revoke logs the new desktop out, which then shows a fresh QR code by
// itself; and the QRLjacking scenario: a QR code fetched by an attacker on
// another network, opened by the victim's phone, shows the attacker's
// network and cannot be confirmed plainly.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  PHONE, assertAccessible, assertConfirmNotFocused, gotoPage, logIn, openDesktop, openPage, signUp,
  startSession, waitForCode, waitForLink, waitForStatus, withCleanup, fetchIn, shoot, tabTo,
} from './harness.mjs';

// A call from the page's context, marked so that watchPhoneCalls does not count it as the page's.
const probe = (page, method, url, body) => fetchIn(page, method, url, body, { 'X-Test-Probe': '1' });

const TRUST_LOOPBACK = ['--trust-proxy', '127.0.0.1/32'];
const FAR_DESKTOP = { 'X-Forwarded-For': '198.51.100.7' };

// A phone page at /pair, signed up (or logged in) as `account`.
async function phoneAs(browser, app, account, { name = 'phone', login = false } = {}) {
  const phone = await openPage(browser, { viewport: PHONE, name });
  await gotoPage(phone, `${app.origin}/pair`);
  if (login) await logIn(phone, account);
  else await signUp(phone, account);
  return phone;
}

// The cids the phone looked up (POST /api/pairings/lookup), and how many
// grants it asked for (the test's own fetchIn probes aside).
function watchPhoneCalls(phone) {
  const seen = { cids: [], grants: 0 };
  phone.on('request', (request) => {
    if (request.headers()['x-test-probe']) return;
    const url = request.url();
    if (url.endsWith('/api/pairings/lookup')) seen.cids.push(JSON.parse(request.postData()).cid);
    if (url.endsWith('/api/grants')) seen.grants += 1;
  });
  return seen;
}

const visibleConfirms = (page) => page.getByRole('button', { name: 'Confirm', exact: true }).count();

// A six-digit code that is not `code`.
const wrongCode = (code) => `${(Number(code[0]) + 1) % 10}${code.slice(1)}`;

test('same network: the phone says "on this network" and Confirm is all it takes', { timeout: 180_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const phone = await phoneAs(browser, app, 'Alice');
  const { desktop, link } = await openDesktop(browser, app);
  await phone.goto(link);
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code);
  assert.match(await phone.locator('#requester').textContent(), /^Logging in: Chrome on Linux, code made (just now|\d+ seconds ago)\.$/);
  assert.equal(await phone.locator('#network').textContent(),
    'On this network: the same address as this phone (127.0.0.0/24).');
  assert.doesNotMatch(await phone.locator('#context-panel').textContent(), /Warning|trick/);
  assert.equal(await phone.locator('#elsewhere').isVisible(), false, 'no deliberate step on the same network');
  await waitForStatus(phone, /Compare the code/);
  await assertAccessible(phone);
  await assertConfirmNotFocused(phone);
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Alice/);
  await waitForStatus(phone, /now logged in as Alice/);
  desktop.assertClean();
  phone.assertClean();
}));

test('another network: a warning with its network, no plain Confirm, only the explicit step and the typed code', { timeout: 240_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer, { app: { args: TRUST_LOOPBACK } });
  const phone = await phoneAs(browser, app, 'Bob');
  const calls = watchPhoneCalls(phone);
  const { desktop, link } = await openDesktop(browser, app, { headers: FAR_DESKTOP });

  // First attempt: the code typed wrong fails the pairing, with no grant minted.
  await phone.goto(link);
  await phone.locator('#deliberate-actions').waitFor({ state: 'visible' });
  const code = await waitForCode(desktop);
  const status = await waitForStatus(phone, /another network \(198\.51\.100\.0\/24\)/);
  assert.match(status, /^Warning: .*not near this phone.*own device somewhere else/);
  const context = await phone.locator('#network').textContent();
  assert.match(context, /^Warning: the device asking is not near this phone\. It is on another network \(198\.51\.100\.0\/24; this phone: 127\.0\.0\.0\/24\)\./);
  assert.match(context, /Someone may be trying to trick you into logging them in/);
  assert.match(await phone.locator('#code-heading').textContent(), /Is this your own device, somewhere else\?/);
  assert.equal(await visibleConfirms(phone), 0, 'no plain Confirm from another network');
  assert.equal(await phone.locator('#code').isVisible(), false, 'the phone does not show the code: it is typed');
  assert.equal(await phone.getByText(code.slice(0, 3)).count(), 0, 'nor any part of it');
  await assertAccessible(phone);
  await assertConfirmNotFocused(phone);
  await shoot(phone, 'phone-warning.png', { upTo: '#code-panel' });
  // A plain grant is refused by the application too.
  assert.equal(calls.cids.length, 1);
  const plain = await probe(phone, 'POST', '/api/grants', { cid: calls.cids[0] });
  assert.equal(plain.status, 428);
  assert.equal(plain.body.error, 'other_network_unconfirmed');

  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  // Keyboard only: the explicit step, then the code, then Enter.
  await tabTo(phone, 'elsewhere');
  await phone.keyboard.press('Enter');
  await phone.locator('#typed-code').waitFor({ state: 'visible' });
  assert.equal(await phone.evaluate(() => document.activeElement?.id), 'typed-code', 'focus moves to the code field');
  await waitForStatus(phone, /Type the 6-digit code/);
  await assertAccessible(phone);
  await phone.keyboard.type(wrongCode(code));
  await phone.keyboard.press('Enter');
  await waitForStatus(phone, /The code you typed is not the one on the other screen, so nothing was sent/);
  await waitForStatus(desktop, /The codes did not match, so nothing was stored/);
  assert.equal(calls.grants, 0, 'a wrong code mints no grant');
  assert.equal((await probe(desktop, 'GET', '/api/session')).status, 401, 'the desktop is not logged in');

  // Second attempt: the explicit step and the right code log it in.
  await desktop.getByRole('button', { name: 'Show a new code' }).click();
  const second = await waitForLink(desktop, { not: link });
  await phone.getByRole('button', { name: 'Scan another code' }).click();
  await phone.goto(second);
  await phone.locator('#deliberate-actions').waitFor({ state: 'visible' });
  const code2 = await waitForCode(desktop);
  assert.equal(await visibleConfirms(phone), 0);
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await phone.getByRole('button', { name: 'This is my device, somewhere else' }).click();
  await phone.getByLabel('The code on the other screen').fill(`${code2.slice(0, 3)} ${code2.slice(3)}`);
  await phone.getByRole('button', { name: 'Log it in' }).click();
  await waitForStatus(desktop, /Logged in as Bob/);
  await waitForStatus(phone, /now logged in as Bob/);
  assert.equal(calls.grants, 1, 'one grant, for the right code');
  // The history says where it logged in from.
  await phone.locator('#history-list li[data-event="login"]').nth(1).waitFor();
  const history = await phone.locator('#history-list li').allTextContents();
  assert.match(history[0], /^Chrome on Linux logged in by QR code, approved by Chrome on Linux, network 198\.51\.100\.0\/24, (just now|\d+ seconds ago)$/);
  assert.match(history.at(-1), /^Chrome on Linux signed up, /);
  desktop.assertClean();
  phone.assertClean();
}));

test('--other-network refuse: nothing can be approved, and the phone says to use the password there', { timeout: 180_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer, { app: { args: [...TRUST_LOOPBACK, '--other-network', 'refuse'] } });
  const phone = await phoneAs(browser, app, 'Carol');
  const calls = watchPhoneCalls(phone);
  const { desktop, link } = await openDesktop(browser, app, { headers: FAR_DESKTOP });
  await phone.goto(link);
  await phone.locator('#result-panel').waitFor({ state: 'visible' });
  const text = await phone.locator('#result-text').textContent();
  assert.match(text, /^Refused: the device asking is on another network \(198\.51\.100\.0\/24\)/);
  assert.match(text, /log in with your password on that device instead/);
  assert.equal(await phone.locator('#result-heading').textContent(), 'Not logged in');
  assert.match(await waitForStatus(phone, /Refused/), /198\.51\.100\.0\/24/);
  assert.equal(await phone.locator('#code-panel').isVisible(), false);
  assert.equal(await visibleConfirms(phone), 0);
  await assertAccessible(phone);
  // Even the deliberate step's grant is refused by the application.
  const forced = await probe(phone, 'POST', '/api/grants', { cid: calls.cids[0], other_network_confirmed: true });
  assert.equal(forced.status, 403);
  assert.equal(forced.body.error, 'other_network_refused');
  assert.equal(calls.grants, 0, 'the page asked for no grant');
  await waitForStatus(desktop, /Waiting for your phone/);
  assert.equal((await probe(desktop, 'GET', '/api/session')).status, 401);
  desktop.assertClean();
  phone.assertClean();
}));

test('the other signed-in device hears of the new login within a second, and its Revoke logs the desktop out at once', { timeout: 240_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const phone = await phoneAs(browser, app, 'Dana');
  // Dana's second device, logged in with the password, listening.
  const other = await openPage(browser, { viewport: PHONE, name: 'second phone' });
  const listening = other.waitForResponse((r) => r.url().endsWith('/api/events') && r.status() === 200);
  await gotoPage(other, `${app.origin}/pair`);
  await logIn(other, 'Dana');
  await listening;

  const { desktop, link } = await openDesktop(browser, app);
  // When each thing first appeared, by the pages' own clocks (one machine).
  const firstSeen = (page, selector, pattern) => page.evaluate(({ sel, re }) => {
    const matches = () => new RegExp(re).test(document.querySelector(sel)?.textContent ?? '');
    window.__seenAt = 0;
    const observer = new MutationObserver(() => {
      if (!window.__seenAt && matches()) window.__seenAt = Date.now();
    });
    observer.observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  }, { sel: selector, re: pattern });
  await firstSeen(desktop, '#status', 'Logged in as Dana');
  await firstSeen(other, '#notices', 'New login');

  await phone.goto(link);
  assert.equal(await waitForCode(phone), await waitForCode(desktop));
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Dana/);
  const notice = other.locator('#notices li').first();
  await notice.waitFor({ state: 'visible', timeout: 5000 });
  const loggedInAt = await desktop.evaluate(() => window.__seenAt);
  const noticeAt = await other.evaluate(() => window.__seenAt);
  assert.ok(loggedInAt > 0 && noticeAt > 0);
  assert.ok(noticeAt - loggedInAt < 1500, `the notice came ${noticeAt - loggedInAt} ms after the desktop was logged in`);
  assert.match(await notice.locator('.notice-text').textContent(),
    /^New login: Chrome on Linux, network 127\.0\.0\.0\/24, approved by Chrome on Linux, just now \u2014 Not you\? Revoke it\.$/);
  await waitForStatus(other, /New login to your account: Chrome on Linux, network 127\.0\.0\.0\/24/);
  // The device list followed by itself: three devices, the history has the login.
  await other.locator('#device-list li').nth(2).waitFor();
  assert.match((await other.locator('#history-list li').first().textContent()), /logged in by QR code, approved by Chrome on Linux/);
  // The phone that approved it gets no notice of its own doing, but its list follows.
  await phone.locator('#device-list li').nth(2).waitFor();
  assert.equal(await phone.locator('#notices-panel').isVisible(), false);
  await assertAccessible(other);
  await shoot(other, 'phone-notice.png');

  // Not me: Revoke, from the notice. The desktop's own stream logs it out.
  const revokedAt = Date.now();
  await other.getByRole('button', { name: 'Revoke the new login: Chrome on Linux' }).click();
  await waitForStatus(other, /Chrome on Linux was logged out\./);
  await waitForStatus(desktop, /You were logged out: this device was logged out from another of your devices/, 5000);
  await waitForLink(desktop, { not: link });
  assert.ok(Date.now() - revokedAt < 5000, 'the desktop heard it at once, not at a reload');
  assert.equal(await desktop.locator('#notices-panel').isVisible(), false);
  assert.equal((await probe(desktop, 'GET', '/api/session')).status, 401);
  await other.locator('#history-list li[data-event="revoked"]').first().waitFor();
  assert.match(await other.locator('#history-list li').first().textContent(), /^Chrome on Linux was revoked, /);
  await phone.locator('#history-list li[data-event="revoked"]').first().waitFor();
  assert.equal(await phone.locator('#device-list li').count(), 2);
  desktop.assertClean();
  phone.assertClean();
  other.assertClean();
}));

test('QRLjacking: a QR code fetched by an attacker elsewhere shows the victim the attacker\'s network, and no plain Confirm', { timeout: 180_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer, { app: { args: TRUST_LOOPBACK } });
  const victim = await phoneAs(browser, app, 'Erin', { name: 'victim' });
  const calls = watchPhoneCalls(victim);
  // The attacker opens the real login page from their own network and
  // relays its QR code (the link) to the victim, e.g. on a phishing page.
  const { desktop: attacker, link } = await openDesktop(browser, app, {
    headers: { 'X-Forwarded-For': '203.0.113.9' }, name: 'attacker',
  });
  await victim.goto(link);
  await victim.locator('#deliberate-actions').waitFor({ state: 'visible' });
  await waitForStatus(victim, /another network \(203\.0\.113\.0\/24\)/);
  assert.match(await victim.locator('#network').textContent(), /not near this phone\. It is on another network \(203\.0\.113\.0\/24;/);
  assert.equal(await visibleConfirms(victim), 0, 'a plain Confirm is impossible');
  // Even a page that calls the API directly needs the explicit step.
  const plain = await probe(victim, 'POST', '/api/grants', { cid: calls.cids[0] });
  assert.equal(plain.status, 428);
  // The victim says it is not theirs: nothing is sent, and the page says why.
  await victim.getByRole('button', { name: 'Cancel: it is not mine' }).click();
  await waitForStatus(victim, /Cancelled: nothing was sent\. If someone asked you to scan that code, they were trying to log in to your account/);
  await waitForStatus(attacker, /cancelled/);
  assert.equal((await probe(attacker, 'GET', '/api/session')).status, 401, 'the attacker is not logged in');
  assert.equal(calls.grants, 0);
  attacker.assertClean();
  victim.assertClean();
}));
