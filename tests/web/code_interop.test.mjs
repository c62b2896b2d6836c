// Pairing by a typed code through the real relay (code channels), the
// browser library run in Node with the `ws` WebSocket: JS code receiver <->
// JS code sender, a wrong code on both sides and the fresh code that
// follows, the three-attempt stop, someone else's code in use, a code no
// device shows, a code this page already spent, and an unused code that
// expires (--code-lifetime 2s).
import test from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { dammDigit } from '../../web/src/code.js';
import { memoryStorage, wrongCodeFor } from './typed_codes.mjs';
import { spentNameplatesIn, startCodeReceiver, startCodeSender } from '../../web/src/qrlogin.js';
import { startRelay, withCleanup } from '../browser/harness.mjs';

// A code receiver whose codes arrive, in order, through next().
function codeReceiver(relay, options = {}) {
  const codes = [];
  const waiters = [];
  const statuses = [];
  const credentials = [];
  const labels = [];
  let verified = 0;
  const handle = startCodeReceiver({
    page: `${relay.origin}/pair`,
    WebSocket,
    onCode: (code, info) => {
      const entry = { code, info };
      if (waiters.length) waiters.shift()(entry);
      else codes.push(entry);
    },
    onVerified: () => { verified += 1; },
    onAccept: async ({ label }) => { labels.push(label); return true; },
    onCredential: (c) => { credentials.push(c); return true; },
    onStatus: (s) => statuses.push(s),
    ...options,
  });
  const next = () => (codes.length ? Promise.resolve(codes.shift()) : new Promise((r) => waiters.push(r)));
  return { handle, next, statuses, credentials, labels, verified: () => verified };
}

// A fresh spent store per sender unless given: each stands for another phone.
function codeSender(relay, typed, credential, options = {}) {
  let resolveVerified;
  const verified = new Promise((r) => { resolveVerified = r; });
  const results = [];
  const handle = startCodeSender(typed, credential, {
    page: `${relay.origin}/pair`,
    WebSocket,
    label: 'node phone',
    spent: spentNameplatesIn(memoryStorage()),
    onVerified: () => resolveVerified(),
    onResult: (r) => results.push(r),
    ...options,
  });
  return { handle, verified, results };
}



const failureOf = (promise) => promise.then(() => assert.fail('expected a failure'), (e) => e);

test('JS code receiver <-> JS code sender through the relay', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const receiver = codeReceiver(relay);
  defer(() => receiver.handle.cancel());
  const { code, info } = await receiver.next();
  assert.match(code.digits, /^[0-9]{14}$/);
  assert.match(code.display, /^[0-9]{3} [0-9]{4} - [0-9]{3} [0-9]{4}$/);
  assert.ok(info.expiresInMs > 0);
  const sender = codeSender(relay, code.display, { grant: 'g-1' });
  await sender.verified;
  await sender.handle.confirm();
  assert.deepEqual(await sender.handle.done, { accepted: true });
  assert.deepEqual(await receiver.handle.done, { accepted: true });
  assert.equal(receiver.verified(), 1);
  assert.deepEqual(receiver.labels, ['node phone']);
  assert.deepEqual(JSON.parse(receiver.credentials[0].text), { grant: 'g-1' });
  assert.deepEqual(sender.results, [{ accepted: true, reason: '' }]);
}));

test('a wrong code: wrong_code on both sides, a fresh code shown, and the right one then pairs', { timeout: 90_000 },
  () => withCleanup(async (defer) => {
    const relay = await startRelay();
    defer(() => relay.stop());
    const receiver = codeReceiver(relay);
    defer(() => receiver.handle.cancel());
    const first = await receiver.next();
    const spent = spentNameplatesIn(memoryStorage());
    const wrong = codeSender(relay, wrongCodeFor(first.code.digits), 'token-1', { spent });
    const error = await failureOf(wrong.handle.done);
    assert.equal(error.code, 'wrong_code');
    const second = await receiver.next();
    assert.notEqual(second.code.digits, first.code.digits, 'a fresh code');
    assert.equal(second.info.previous.code, 'wrong_code');
    assert.equal(second.info.failures, 1);
    assert.ok(receiver.statuses.some((s) => s.status === 'attempt_failed' && s.error.code === 'wrong_code'));
    assert.throws(() => codeSender(relay, wrongCodeFor(first.code.digits), 'token-1', { spent }),
      (e) => e.code === 'code_spent', 'the same phone refuses a code it already tried');
    const right = codeSender(relay, second.code.digits, 'token-2');
    await right.verified;
    await right.handle.confirm();
    await right.handle.done;
    assert.deepEqual(await receiver.handle.done, { accepted: true });
    assert.equal(receiver.credentials[0].text, 'token-2');
  }));

test('three wrong codes stop the receiver with too_many_attempts', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay();
  defer(() => relay.stop());
  const receiver = codeReceiver(relay);
  defer(() => receiver.handle.cancel());
  for (let n = 1; n <= 3; n += 1) {
    const { code } = await receiver.next();
    const sender = codeSender(relay, wrongCodeFor(code.digits), 'token');
    assert.equal((await failureOf(sender.handle.done)).code, 'wrong_code', `attempt ${n}`);
  }
  const error = await failureOf(receiver.handle.done);
  assert.equal(error.code, 'too_many_attempts');
  assert.equal(error.detail, 'wrong_code');
  assert.ok(receiver.statuses.some((s) => s.status === 'failed' && s.error.code === 'too_many_attempts'));
}));

test('someone else entered the code first: code_in_use; a code no device shows: expired', { timeout: 60_000 },
  () => withCleanup(async (defer) => {
    const relay = await startRelay();
    defer(() => relay.stop());
    const receiver = codeReceiver(relay);
    defer(() => receiver.handle.cancel());
    const { code } = await receiver.next();
    const first = codeSender(relay, code.digits, null);
    await first.verified;
    const second = codeSender(relay, code.digits, 'token');
    const inUse = await failureOf(second.handle.done);
    assert.equal(inUse.code, 'code_in_use');
    assert.match(inUse.message, /someone else entered this code first/);
    await first.handle.confirm('late-token');
    await first.handle.done;
    assert.equal((await receiver.handle.done).accepted, true);
    assert.equal(receiver.credentials[0].text, 'late-token');

    const np = String((Number(code.digits.slice(0, 7)) + 1) % 10_000_000).padStart(7, '0') + code.digits.slice(7, 13);
    const nobody = codeSender(relay, np + String(dammDigit(np)), 'x');
    const error = await failureOf(nobody.handle.done);
    assert.equal(error.code, 'expired');
    assert.match(error.message, /no device shows this code now/);
  }));

test('a typo is refused before anything is sent', () => {
  const relay = { origin: 'http://127.0.0.1:9' };
  for (const [typed, code] of [['482 1073 - 315 9066', 'code_check'], ['482 1073 - 315', 'code_length'], ['48210733159O65', 'code_chars']]) {
    assert.throws(() => codeSender(relay, typed, 'x'), (e) => e.code === code, typed);
  }
});

test('an unused code expires at the relay and a fresh one is shown, not counted as an attempt', { timeout: 60_000 },
  () => withCleanup(async (defer) => {
    const relay = await startRelay({ args: ['--code-lifetime', '2s'] });
    defer(() => relay.stop());
    const receiver = codeReceiver(relay);
    defer(() => receiver.handle.cancel());
    const first = await receiver.next();
    assert.ok(first.info.expiresInMs <= 2000);
    const second = await receiver.next();
    assert.notEqual(second.code.digits, first.code.digits);
    assert.deepEqual({ failures: second.info.failures, previous: second.info.previous }, { failures: 0, previous: null });
    const sender = codeSender(relay, second.code.digits, 'after-expiry');
    await sender.verified;
    await sender.handle.confirm();
    await sender.handle.done;
    assert.equal((await receiver.handle.done).accepted, true);
  }));
