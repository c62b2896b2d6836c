// The pages and the CLI speak the same protocol: the desktop page receives
// from `qrlogin send`, and `qrlogin receive` receives from the phone page.
// The CLI answers the code prompt on standard input with the six digits the
// page shows (typing the other screen's code is one of its documented answers).
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  gotoPage, openDesktop, openPhone, runCli, startSession, tempDir, waitForCode, waitForStatus, withCleanup,
} from './harness.mjs';

test('desktop page <-> qrlogin send', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const { desktop, link } = await openDesktop(browser, relay);

  const file = path.join(dir, 'token.txt');
  writeFileSync(file, 'grant-from-the-cli\n');
  const cli = runCli(['send', link, '--credential-file', file, '--label', 'build server', '--timeout', '60'], defer);
  const sas = await cli.event('sas');
  const code = await waitForCode(desktop);
  assert.equal(sas.sas.replace(/\D/g, ''), code, 'the CLI and the page show the same code');
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  cli.answer(code);
  const result = await cli.event('result');
  assert.equal(result.accepted, true);
  assert.equal(await cli.exited, 0);
  await waitForStatus(desktop, /Logged in as build server/);
  const session = JSON.parse(await desktop.evaluate(() => localStorage.getItem('qrlogin.demo.session')));
  assert.equal(session.credential, 'grant-from-the-cli\n', 'a file credential arrives byte for byte');
  assert.equal(session.isString, true);
  desktop.assertClean();
}));

test('qrlogin receive <-> phone page', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const out = path.join(dir, 'credential.json');
  const cli = runCli(['receive', '--relay', `ws://127.0.0.1:${relay.port}`, '--out', out, '--qr', 'none',
    '--yes', '--timeout', '60'], defer);
  const { link } = await cli.event('link');
  assert.ok(link.startsWith(`${relay.origin}/pair#v1.`), link);

  const phone = await openPhone(browser, relay, 'Dana');
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
  assert.equal(credential.user, 'Dana');
  assert.match(credential.grant, /^demo-/);
  phone.assertClean();
}));
