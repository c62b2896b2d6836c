// The browser library (web/src, run here in Node with the `ws` WebSocket)
// against the real relay and the real CLI: JS <-> JS, JS receiver <->
// `qrlogin send`, `qrlogin receive` <-> JS sender.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { startReceiver, startSender } from '../../web/src/qrlogin.js';
import { runCli, startRelay, tempDir, withCleanup } from '../browser/harness.mjs';

// Runs a receiver and resolves its link; `code` resolves when it shows one.
function jsReceiver(relay, options = {}) {
  let resolveLink, resolveCode, resolveCredential;
  const link = new Promise((r) => { resolveLink = r; });
  const code = new Promise((r) => { resolveCode = r; });
  const credential = new Promise((r) => { resolveCredential = r; });
  const handle = startReceiver({
    page: `${relay.origin}/pair`,
    WebSocket,
    onLink: (l) => resolveLink(l),
    onSas: (c) => resolveCode(c),
    onCredential: (c) => { resolveCredential(c); return true; },
    ...options,
  });
  return { handle, link, code, credential };
}

function jsSender(link, credential, options = {}) {
  let resolveCode, resolveResult;
  const code = new Promise((r) => { resolveCode = r; });
  const result = new Promise((r) => { resolveResult = r; });
  const handle = startSender(link, credential, {
    WebSocket,
    allowOtherOrigin: true,  // Node has no page origin to compare with
    onSas: (c) => resolveCode(c),
    onResult: (r) => resolveResult(r),
    ...options,
  });
  return { handle, code, result };
}

test('JS receiver <-> JS sender through the relay', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const receiver = jsReceiver(relay);
  const sender = jsSender(await receiver.link, { grant: 'g-1', scopes: ['read'] }, { label: 'node phone' });
  const [rc, sc] = await Promise.all([receiver.code, sender.code]);
  assert.equal(rc, sc);
  await sender.handle.confirm();
  await receiver.handle.typed(sc.replace(' ', ''));
  const got = await receiver.credential;
  assert.deepEqual(JSON.parse(got.text), { grant: 'g-1', scopes: ['read'] });
  assert.equal(got.isString, false);
  assert.equal(got.label, 'node phone');
  assert.equal((await sender.result).accepted, true);
  await Promise.all([receiver.handle.done, sender.handle.done]);
}));

test('JS receiver <-> qrlogin send', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const file = path.join(dir, 'token');
  const text = 'line 1\nline 2 \u00e9\n';
  writeFileSync(file, text);
  const receiver = jsReceiver(relay);
  const cli = runCli(['send', await receiver.link, '--credential-file', file, '--timeout', '30'], defer);
  const sas = await cli.event('sas');
  assert.equal(await receiver.code, sas.sas);
  cli.answer('y');
  await receiver.handle.confirm();
  const got = await receiver.credential;
  assert.equal(got.text, text, 'a file credential arrives byte for byte');
  assert.equal(got.isString, true);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  await receiver.handle.done;
}));

test('qrlogin receive <-> JS sender', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const out = path.join(dir, 'out');
  const cli = runCli(['receive', '--relay', `ws://127.0.0.1:${relay.port}`, '--out', out, '--qr', 'none',
    '--yes', '--timeout', '30'], defer);
  const { link } = await cli.event('link');
  const sender = jsSender(link, 'token-from-js \u2713', { label: 'JS' });
  const code = await sender.code;
  assert.equal((await cli.event('sas')).sas, code);
  // Without a terminal the CLI receiver needs --yes (tests/e2e types the
  // answer at one); the JS sender's user confirms.
  await sender.handle.confirm();
  assert.equal((await sender.result).accepted, true);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  assert.equal(readFileSync(out, 'utf8'), 'token-from-js \u2713');
  await sender.handle.done;
}));

test('JS sender refuses: it ends with sas_mismatch, the receiver with a possible attack', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const receiver = jsReceiver(relay);
  const sender = jsSender(await receiver.link, 'x');
  await Promise.all([receiver.code, sender.code]);
  await sender.handle.reject();
  await assert.rejects(sender.handle.done, { code: 'sas_mismatch' });
  await assert.rejects(receiver.handle.done, { code: 'possible_attack', detail: 'sas_mismatch' });
}));
