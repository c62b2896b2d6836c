// "It doesn't match" on either page aborts both pages and nothing is stored.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAccessible, gotoPage, openDesktop, openPhone, startSession, waitForCode, waitForLink, waitForStatus,
  withCleanup,
} from './harness.mjs';

async function pairedPages(defer) {
  const { app, browser } = await startSession(defer);
  const { desktop, link } = await openDesktop(browser, app);
  const phone = await openPhone(browser, app, 'Mallory');
  await gotoPage(phone, link);
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code);
  return { desktop, phone };
}

// The desktop's session as the application sees it: 401 means nothing was redeemed.
const stored = (desktop) => desktop.evaluate(async () => ((await fetch('/api/session')).status === 401 ? null : 'a session'));

test('"It doesn\'t match" on the desktop aborts both; the credential that arrived is not stored', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { desktop, phone } = await pairedPages(defer);
  // The phone confirmed first, so the encrypted credential is already at the desktop.
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(phone, /Sending your login/);
  await desktop.getByRole('button', { name: 'It doesn’t match', exact: true }).click();
  // The side whose user refused says so; the other was told by an ABORT
  // after the codes were shown, so it also warns of a possible attack (rev. 3).
  const desktopSays = await waitForStatus(desktop, /codes did not match, so nothing was stored/);
  assert.doesNotMatch(desktopSays, /how an attack would look/);
  await waitForStatus(phone, /said the codes did not match, so it threw your login away.*how an attack would look/);
  assert.equal(await stored(desktop), null);
  assert.equal(await desktop.locator('#code-panel').isHidden(), true);
  assert.equal(await desktop.getByRole('button', { name: 'Show a new code' }).isVisible(), true);
  // Focus did not fall to <body> when the buttons went away.
  assert.equal(await desktop.evaluate(() => document.activeElement?.id), 'new-code');
  assert.equal(await phone.getByRole('heading', { name: 'Not logged in' }).isVisible(), true);
  await assertAccessible(desktop);
  await assertAccessible(phone);
  // A new code on request.
  await desktop.getByRole('button', { name: 'Show a new code' }).click();
  await waitForLink(desktop);
  await waitForStatus(desktop, /Waiting for your phone/);
  desktop.assertClean();
  phone.assertClean();
}));

test('"It doesn\'t match" on the phone aborts both; nothing is sent or stored', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { desktop, phone } = await pairedPages(defer);
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Waiting for your phone to confirm/);
  await phone.getByRole('button', { name: 'It doesn’t match', exact: true }).click();
  const phoneSays = await waitForStatus(phone, /codes did not match, so nothing was sent/);
  assert.doesNotMatch(phoneSays, /how an attack would look/);
  await waitForStatus(desktop, /codes did not match, so nothing was stored.*how an attack would look/);
  assert.equal(await stored(desktop), null);
  assert.equal(await phone.getByRole('button', { name: 'Scan another code' }).isVisible(), true);
  await assertAccessible(desktop);
  await assertAccessible(phone);
  desktop.assertClean();
  phone.assertClean();
}));
