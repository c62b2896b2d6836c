// The pages and the CLI speak the same protocol: the desktop page receives
// from `qrlogin send`, and `qrlogin receive` receives from the phone page.
// The CLI answers the code prompt on standard input with the six digits the
// page shows (typing the other screen's code is one of its documented answers).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  apiCall, gotoPage, mintGrant, openDesktop, openPhone, registerPairing, runCli, startSession, tempDir, tokenAccount,
  waitForCode, waitForStatus, withCleanup,
} from './harness.mjs';
import { linkChannelId } from '../../web/src/qrlogin.js';

test('desktop page <-> qrlogin send', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const { desktop, link } = await openDesktop(browser, app);

  // A real grant, minted by a logged-in CLI account (until the CLI's own
  // `send --app` mints it, the test does and hands it over as a file).
  const token = await tokenAccount(app, 'Build');
  const grant = await mintGrant(app, token, await linkChannelId(link));
  const file = path.join(dir, 'grant.json');
  writeFileSync(file, JSON.stringify(grant));
  const cli = runCli(['send', link, '--credential-file', file, '--label', 'build server', '--timeout', '60'], defer);
  const sas = await cli.event('sas');
  const code = await waitForCode(desktop);
  assert.equal(sas.sas.replace(/\D/g, ''), code, 'the CLI and the page show the same code');
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  cli.answer(code);
  const result = await cli.event('result');
  assert.equal(result.accepted, true);
  assert.equal(await cli.exited, 0);
  await waitForStatus(desktop, /Logged in as Build/);
  assert.equal(await desktop.evaluate(async () => (await fetch('/api/session')).status), 200);
  desktop.assertClean();
}));

test('qrlogin receive <-> phone page', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, app, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const out = path.join(dir, 'credential.json');
  const cli = runCli(['receive', '--relay', `ws://127.0.0.1:${relay.port}`, '--page', `${app.origin}/pair`, '--out', out, '--qr', 'none',
    '--yes', '--timeout', '60'], defer);
  const { link } = await cli.event('link');
  // Until `qrlogin receive --app` registers itself, the test does it for the CLI.
  const secret = await registerPairing(app, await linkChannelId(link));

  const phone = await openPhone(browser, app, 'Dana');
  await gotoPage(phone, link);
  const code = await waitForCode(phone);
  const sas = await cli.event('sas');
  assert.equal(sas.sas.replace(/\D/g, ''), code, 'the CLI and the page show the same code');
  // The CLI receiver runs without a terminal here, so --yes: only a user at
  // a terminal may confirm its code (tests/e2e types it at one).
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(phone, /now logged in as Dana/);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  const credential = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(credential.app, app.origin);
  const redeem = await apiCall(app, 'POST', '/api/redeem', {
    cid: await linkChannelId(link), grant: credential.grant, registration_secret: secret, kind: 'token', device_name: 'cli',
  });
  assert.equal(redeem.status, 201, 'the grant the CLI received logs it in');
  phone.assertClean();
}));
