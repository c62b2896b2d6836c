// Pairing by a typed code between the pages and the CLI, through the
// application: the desktop page's code typed into `qrlogin send --code
// --app`, and `qrlogin receive --code --app` (at a terminal, where its user
// accepts) typed into the phone page; each completes a login, and wrong
// codes are reported on both sides until the receiving side stops after
// three.
import test from 'node:test';
import assert from 'node:assert/strict';
import { chmodSync, existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { wrongCodeFor } from '../web/typed_codes.mjs';
import { shownCode, startCodeOnDesktop, typeCodeOnPhone } from './code_steps.mjs';
import {
  openDesktop, openPhone, pairedDevice, runCli, sessionOfTokenFile, startSession, tabTo, tempDir, tokenAccount, waitForStatus,
  withCleanup,
} from './harness.mjs';

// A device logged in to the application with a token, in a 0600 file.
async function tokenFile(app, dir, name) {
  const token = await tokenAccount(app, name);
  const file = path.join(dir, `${name}-token`);
  writeFileSync(file, `${token}\n`);
  chmodSync(file, 0o600);
  return { token, file };
}

// The sender keeps spent codes under XDG_STATE_HOME (each test sets its own).
function sendCode(app, file, defer) {
  const cli = runCli(['send', '--code', '--app', app.origin, '--token-file', file, '--timeout', '60'], defer);
  cli.child.stdin.on('error', () => {}); // a CLI that already exited reads no more answers
  return cli;
}

// The n-th "code" event of a receiving CLI (counting from 1).
async function nthCode(cli, n) {
  const deadline = Date.now() + 20_000;
  for (;;) {
    const codes = cli.events.filter((e) => e.event === 'code');
    if (codes.length >= n) return codes[n - 1].code;
    assert.ok(Date.now() < deadline, `no code number ${n} from the CLI; it printed: ${cli.stderr.join('')}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test('desktop page "Use a code" <-> qrlogin send --code --app', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  const { desktop } = await openDesktop(browser, app);
  const { token, file } = await tokenFile(app, dir, 'Build');
  const code = (await startCodeOnDesktop(desktop)).display;

  const cli = sendCode(app, file, defer);
  await cli.event('enter_code');
  cli.answer(code);
  // Who is asking: the desktop's browser, as the application saw it register the code.
  const asking = await cli.event('pairing_request');
  assert.equal(asking.device_name, 'Chrome on Linux');
  assert.equal(asking.approval, 'confirm');
  const accepted = await cli.event('code_accepted');
  assert.ok(cli.events.indexOf(accepted) > cli.events.indexOf(asking), 'who is asking comes before the code is used');
  cli.answer('y');
  await cli.event('minting');
  // The desktop's own question, answered with the keyboard.
  await desktop.locator('#accept-panel').waitFor({ state: 'visible' });
  assert.match(await desktop.locator('#accept-question').textContent(), /Accept the login from Build's CLI\?$/);
  await tabTo(desktop, 'accept-login');
  await desktop.keyboard.press('Enter');
  const result = await cli.event('result');
  assert.equal(result.accepted, true);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  await waitForStatus(desktop, /Logged in as Build/);

  const added = await pairedDevice(app, token);
  assert.equal(added.approved_by?.name, "Build's CLI", JSON.stringify(added));
  assert.equal(added.kind, 'cookie');
  assert.ok(!cli.stderr.join('').includes(token), 'the CLI never prints its token');
  desktop.assertClean();
}));

test('qrlogin receive --code --app (at a terminal) <-> phone page "Enter a code"', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { relay, app, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const out = path.join(dir, 'token');
  const cli = runCli(['receive', '--code', '--app', app.origin, '--out', out, '--device-name', 'build-box',
    '--timeout', '60'], defer, { terminal: true });
  const config = await cli.event('app');
  assert.equal(config.relay, `ws://127.0.0.1:${relay.port}`, 'the relay comes from the application');
  await cli.event('registered');
  const code = await nthCode(cli, 1);

  const phone = await openPhone(browser, app, 'Dana');
  await typeCodeOnPhone(phone, code);
  await phone.locator('#accepted-panel').waitFor({ state: 'visible' });
  assert.match(await phone.locator('#requester').textContent(), /qrlogin CLI on build-box/);
  await cli.event('code_verified');
  await tabTo(phone, 'log-in-that');
  await phone.keyboard.press('Enter');
  const asked = await cli.event('waiting_confirmation');
  assert.equal(asked.label, 'Chrome on Linux', 'the phone page sends its device name as the label');
  cli.answer('y');
  await waitForStatus(phone, /now logged in as Dana/);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  const loggedIn = await cli.event('logged_in');
  assert.equal(loggedIn.account, 'Dana');
  assert.equal(loggedIn.device, 'build-box');

  const session = await sessionOfTokenFile(app, out);
  assert.equal(session.account.name, 'Dana');
  assert.equal(session.device.name, 'build-box');
  phone.assertClean();
}));

test('wrong codes between the CLI and the pages: both say so, and three stop the receiving side', { timeout: 240_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  process.env.XDG_STATE_HOME = path.join(dir, 'state');

  // The desktop page receives; the CLI types wrong codes.
  const { desktop } = await openDesktop(browser, app);
  const { file } = await tokenFile(app, dir, 'Eve');
  let code = (await startCodeOnDesktop(desktop)).display;
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    const cli = sendCode(app, file, defer);
    await cli.event('enter_code');
    cli.answer(wrongCodeFor(code));
    const error = await cli.event('error');
    assert.equal(error.code, 'wrong_code', JSON.stringify(error));
    assert.equal(await cli.exited, 3);
    assert.equal(cli.events.filter((e) => e.event === 'minting').length, 0, 'no grant for a wrong code');
    if (attempt < 3) {
      code = (await shownCode(desktop, { not: code })).display;
      await waitForStatus(desktop, /A wrong code was entered on another device/);
    }
  }
  await waitForStatus(desktop, /Three attempts with a code failed/);

  // The CLI receives; the phone page types wrong codes.
  const out = path.join(dir, 'token');
  const receive = runCli(['receive', '--code', '--app', app.origin, '--out', out, '--timeout', '120'], defer,
    { terminal: true });
  const phone = await openPhone(browser, app, 'Mallory');
  for (let attempt = 1; attempt <= 3; attempt += 1) {
    await typeCodeOnPhone(phone, wrongCodeFor(await nthCode(receive, attempt)));
    await waitForStatus(phone, /The code was not accepted: mistyped, expired, or someone interfered\./);
    assert.equal(await phone.evaluate(() => document.activeElement?.id), 'scan-again');
    await phone.keyboard.press('Enter');
  }
  assert.equal(await receive.exited, 9, receive.stderr.join(''));
  const stopped = await receive.event('error');
  assert.equal(stopped.code, 'too_many_attempts');
  assert.equal(receive.events.filter((e) => e.event === 'attempt_failed').length, 2);
  assert.equal(existsSync(out), false, 'nothing written');
  desktop.assertClean();
  phone.assertClean();
}));
