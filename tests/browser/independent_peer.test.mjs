// Revision 3 between independent implementations: the pages in Chromium
// pair with the independent peer (tests/independent, written from the
// contract on @hpke/core; nothing from web/src or the C++ code).
import test from 'node:test';
import assert from 'node:assert/strict';
import { independentReceiver, independentSender } from '../independent/qrlogin_rev3.mjs';
import { gotoPage, openDesktop, openPhone, startSession, waitForCode, waitForStatus, withCleanup } from './harness.mjs';

test('desktop page <-> independent sender', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, browser } = await startSession(defer);
  const { desktop, link } = await openDesktop(browser, relay);
  const sender = independentSender(link, 'grant-from-an-independent-phone', { label: 'Erin' });
  const code = await waitForCode(desktop);
  assert.equal((await sender.sas).replace(' ', ''), code, 'both show the same code');
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  sender.confirm();
  assert.deepEqual(await sender.done, { accepted: true }, 'the page pads its RESULT to 128 bytes');
  await waitForStatus(desktop, /Logged in as Erin/);
  const session = JSON.parse(await desktop.evaluate(() => localStorage.getItem('qrlogin.demo.session')));
  assert.equal(session.credential, 'grant-from-an-independent-phone');
  desktop.assertClean();
}));

test('phone page <-> independent receiver', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, browser } = await startSession(defer);
  const receiver = independentReceiver({ pageUrl: `${relay.origin}/pair` });
  const phone = await openPhone(browser, relay, 'Frank');
  await gotoPage(phone, await receiver.link);
  const code = await waitForCode(phone);
  assert.equal((await receiver.sas).replace(' ', ''), code, 'both show the same code');
  receiver.confirm();
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(phone, /now logged in as Frank/);
  const got = await receiver.done;
  assert.equal(got.credential.user, 'Frank');
  phone.assertClean();
}));

test('the phone page rejects the code: the independent receiver reads its padded ABORT', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, browser } = await startSession(defer);
  const receiver = independentReceiver({ pageUrl: `${relay.origin}/pair` });
  const phone = await openPhone(browser, relay, 'Gail');
  await gotoPage(phone, await receiver.link);
  await waitForCode(phone);
  await receiver.sas;
  await phone.getByRole('button', { name: 'It doesn’t match', exact: true }).click();
  await assert.rejects(receiver.done, /the sender aborted: sas_mismatch/);
  phone.assertClean();
}));
