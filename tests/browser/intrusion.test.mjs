// A third browser opens the same link: the relay refuses it, both paired
// pages show the intrusion warning, and the desktop shows a fresh QR code.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAccessible, gotoPage, openDesktop, openPhone, startSession, waitForCode, waitForLink, waitForStatus,
  withCleanup,
} from './harness.mjs';

test('a third device with the same code: intrusion warning on both pages, a fresh QR code', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { desktop, link } = await openDesktop(browser, app);

  const phone = await openPhone(browser, app, 'Alice');
  await gotoPage(phone, link);
  await waitForCode(phone);
  await waitForCode(desktop);

  // Someone who photographed the QR code opens it too.
  const intruder = await openPhone(browser, app, 'Eve', { name: 'intruder' });
  await gotoPage(intruder, link);

  await waitForStatus(intruder, /already used by someone else/);
  await waitForStatus(phone, /already used by someone else, so nothing was sent/);
  const warning = await waitForStatus(desktop, /Someone else scanned this code/);
  assert.match(warning, /scan it only with your own phone/);
  const fresh = await waitForLink(desktop, { not: link });
  assert.notEqual(fresh, link, 'a fresh key and QR code');
  // The warning stays while the new code waits for a phone.
  assert.match(await desktop.locator('#status').textContent(), /Someone else scanned this code/);
  assert.equal(await desktop.locator('#status').getAttribute('data-tone'), 'warn');
  assert.equal(await desktop.locator('#code-panel').isHidden(), true);
  assert.equal(await desktop.evaluate(async () => (await fetch('/api/session')).status), 401, 'nothing was redeemed');
  for (const page of [desktop, phone, intruder]) await assertAccessible(page);

  // The fresh code works for the real phone.
  await phone.getByRole('button', { name: 'Scan another code' }).click();
  await gotoPage(phone, fresh);
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code);
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Alice/);

  desktop.assertClean();
  phone.assertClean();
  intruder.assertClean();
}));
