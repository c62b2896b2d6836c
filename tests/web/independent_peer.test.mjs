// Revision 3 between independent implementations: the independent peer
// (tests/independent, written from the contract on @hpke/core, nothing from
// web/src or the C++ code) pairs through the real relay with the CLI in
// both roles. The browser pages get the same in tests/browser.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { independentReceiver, independentSender } from '../independent/qrlogin_rev3.mjs';
import { runCli, startRelay, tempDir, withCleanup } from '../browser/harness.mjs';

test('independent receiver <-> qrlogin send', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const file = path.join(dir, 'grant');
  writeFileSync(file, 'grant-\u00e9-1\n');
  const receiver = independentReceiver({ pageUrl: `${relay.origin}/pair` });
  const cli = runCli(['send', await receiver.link, '--credential-file', file, '--label', 'build box', '--timeout', '30'], defer);
  const sas = await cli.event('sas');
  assert.equal(await receiver.sas, sas.sas, 'both show the same code');
  receiver.confirm();
  cli.answer('y');
  const got = await receiver.done;
  assert.equal(got.credential, 'grant-\u00e9-1\n');
  assert.equal(got.label, 'build box');
  assert.equal((await cli.event('result')).accepted, true, 'the CLI reads the padded RESULT');
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
}));

test('qrlogin receive <-> independent sender', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const out = path.join(dir, 'credential.json');
  // No terminal here, so --yes; tests/e2e types the answer at one.
  const cli = runCli(['receive', '--relay', `ws://127.0.0.1:${relay.port}`, '--out', out, '--qr', 'none',
    '--yes', '--timeout', '30'], defer);
  const { link } = await cli.event('link');
  const sender = independentSender(link, { grant: 'g-2', scopes: ['read'] }, { label: 'independent phone' });
  assert.equal(await sender.sas, (await cli.event('sas')).sas, 'both show the same code');
  sender.confirm();
  assert.deepEqual(await sender.done, { accepted: true }, 'the CLI pads its RESULT to 128 bytes');
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), { grant: 'g-2', scopes: ['read'] });
}));

test('the independent sender rejects the code: qrlogin receive reads its padded ABORT as a possible attack', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const cli = runCli(['receive', '--relay', `ws://127.0.0.1:${relay.port}`, '--out', path.join(dir, 'c'), '--qr', 'none',
    '--yes', '--timeout', '30'], defer);
  const { link } = await cli.event('link');
  const sender = independentSender(link, 'never sent');
  await sender.sas;
  sender.confirm(false);
  assert.equal(await sender.done, null);
  assert.equal(await cli.exited, 6, 'exit 6: possible attack');
  assert.match(cli.stderr.join(''), /sas_mismatch/);
}));

test('qrlogin send rejects the code: the independent receiver reads its padded ABORT', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const file = path.join(dir, 'grant');
  writeFileSync(file, 'never sent');
  const receiver = independentReceiver({ pageUrl: `${relay.origin}/pair` });
  const cli = runCli(['send', await receiver.link, '--credential-file', file, '--timeout', '30'], defer);
  await cli.event('sas');
  await receiver.sas;
  cli.answer('n');
  await assert.rejects(receiver.done, /the sender aborted: sas_mismatch/);
  assert.notEqual(await cli.exited, 0);
}));
