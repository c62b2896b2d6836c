// Pairing by a typed code between the browser library (run in Node with
// the `ws` WebSocket) and the CLI, through the real relay: JS code receiver
// <-> `qrlogin send --code`, `qrlogin receive --code` <-> JS code sender,
// each carrying a credential that arrives byte for byte, and a wrong code
// in each direction, said on both sides, after which the receiver shows a
// fresh code that then pairs. The CLI runs at a pseudo-terminal (the
// harness's runCli with `terminal`, util-linux `script`), where its person
// types the code and answers its questions.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { spentNameplatesIn, startCodeReceiver, startCodeSender } from '../../web/src/qrlogin.js';
import { runCli, startRelay, tempDir, withCleanup } from '../browser/harness.mjs';
import { memoryStorage, wrongCodeFor } from './typed_codes.mjs';

// Non-ASCII, quotes, a backslash, a tab and line ends: what must arrive unchanged.
const CREDENTIAL = 'tøken ✓ "quoted" \\ back\tslash\nsecond line\n';
const WAIT_MS = 30_000;
const CLI_TIMEOUT = '90'; // seconds: the CLI gives up by itself should a test stop tending it

const bounded = (promise, what) => {
  let timer;
  return Promise.race([promise, new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: nothing within ${WAIT_MS} ms`)), WAIT_MS);
  })]).finally(() => clearTimeout(timer));
};
const failureOf = (promise, what) => bounded(promise.then(() => assert.fail(`${what} was expected to fail`), (e) => e), what);

// What find() returns once it returns something, looked for every 50 ms;
// what() says what was awaited, should it never come.
async function eventually(find, what) {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const found = find();
    if (found !== undefined) return found;
    if (Date.now() > deadline) throw new Error(`${what()}: nothing within ${WAIT_MS} ms`);
    await new Promise((r) => { setTimeout(r, 50); });
  }
}

// What the CLI at its terminal printed: its events and its messages, in order.
const printed = (cli) => cli.stderr.join('').replaceAll('\r', '');
// Resolves once the CLI said it (a message comes after its event's JSON line).
const said = (cli, regex) => eventually(() => regex.exec(printed(cli))?.[0], () => `the CLI saying ${regex}:\n${printed(cli)}`);
const eventsOf = (cli, type) => cli.events.filter((e) => e.event === type);
const nthEvent = (cli, type, n) => eventually(() => eventsOf(cli, type)[n - 1], () => `"${type}" event number ${n}:\n${printed(cli)}`);
const exitOf = (cli) => bounded(cli.exited, 'the CLI exiting');



// A JS code receiver; its codes arrive, in order, through nextCode().
function jsReceiver(relay) {
  const codes = [];
  const waiters = [];
  const statuses = [];
  const credentials = [];
  const labels = [];
  const handle = startCodeReceiver({
    page: `${relay.origin}/pair`,
    WebSocket,
    onCode: (code, info) => (waiters.length ? waiters.shift()({ code, info }) : codes.push({ code, info })),
    onAccept: async ({ label }) => { labels.push(label); return true; },
    onCredential: (credential) => { credentials.push(credential); return true; },
    onStatus: (status) => statuses.push(status),
  });
  const nextCode = () => bounded(codes.length ? Promise.resolve(codes.shift()) : new Promise((r) => waiters.push(r)),
    'a code from the JS receiver');
  return { handle, nextCode, statuses, credentials, labels };
}

function jsSender(relay, typed, { label = 'node phone' } = {}) {
  let resolveVerified;
  const verified = new Promise((r) => { resolveVerified = r; });
  const handle = startCodeSender(typed, CREDENTIAL, {
    page: `${relay.origin}/pair`,
    WebSocket,
    label,
    spent: spentNameplatesIn(memoryStorage()),
    onVerified: () => resolveVerified(),
  });
  return { handle, verified: () => bounded(verified, 'the JS sender verifying the code') };
}

// A scratch directory with the credential file and the CLI's state (the
// nameplates a CLI sender spent, under XDG_STATE_HOME: one per test).
function scratch(defer) {
  const { dir, cleanup } = tempDir('qrlogin-code-cli-');
  defer(cleanup);
  const credentialFile = path.join(dir, 'credential');
  writeFileSync(credentialFile, CREDENTIAL);
  process.env.XDG_STATE_HOME = path.join(dir, 'state');
  return { credentialFile, out: path.join(dir, 'out') };
}

function cliSend(relay, files, defer, extra = []) {
  return runCli(['send', '--code', '--relay', `ws://127.0.0.1:${relay.port}`, '--page', `${relay.origin}/pair`,
    '--credential-file', files.credentialFile, '--timeout', CLI_TIMEOUT, ...extra], defer, { terminal: true });
}

function cliReceive(relay, files, defer) {
  return runCli(['receive', '--code', '--relay', `ws://127.0.0.1:${relay.port}`, '--page', `${relay.origin}/pair`,
    '--out', files.out, '--timeout', CLI_TIMEOUT], defer, { terminal: true });
}

// Types the code at the CLI sender's prompt. The CLI starts reading the
// terminal just after printing the prompt, dropping what was typed before
// (cli/send_code.cpp, cli/inbox.cpp): wait a moment, as a person reading
// the prompt does.
async function typeCodeAtCli(cli, code) {
  const prompt = await cli.event('enter_code');
  assert.deepEqual(prompt, { event: 'enter_code' });
  await new Promise((r) => { setTimeout(r, 300); });
  cli.answer(code);
}

test('JS code receiver <-> qrlogin send --code: the code typed at the terminal, the credential byte for byte',
  { timeout: 120_000 }, () => withCleanup(async (defer) => {
    const relay = await startRelay();
    defer(() => relay.stop());
    const files = scratch(defer);
    const receiver = jsReceiver(relay);
    defer(() => receiver.handle.cancel());
    const { code } = await receiver.nextCode();

    const cli = cliSend(relay, files, defer, ['--label', 'CLI phone']);
    await typeCodeAtCli(cli, code.display);
    await cli.event('code_accepted');
    await said(cli, /Code accepted\. Log in the device showing this code as "CLI phone"\? Only if that device is in front of you\./);
    cli.answer('y');
    assert.deepEqual(await cli.event('result'), { event: 'result', accepted: true });
    assert.equal(await exitOf(cli), 0, printed(cli));

    assert.deepEqual(await bounded(receiver.handle.done, 'the JS receiver'), { accepted: true });
    assert.deepEqual(receiver.labels, ['CLI phone'], 'the JS receiver asked about the CLI\'s label');
    assert.equal(receiver.credentials.length, 1);
    assert.equal(receiver.credentials[0].isString, true);
    assert.deepEqual(Buffer.from(receiver.credentials[0].text, 'utf8'), readFileSync(files.credentialFile));
  }));

test('qrlogin receive --code <-> JS code sender: accepted at the terminal, the file written byte for byte',
  { timeout: 120_000 }, () => withCleanup(async (defer) => {
    const relay = await startRelay();
    defer(() => relay.stop());
    const files = scratch(defer);
    const cli = cliReceive(relay, files, defer);
    const shown = await cli.event('code');
    assert.match(shown.code, /^\d{3} \d{4} - \d{3} \d{4}$/);
    await said(cli, new RegExp(`\nSpoken: ${shown.spoken}\n`));

    const sender = jsSender(relay, shown.code, { label: 'JS phone' });
    await sender.verified();
    await cli.event('code_verified');
    await sender.handle.confirm();
    const question = await cli.event('waiting_confirmation');
    assert.equal(question.label, 'JS phone');
    await said(cli, /Accept the login from "JS phone"\? Answer y or n:/);
    cli.answer('y');
    assert.deepEqual(await bounded(sender.handle.done, 'the JS sender'), { accepted: true });
    const result = await cli.event('result');
    assert.equal(result.label, 'JS phone');
    assert.equal(await exitOf(cli), 0, printed(cli));
    assert.deepEqual(readFileSync(files.out), Buffer.from(CREDENTIAL, 'utf8'));
  }));

test('a wrong code typed at qrlogin send --code: exit 3 and wrong_code there, a failed attempt and a fresh code at the JS receiver',
  { timeout: 150_000 }, () => withCleanup(async (defer) => {
    const relay = await startRelay();
    defer(() => relay.stop());
    const files = scratch(defer);
    const receiver = jsReceiver(relay);
    defer(() => receiver.handle.cancel());
    const first = await receiver.nextCode();

    const wrong = cliSend(relay, files, defer);
    await typeCodeAtCli(wrong, wrongCodeFor(first.code.display));
    const error = await wrong.event('error');
    assert.equal(error.code, 'wrong_code');
    assert.equal(error.exit_code, 3);
    assert.match(error.message, /^The code was not accepted: mistyped, expired, or someone interfered/);
    assert.match(error.message, /This code can't be used again\. Choose New code on the new device\.$/);
    await said(wrong, /qrlogin: The code was not accepted: mistyped, expired, or someone interfered/);
    assert.equal(await exitOf(wrong), 3);
    assert.equal(eventsOf(wrong, 'code_accepted').length, 0, 'no "Code accepted" for a wrong code');

    const second = await receiver.nextCode();
    assert.notEqual(second.code.digits, first.code.digits, 'a fresh code');
    assert.equal(second.info.previous?.code, 'wrong_code');
    assert.equal(second.info.failures, 1);
    const failed = receiver.statuses.find((s) => s.status === 'attempt_failed');
    assert.equal(failed?.error.code, 'wrong_code');
    assert.equal(receiver.credentials.length, 0, 'nothing delivered');

    // The fresh code, typed at another terminal, logs in.
    const right = cliSend(relay, files, defer);
    await typeCodeAtCli(right, second.code.digits);
    await right.event('code_accepted');
    right.answer('y');
    assert.equal(await exitOf(right), 0, printed(right));
    assert.deepEqual(await bounded(receiver.handle.done, 'the JS receiver'), { accepted: true });
    assert.deepEqual(Buffer.from(receiver.credentials[0].text, 'utf8'), readFileSync(files.credentialFile));
  }));

test('a wrong code typed at the JS sender: wrong_code there, the failed attempt and a fresh code at qrlogin receive --code',
  { timeout: 150_000 }, () => withCleanup(async (defer) => {
    const relay = await startRelay();
    defer(() => relay.stop());
    const files = scratch(defer);
    const cli = cliReceive(relay, files, defer);
    const first = await cli.event('code');

    const wrong = jsSender(relay, wrongCodeFor(first.code));
    const error = await failureOf(wrong.handle.done, 'the wrong code');
    assert.equal(error.code, 'wrong_code');

    const failed = await cli.event('attempt_failed');
    assert.deepEqual(failed, {
      event: 'attempt_failed',
      reason: 'wrong_code',
      message: 'A wrong code was entered on another device (a typo, or someone guessing)',
      failures: 1,
      limit: 3,
    });
    await said(cli, /A wrong code was entered on another device \(a typo, or someone guessing\)\. Failed attempts: 1 of 3\. Here is a fresh code:/);
    const second = await nthEvent(cli, 'code', 2);
    assert.notEqual(second.code, first.code, 'a fresh code');
    assert.equal(eventsOf(cli, 'waiting_confirmation').length, 0, 'nobody was asked to accept anything');

    const right = jsSender(relay, second.code);
    await right.verified();
    await right.handle.confirm();
    await cli.event('waiting_confirmation');
    cli.answer('y');
    assert.deepEqual(await bounded(right.handle.done, 'the JS sender'), { accepted: true });
    assert.equal(await exitOf(cli), 0, printed(cli));
    assert.deepEqual(readFileSync(files.out), Buffer.from(CREDENTIAL, 'utf8'));
  }));
