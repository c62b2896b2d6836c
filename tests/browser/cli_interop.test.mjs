// The pages and the CLI log each other in through the application, each
// doing its own part: the desktop page is approved by `qrlogin send --app`
// (which mints the grant with its own device token), and `qrlogin receive
// --app` is approved by the phone page (and redeems the grant for a token
// of its own). The CLI answers the code prompt on standard input with the
// six digits the page shows (typing the other screen's code is one of its
// documented answers), so both sides prove they computed the same code.
import test from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import {
  gotoPage, openDesktop, openPhone, pairedDevice, runCli, sessionOfTokenFile, startSession, tempDir, tokenAccount, waitForCode,
  waitForStatus, withCleanup,
} from './harness.mjs';

test('desktop page <-> qrlogin send --app', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const { desktop, link } = await openDesktop(browser, app);

  // A device logged in to the account with a token (as `qrlogin receive --app` writes one).
  const token = await tokenAccount(app, 'Build');
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`);
  chmodSync(tokenFile, 0o600);
  const cli = runCli(['send', link, '--app', app.origin, '--token-file', tokenFile, '--timeout', '60'], defer);
  // Who is asking: the desktop's browser, as the application saw it register its code.
  const asking = await cli.event('pairing_request');
  assert.equal(asking.device_name, 'Chrome on Linux');
  assert.equal(asking.address, '127.0.0.1');
  assert.equal(asking.approval, 'confirm');
  assert.equal(asking.network.relation, 'same_address');

  const sas = await cli.event('sas');
  const code = await waitForCode(desktop);
  assert.equal(sas.sas.replace(/\D/g, ''), code, 'the CLI and the page show the same code');
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  cli.answer(code);
  await cli.event('minting');
  const result = await cli.event('result');
  assert.equal(result.accepted, true);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  await waitForStatus(desktop, /Logged in as Build/);
  assert.equal(await desktop.evaluate(async () => (await fetch('/api/session')).status), 200);

  // The desktop is a device of its own, approved by the CLI's device.
  const added = await pairedDevice(app, token);
  assert.equal(added.approved_by?.name, "Build's CLI", JSON.stringify(added));
  assert.equal(added.kind, 'cookie');
  assert.ok(!cli.stderr.join('').includes(token), 'the CLI never prints its token');
  desktop.assertClean();
}));

test('desktop page <-> qrlogin send --app from another network: the warning, "my device" and the code typed from the page', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const { desktop, link } = await openDesktop(browser, app);
  const token = await tokenAccount(app, 'Far');
  const tokenFile = path.join(dir, 'token');
  writeFileSync(tokenFile, `${token}\n`);
  chmodSync(tokenFile, 0o600);
  // The CLI connects from 127.0.5.7: another /24 than the desktop's 127.0.0.1.
  const cli = runCli(['send', link, '--app', app.origin, '--token-file', tokenFile, '--bind', '127.0.5.7', '--timeout', '60'], defer);
  const asking = await cli.event('pairing_request');
  assert.equal(asking.approval, 'deliberate');
  assert.deepEqual(asking.network, { relation: 'other_network', requester: '127.0.0.0/24', approver: '127.0.5.0/24' });

  await cli.event('other_network_question');
  const code = await waitForCode(desktop);
  cli.answer('my device');
  await cli.event('type_code');
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  cli.answer(code);
  const result = await cli.event('result');
  assert.equal(result.accepted, true);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  await waitForStatus(desktop, /Logged in as Far/);
  const printed = cli.stderr.join('');
  assert.match(printed, /on ANOTHER network: 127\.0\.0\.0\/24 \(this device is on 127\.0\.5\.0\/24\)/);
  assert.match(printed, /WARNING: the device asking is not near you/);
  assert.doesNotMatch(printed, /The code is/, 'the CLI does not show the code: it was typed from the page');
  desktop.assertClean();
}));

test('qrlogin receive --app <-> phone page', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, app, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const out = path.join(dir, 'token');
  // The CLI receiver runs without a terminal here, so --yes: only a user at
  // a terminal may confirm its code (tests/e2e types it at one).
  const cli = runCli(['receive', '--app', app.origin, '--out', out, '--device-name', 'build-box', '--qr', 'none',
    '--yes', '--timeout', '60'], defer);
  const config = await cli.event('app');
  assert.equal(config.relay, `ws://127.0.0.1:${relay.port}`, 'the relay comes from the application');
  const { link } = await cli.event('link');
  assert.ok(link.startsWith(`${app.origin}/pair`), link);
  await cli.event('registered');

  const phone = await openPhone(browser, app, 'Dana');
  await gotoPage(phone, link);
  const code = await waitForCode(phone);
  const sas = await cli.event('sas');
  assert.equal(sas.sas.replace(/\D/g, ''), code, 'the CLI and the page show the same code');
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(phone, /now logged in as Dana/);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  const loggedIn = await cli.event('logged_in');
  assert.equal(loggedIn.account, 'Dana');
  assert.equal(loggedIn.device, 'build-box');

  // The token the CLI wrote is its own session.
  const session = await sessionOfTokenFile(app, out);
  assert.equal(session.account.name, 'Dana');
  assert.equal(session.device.name, 'build-box');
  assert.equal(session.device.added_by, 'qr');
  phone.assertClean();
}));
