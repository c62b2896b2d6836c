// Expiry: the desktop's live countdown reaches zero, a new QR code appears by
// itself, and the old link fails clearly on the phone. The countdown
// respects prefers-reduced-motion.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAccessible, gotoPage, openPage, openPhone, startSession, waitForLink, waitForStatus, withCleanup,
} from './harness.mjs';

test('an expired code is replaced by a new QR code; the old link fails clearly on the phone', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer, { relay: { lifetime: '4s', grace: '1s' } });
  const desktop = await openPage(browser, { name: 'desktop' });
  await gotoPage(desktop, `${app.origin}/`);
  const first = await waitForLink(desktop);
  // A live countdown: the text goes down.
  const countdown = desktop.locator('#countdown');
  const before = await countdown.textContent();
  assert.match(before, /expires in 0:0[1-4]/);
  await desktop.waitForFunction((old) => document.getElementById('countdown').textContent !== old, before);
  assert.equal(await desktop.locator('#countdown-fill').evaluate((el) => getComputedStyle(el).transitionDuration), '1s');

  const second = await waitForLink(desktop, { not: first });
  assert.notEqual(second, first);
  await waitForStatus(desktop, /The code expired\. Here is a new one/);
  await assertAccessible(desktop);

  const phone = await openPhone(browser, app, 'Alice');
  await gotoPage(phone, first);
  await waitForStatus(phone, /This code has expired or was already used, so nothing was sent/);
  assert.equal(await phone.getByRole('heading', { name: 'Not logged in' }).isVisible(), true);
  assert.equal(await phone.locator('#code-panel').isHidden(), true);
  await assertAccessible(phone);
  desktop.assertClean();
  phone.assertClean();
}));

test('with prefers-reduced-motion the countdown only steps', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const desktop = await openPage(browser, { name: 'desktop', reducedMotion: 'reduce' });
  await gotoPage(desktop, `${app.origin}/`);
  await waitForLink(desktop);
  assert.match(await desktop.locator('#countdown').textContent(), /expires in \d:\d\d/);
  assert.equal(await desktop.locator('#countdown-fill').evaluate((el) => getComputedStyle(el).transitionDuration), '0s');
  desktop.assertClean();
}));
