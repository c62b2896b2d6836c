// Desktop page <-> phone page through a real relay: a full login with the
// same code on both screens, driven by keyboard on the desktop, and the
// phone page at 390x844 taking its key from the fragment (which it removes).
import test from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import {
  DESKTOP, PHONE, assertAccessible, assertCodeSpokenDigitByDigit, assertConfirmNotFocused, createAccount, gotoPage,
  openDesktop, openPage, startSession, waitForCode, waitForLink, waitForStatus, withCleanup,
} from './harness.mjs';

const SHOTS = process.env.QRLOGIN_SCREENSHOT_DIR || '';

async function shoot(page, name) {
  if (!SHOTS) return;
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: path.join(SHOTS, name), fullPage: false, animations: 'disabled', caret: 'hide' });
}

// Tabs until the element with this id has focus (keyboard only).
async function tabTo(page, id, max = 30) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((want) => document.activeElement?.id === want, id)) return;
  }
  throw new Error(`#${id} cannot be reached with Tab`);
}

test('desktop page and phone page log in, with the same code on both', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, browser } = await startSession(defer);

  const desktop = await openPage(browser, { viewport: DESKTOP, name: 'desktop' });
  await gotoPage(desktop, `${relay.origin}/`);
  await waitForStatus(desktop, /Waiting for your phone/);
  const link = await waitForLink(desktop);
  assert.ok(link.startsWith(`${relay.origin}/pair#v1.`), link);
  await assertAccessible(desktop);
  const qr = desktop.getByRole('img', { name: /QR code/ });
  const box = await qr.boundingBox();
  assert.ok(box.width >= 300 && Math.abs(box.width - box.height) < 2, `a large square QR code: ${JSON.stringify(box)}`);
  assert.match(await desktop.locator('#countdown').textContent(), /expires in \d:\d\d/);
  await shoot(desktop, 'desktop-qr.png');

  const phone = await openPage(browser, { viewport: PHONE, name: 'phone' });
  // The phone has its account before it scans (the usual case).
  await gotoPage(phone, `${relay.origin}/pair`);
  await createAccount(phone, 'Alice');
  await phone.goto(link);
  await phone.waitForFunction(() => document.title !== 'qrlogin');
  // The key left the address bar and the history entry at once.
  assert.equal(new URL(phone.url()).hash, '');
  assert.equal(await phone.evaluate(() => location.href.includes('#')), false);
  assert.match(await phone.locator('#site').textContent(), new RegExp(`logging in to 127\\.0\\.0\\.1:${relay.port}`));

  const phoneCode = await waitForCode(phone);
  const desktopCode = await waitForCode(desktop);
  assert.match(phoneCode, /^\d{6}$/);
  assert.equal(desktopCode, phoneCode, 'both screens show the same code');
  await waitForStatus(desktop, /Compare the code/);
  await waitForStatus(phone, /Compare the code/);
  for (const page of [desktop, phone]) {
    await assertCodeSpokenDigitByDigit(page, phoneCode);
    await assertConfirmNotFocused(page);
    await assertAccessible(page);
    for (const name of ['Confirm', 'It doesn’t match']) {
      assert.equal(await page.getByRole('button', { name, exact: true }).isVisible(), true, name);
    }
  }
  await shoot(phone, 'phone-code.png');
  await shoot(desktop, 'desktop-code.png');

  // Nothing is sent before the phone's person confirms.
  assert.equal(await desktop.evaluate(() => localStorage.getItem('qrlogin.demo.session')), null);

  // Desktop: keyboard only.
  await tabTo(desktop, 'confirm');
  await desktop.keyboard.press('Enter');
  await waitForStatus(desktop, /Waiting for your phone to confirm/);
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();

  await waitForStatus(desktop, /Logged in as Alice/);
  assert.equal(await desktop.getByRole('heading', { name: 'You are logged in' }).isVisible(), true);
  assert.equal(await desktop.locator('#logged-in-as').textContent(), 'Logged in as Alice');
  const session = JSON.parse(await desktop.evaluate(() => localStorage.getItem('qrlogin.demo.session')));
  assert.equal(session.label, 'Alice');
  assert.equal(JSON.parse(session.credential).user, 'Alice');
  assert.match(JSON.parse(session.credential).grant, /^demo-[A-Za-z0-9_-]{22}$/);
  await waitForStatus(phone, /now logged in as Alice/);
  await assertAccessible(desktop);
  await assertAccessible(phone);
  await shoot(desktop, 'desktop-logged-in.png');
  await shoot(phone, 'phone-done.png');

  // The session survives a reload; logging out shows a fresh code.
  await gotoPage(desktop, `${relay.origin}/`);
  await waitForStatus(desktop, /Logged in as Alice/);
  await desktop.getByRole('button', { name: 'Log out' }).click();
  const fresh = await waitForLink(desktop);
  assert.notEqual(fresh, link);
  assert.equal(await desktop.evaluate(() => localStorage.getItem('qrlogin.demo.session')), null);

  desktop.assertClean();
  phone.assertClean();
}));

test('a phone without an account creates one, then the login goes on', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, browser } = await startSession(defer);
  const { desktop, link } = await openDesktop(browser, relay);

  const phone = await openPage(browser, { viewport: PHONE, name: 'phone' });
  await gotoPage(phone, link);
  assert.equal(new URL(phone.url()).hash, '');
  await waitForStatus(phone, /Create a demo account first/);
  assert.equal(await phone.getByRole('button', { name: 'Create demo account' }).isVisible(), true);
  await assertAccessible(phone);
  // Keyboard only: type the name and press Enter in the field.
  await phone.getByLabel('Your name').focus();
  await phone.keyboard.type('Bob');
  await phone.keyboard.press('Enter');
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code);
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Bob/);
  await waitForStatus(phone, /now logged in as Bob/);
  assert.equal(JSON.parse(await phone.evaluate(() => localStorage.getItem('qrlogin.demo.account'))).name, 'Bob');
  desktop.assertClean();
  phone.assertClean();
}));
