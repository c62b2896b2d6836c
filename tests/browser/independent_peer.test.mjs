// Revision 3 between independent implementations: the pages in Chromium
// pair with the independent peer (tests/independent, written from the
// contract on @hpke/core; nothing from web/src or the C++ code).
import test from 'node:test';
import assert from 'node:assert/strict';
import { independentReceiver, independentSender } from '../independent/qrlogin_rev3.mjs';
import { linkChannelId } from '../../web/src/qrlogin.js';
import {
  apiCall, gotoPage, mintGrant, openDesktop, openPhone, registerPairing, startSession, tokenAccount, waitForCode, waitForStatus,
  withCleanup,
} from './harness.mjs';

test('desktop page <-> independent sender with a real grant; a credential that is no grant is refused', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { desktop, link } = await openDesktop(browser, app);
  // A logged-in sender elsewhere (a token account) mints the grant for this code.
  const token = await tokenAccount(app, 'Erin');
  const grant = await mintGrant(app, token, await linkChannelId(link));
  const sender = independentSender(link, grant, { label: 'Erin' });
  const code = await waitForCode(desktop);
  assert.equal((await sender.sas).replace(' ', ''), code, 'both show the same code');
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  sender.confirm();
  assert.deepEqual(await sender.done, { accepted: true }, 'the page pads its RESULT to 128 bytes');
  await waitForStatus(desktop, /Logged in as Erin/);

  // Not a grant of this application: refused, with the reason on both sides.
  await desktop.getByRole('button', { name: 'Log out' }).click();
  const next = await openDesktop(browser, app);
  const forger = independentSender(next.link, 'grant-from-an-independent-phone', { label: 'Mallory' });
  await waitForCode(next.desktop);
  await forger.sas;
  await next.desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  forger.confirm();
  const refused = await forger.done;
  assert.equal(refused.accepted, false);
  assert.equal(refused.reason, 'this is not a login from this application');
  await waitForStatus(next.desktop, /The login was refused: this is not a login from this application/);
  assert.equal(await next.desktop.evaluate(async () => (await fetch('/api/session')).status), 401);
  desktop.assertClean();
  next.desktop.assertClean();
}));

test('phone page <-> independent receiver', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, app, browser } = await startSession(defer);
  const receiver = independentReceiver({ pageUrl: `${app.origin}/pair?relay=${encodeURIComponent(`ws://127.0.0.1:${relay.port}`)}` });
  const phone = await openPhone(browser, app, 'Frank');
  const link = await receiver.link;
  const secret = await registerPairing(app, await linkChannelId(link));
  await gotoPage(phone, link);
  const code = await waitForCode(phone);
  assert.equal((await receiver.sas).replace(' ', ''), code, 'both show the same code');
  receiver.confirm();
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(phone, /now logged in as Frank/);
  const got = await receiver.done;
  assert.equal(got.credential.app, app.origin);
  // The grant it received logs it in, once.
  const redeem = { cid: await linkChannelId(link), grant: got.credential.grant, registration_secret: secret, kind: 'token', device_name: 'independent' };
  assert.equal((await apiCall(app, 'POST', '/api/redeem', redeem)).status, 201);
  assert.equal((await apiCall(app, 'POST', '/api/redeem', redeem)).body.error, 'grant_used');
  phone.assertClean();
}));

test('the phone page rejects the code: the independent receiver reads its padded ABORT', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, app, browser } = await startSession(defer);
  const receiver = independentReceiver({ pageUrl: `${app.origin}/pair?relay=${encodeURIComponent(`ws://127.0.0.1:${relay.port}`)}` });
  const phone = await openPhone(browser, app, 'Gail');
  const link = await receiver.link;
  await registerPairing(app, await linkChannelId(link));
  await gotoPage(phone, link);
  await waitForCode(phone);
  await receiver.sas;
  await phone.getByRole('button', { name: 'It doesn’t match', exact: true }).click();
  await assert.rejects(receiver.done, /the sender aborted: sas_mismatch/);
  phone.assertClean();
}));
