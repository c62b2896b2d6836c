// The pages and the CLI speak the same protocol: the desktop page receives
// from `qrlogin send`, and `qrlogin receive` receives from the phone page.
// The CLI answers the code prompt on standard input with the six digits the
// page shows (typing the other screen's code is one of its documented answers).
import test from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import {
  CLI_BIN, PHONE, createAccount, gotoPage, launchBrowser, openPage, startRelay, tempDir, waitForCode, waitForLink,
  waitForStatus, withCleanup,
} from './harness.mjs';

const skip = CLI_BIN && existsSync(CLI_BIN) ? false
  : 'the qrlogin CLI is not built (QRLOGIN_CLI_BIN is unset: tests/browser/CMakeLists.txt passes it once the target exists)';

// Runs the CLI with --json; events() resolves the first event of a type.
function runCli(args, defer) {
  const child = spawn(CLI_BIN, [...args, '--json'], { stdio: ['pipe', 'pipe', 'pipe'] });
  const events = [];
  const waiters = [];
  const stderr = [];
  child.stderr.on('data', (d) => stderr.push(String(d)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    events.push(event);
    for (const w of [...waiters]) {
      if (w.type === event.event) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    exited,
    stderr,
    event(type, timeout = 20_000) {
      const found = events.find((e) => e.event === type);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${type}" event from the CLI; got ${JSON.stringify(events)}; stderr: ${stderr.join('')}`)), timeout);
        waiters.push({ type, resolve: (e) => { clearTimeout(timer); resolve(e); } });
      });
    },
    answer(text) {
      child.stdin.write(`${text}\n`);
    },
  };
}

test('desktop page <-> qrlogin send', { timeout: 120_000, skip }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const browser = await launchBrowser();
  defer(() => browser.close());
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const desktop = await openPage(browser, { name: 'desktop' });
  await gotoPage(desktop, `${relay.origin}/`);
  const link = await waitForLink(desktop);

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

test('qrlogin receive <-> phone page', { timeout: 120_000, skip }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const browser = await launchBrowser();
  defer(() => browser.close());
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const out = path.join(dir, 'credential.json');
  const cli = runCli(['receive', '--relay', `ws://127.0.0.1:${relay.port}`, '--out', out, '--qr', 'none',
    '--timeout', '60'], defer);
  const { link } = await cli.event('link');
  assert.ok(link.startsWith(`${relay.origin}/pair#v1.`), link);

  const phone = await openPage(browser, { viewport: PHONE, name: 'phone' });
  await gotoPage(phone, `${relay.origin}/pair`);
  await createAccount(phone, 'Dana');
  await gotoPage(phone, link);
  const code = await waitForCode(phone);
  const sas = await cli.event('sas');
  assert.equal(sas.sas.replace(/\D/g, ''), code, 'the CLI and the page show the same code');
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  cli.answer(code);
  await waitForStatus(phone, /now logged in as Dana/);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  const credential = JSON.parse(readFileSync(out, 'utf8'));
  assert.equal(credential.user, 'Dana');
  assert.match(credential.grant, /^demo-/);
  phone.assertClean();
}));
