// The real login, end to end (issue 20's proof): the application serves the
// pages and the API, the relay carries the pairing. The phone signs up,
// the desktop shows a QR code registered with the application, both
// confirm the same code, the phone mints a single-use grant and sends it,
// the desktop redeems it for a session of its own; the phone lists and
// revokes it; the application restarts and keeps everything.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, PHONE, assertAccessible, assertCodeSpokenDigitByDigit, assertConfirmNotFocused, gotoPage, openDesktop,
  openPage, signUp, startSession, waitForCode, waitForLink, waitForStatus, withCleanup, fetchIn, shoot, tabTo,
} from './harness.mjs';

const deviceNames = (page) => page.locator('#device-list li .device-name').allTextContents();

test('sign up on the phone, log the desktop in with its own session, revoke it, restart the application', { timeout: 240_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);

  const phone = await openPage(browser, { viewport: PHONE, name: 'phone' });
  await gotoPage(phone, `${app.origin}/pair`);
  await assertAccessible(phone);
  await signUp(phone, 'Alice');
  await waitForStatus(phone, /Account Alice created/);
  assert.deepEqual(await deviceNames(phone), ['Chrome on Linux (this device)']);

  const desktop = await openPage(browser, { viewport: DESKTOP, name: 'desktop' });
  await gotoPage(desktop, `${app.origin}/`);
  await waitForStatus(desktop, /Waiting for your phone/);
  const link = await waitForLink(desktop);
  assert.ok(link.startsWith(`${app.origin}/pair?relay=`), link);
  await assertAccessible(desktop);
  const qr = desktop.getByRole('img', { name: /QR code/ });
  const box = await qr.boundingBox();
  assert.ok(box.width >= 300 && Math.abs(box.width - box.height) < 2, `a large square QR code: ${JSON.stringify(box)}`);
  assert.match(await desktop.locator('#countdown').textContent(), /expires in \d:\d\d/);
  assert.equal((await fetchIn(desktop, 'GET', '/api/session')).status, 401, 'not logged in before the pairing');
  await shoot(desktop, 'desktop-qr.png');

  await phone.goto(link);
  await phone.waitForFunction(() => document.title !== 'qrlogin');
  // The key left the address bar and the history entry at once.
  assert.equal(new URL(phone.url()).hash, '');
  assert.match(await phone.locator('#site').textContent(), new RegExp(`logging in to 127\\.0\\.0\\.1:${app.port}`));

  const phoneCode = await waitForCode(phone);
  const desktopCode = await waitForCode(desktop);
  assert.match(phoneCode, /^\d{6}$/);
  assert.equal(desktopCode, phoneCode, 'both screens show the same code');
  // Who is asking, as the application saw the desktop register its code.
  assert.match(await phone.locator('#requester').textContent(), /^Logging in: Chrome on Linux, code made (just now|\d+ seconds ago)\.$/);
  assert.match(await phone.locator('#network').textContent(), /^On this network: the same address as this phone \(127\.0\.0\.0\/24\)\.$/);
  await waitForStatus(desktop, /Compare the code/);
  await waitForStatus(phone, /Compare the code/);
  for (const page of [desktop, phone]) {
    await assertCodeSpokenDigitByDigit(page, phoneCode);
    await assertConfirmNotFocused(page);
    await assertAccessible(page);
  }
  await shoot(phone, 'phone-code.png');

  // Desktop: keyboard only.
  await tabTo(desktop, 'confirm');
  await desktop.keyboard.press('Enter');
  await waitForStatus(desktop, /Waiting for your phone to confirm/);
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();

  await waitForStatus(desktop, /Logged in as Alice/);
  assert.equal(await desktop.getByRole('heading', { name: 'You are logged in' }).isVisible(), true);
  assert.equal(await desktop.locator('#logged-in-as').textContent(), 'Logged in as Alice');
  assert.equal(await desktop.locator('#this-device').textContent(), 'This device: Chrome on Linux');
  await waitForStatus(phone, /now logged in as Alice/);

  // The desktop has a session of its own: another device than the phone's.
  const desktopSession = await fetchIn(desktop, 'GET', '/api/session');
  const phoneSession = await fetchIn(phone, 'GET', '/api/session');
  assert.equal(desktopSession.status, 200);
  assert.equal(desktopSession.body.account.name, 'Alice');
  assert.notEqual(desktopSession.body.device.id, phoneSession.body.device.id);
  assert.equal(desktopSession.body.device.added_by, 'qr');
  assert.equal(desktopSession.body.device.approved_by.id, phoneSession.body.device.id);
  assert.equal(await desktop.evaluate(() => localStorage.length), 0, 'nothing in localStorage');

  // The phone lists it: added by QR code, approved by the phone.
  await phone.locator('#device-list li').nth(1).waitFor();
  const entries = await phone.locator('#device-list li').allTextContents();
  assert.equal(entries.length, 2);
  assert.match(entries[0], /Chrome on Linux \(this device\).*signed up here/);
  assert.match(entries[1], /^Chrome on Linux.*added by QR code, approved by Chrome on Linux.*from 127\.0\.0\.1/);
  await assertAccessible(desktop);
  await assertAccessible(phone);
  await shoot(phone, 'phone-devices.png');
  await shoot(desktop, 'desktop-logged-in.png');

  // The session survives a reload (a cookie, not a page variable).
  await gotoPage(desktop, `${app.origin}/`);
  await waitForStatus(desktop, /Logged in as Alice/);

  // Revoked on the phone: the desktop hears it on its notice stream and
  // shows why, with a fresh code, without a reload.
  await phone.getByRole('button', { name: 'Revoke Chrome on Linux' }).click();
  await waitForStatus(phone, /Chrome on Linux was logged out/);
  assert.equal((await phone.locator('#device-list li').count()), 1);
  await waitForStatus(desktop, /You were logged out: this device was logged out from another of your devices/);
  const fresh = await waitForLink(desktop);
  assert.notEqual(fresh, link);
  assert.equal((await fetchIn(desktop, 'GET', '/api/session')).status, 401);

  // The application restarts on the same state directory: the phone is
  // still logged in and the device list keeps its history.
  await app.restart();
  await gotoPage(phone, `${app.origin}/pair`);
  await phone.locator('#account-text').filter({ hasText: 'Logged in here as Alice' }).waitFor();
  await phone.locator('#device-list li').first().waitFor();
  assert.deepEqual(await deviceNames(phone), ['Chrome on Linux (this device)']);
  const devices = await fetchIn(phone, 'GET', '/api/devices');
  assert.equal(devices.status, 200);
  assert.equal(devices.body.devices.length, 1, 'the revoked desktop stays revoked');

  desktop.assertClean();
  phone.assertClean();
}));

test('the desktop becoming visible again finds it was logged out, and Log out ends its session', { timeout: 180_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const phone = await openPage(browser, { viewport: PHONE, name: 'phone' });
  await gotoPage(phone, `${app.origin}/pair`);
  await signUp(phone, 'Bob');
  // A desktop without the notice stream (a proxy that drops it; 204 tells
  // EventSource not to retry): it learns of the revocation when seen again.
  const desktop = await openPage(browser, { name: 'desktop' });
  await desktop.route('**/api/events', (route) => route.fulfill({ status: 204, body: '' }));
  await gotoPage(desktop, `${app.origin}/`);
  const link = await waitForLink(desktop);
  await phone.goto(link);
  await waitForCode(phone);
  await waitForCode(desktop);
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Bob/);
  await phone.locator('#device-list li').nth(1).waitFor();
  await phone.getByRole('button', { name: 'Revoke Chrome on Linux' }).click();
  await waitForStatus(phone, /was logged out/);
  await new Promise((resolve) => setTimeout(resolve, 500));
  assert.match(await desktop.locator('#status').textContent(), /Logged in as Bob/, 'nothing told the desktop yet');
  // The tab is hidden, then seen again.
  await desktop.evaluate(() => {
    Object.defineProperty(document, 'hidden', { configurable: true, get: () => false });
    document.dispatchEvent(new Event('visibilitychange'));
  });
  await waitForStatus(desktop, /You were logged out: this device was logged out from another of your devices/);
  await waitForLink(desktop, { not: link });
  desktop.assertClean();
  phone.assertClean();
}));

test('a phone that is not logged in logs in first, then the login goes on; a second redeem of the grant fails', { timeout: 180_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  // Carol's account exists (made on another phone earlier).
  const other = await openPage(browser, { viewport: PHONE, name: 'other phone' });
  await gotoPage(other, `${app.origin}/pair`);
  await signUp(other, 'Carol');

  const { desktop, link } = await openDesktop(browser, app);
  // Watch the desktop's redeem to replay it afterwards.
  let redeemBody = null;
  desktop.on('request', (request) => {
    if (request.url().endsWith('/api/redeem')) redeemBody = request.postData();
  });

  const phone = await openPage(browser, { viewport: PHONE, name: 'phone' });
  await gotoPage(phone, link);
  assert.equal(new URL(phone.url()).hash, '');
  await waitForStatus(phone, /Log in or sign up first/);
  await assertAccessible(phone);
  // A wrong password first: the application's answer, shown.
  await phone.getByLabel('Your name').fill('Carol');
  await phone.getByLabel('Password').fill('not the password');
  await phone.getByRole('button', { name: 'Log in', exact: true }).click();
  await waitForStatus(phone, /Wrong name or password/);
  // Keyboard only: the password, then Enter in the field (the form's first button: Log in).
  await phone.getByLabel('Password').fill('');
  await phone.getByLabel('Password').focus();
  await phone.keyboard.type('correct horse battery staple');
  await phone.keyboard.press('Enter');
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code);
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Carol/);
  await waitForStatus(phone, /now logged in as Carol/);

  // The same grant, cid and registration secret again: already used.
  assert.ok(redeemBody, 'the desktop redeemed its grant');
  const again = await desktop.evaluate(async (body) => {
    const response = await fetch('/api/redeem', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    return { status: response.status, body: await response.json() };
  }, redeemBody);
  assert.equal(again.status, 409);
  assert.equal(again.body.error, 'grant_used');
  // ...and the first device stays logged in.
  await gotoPage(desktop, `${app.origin}/`);
  await waitForStatus(desktop, /Logged in as Carol/);
  desktop.assertClean();
  phone.assertClean();
}));

test('signing up with a taken name says so', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const first = await openPage(browser, { viewport: PHONE, name: 'first' });
  await gotoPage(first, `${app.origin}/pair`);
  await signUp(first, 'Dana');
  const second = await openPage(browser, { viewport: PHONE, name: 'second' });
  await gotoPage(second, `${app.origin}/pair`);
  await second.getByLabel('Your name').fill('Dana');
  await second.getByLabel('Password').fill('another password');
  await second.getByRole('button', { name: 'Sign up', exact: true }).click();
  await waitForStatus(second, /This name is taken/);
  // Logging out on the first phone: the form is back.
  await first.getByRole('button', { name: 'Log out', exact: true }).click();
  await waitForStatus(first, /You logged out on this phone/);
  assert.equal(await first.getByLabel('Password').isVisible(), true);
  first.assertClean();
  second.assertClean();
}));
