// The code machines (web/src/code_receiver.js, code_sender.js) against
// tests/vectors/code-v1.json and each other: the vector's pairing byte for
// byte through the machines, every failure case ending the machine it is
// sent to with its reason, and the code mode's rules (ABORT only after the
// peer's tag verified, wrong_code at the sender between PAKE_S and a
// verified CONFIRM_R, every ending after PAKE_S shown as a possible attack
// unless it is wrong_code or the user's own, the receiver's attempt count).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hexDecode, hexEncode } from '../../web/src/bytes.js';
import { codeOf, dammDigit, parseTypedCode } from '../../web/src/code.js';
import { CodeAttempts, CodeReceiver } from '../../web/src/code_receiver.js';
import { CodeSender } from '../../web/src/code_sender.js';
import { credentialJsonFromText, MessageType } from '../../web/src/protocol.js';
import { abortedOf, drawingFrom, framesOf, kinds, scriptedRandom, transcriptMachines } from './support.mjs';

const v = JSON.parse(readFileSync(new URL('../vectors/code-v1.json', import.meta.url), 'utf8'));
const i = v.inputs;
const hex = hexDecode;
const frame = (type) => hex(v.frames.find((f) => f.type === type).hex);
const u32 = (digits) => Number(digits).toString(16).padStart(8, '0');
const credential = () => credentialJsonFromText(i.credential, i.label);

// The vector's receiver: N and P as 4-byte big-endian draws, then skR, sid, y_a.
async function vectorReceiver() {
  const random = scriptedRandom(u32(i.nameplate), u32(i.password), i.skR, i.sid, i.ya);
  const receiver = await CodeReceiver.create({ pageUrl: i.page_url }, drawingFrom(random));
  assert.equal(random.remaining(), 0, 'the receiver drew N, P, skR, sid and y_a at creation');
  return receiver;
}

// The vector's sender (y_b, then skE), with the code typed as `typed`.
async function vectorSender(typed = v.code, credentialJson = credential()) {
  const random = scriptedRandom(i.yb, i.skE);
  const sender = await CodeSender.create({ pageUrl: i.page_url, code: parseTypedCode(typed), credentialJson },
    drawingFrom(random));
  sender.random = random;
  return sender;
}

const only = (actions) => {
  const frames = framesOf(actions);
  assert.equal(frames.length, 1, `one frame in ${kinds(actions)}`);
  return frames[0];
};
const ofKind = (actions, kind) => actions.find((a) => a.kind === kind);

// A code with the same nameplate as `digits` and another password (and a valid check digit).
function otherPassword(digits) {
  const np = digits.slice(0, 7) + String((Number(digits[7]) + 1) % 10) + digits.slice(8, 13);
  return np + String(dammDigit(np));
}

// Fresh machines (system randomness) up to both sides having verified the other's tag.
async function verified() {
  const receiver = await CodeReceiver.create({ pageUrl: 'https://login.example.com/pair' });
  const sender = await CodeSender.create({ pageUrl: 'https://login.example.com/', code: parseTypedCode(receiver.code.digits),
    credentialJson: credential() });
  const pakeS = only(await sender.onFrame(only(await receiver.start())));
  const rActions = await receiver.onFrame(pakeS);
  assert.ok(ofKind(rActions, 'CodeVerified'));
  const sActions = await sender.onFrame(only(rActions));
  assert.deepEqual(kinds(sActions), ['CodeVerified']);
  return { receiver, sender };
}

function assertEnded(actions, reason, { detail, sendsAbort = false } = {}) {
  const ending = abortedOf(actions);
  assert.ok(ending, `an ending in ${kinds(actions)}`);
  assert.equal(ending.reason, reason);
  if (detail !== undefined) assert.equal(ending.detail, detail);
  assert.equal(kinds(actions).filter((k) => k === 'CloseConnection').length, 1);
  assert.equal(framesOf(actions).length, sendsAbort ? 1 : 0, sendsAbort ? 'ABORT sent' : 'nothing sent');
  if (sendsAbort) assert.equal(framesOf(actions)[0][0], MessageType.abort);
  assert.equal(ofKind(actions, 'DeliverCredential'), undefined);
}

test('the vector pairing through the two machines, byte for byte', async () => {
  const receiver = await vectorReceiver();
  assert.deepEqual(receiver.code, { digits: v.code, display: v.display, spoken: v.spoken });
  assert.equal(receiver.cid.text, v.cid);
  const sender = await vectorSender();
  assert.equal(sender.cid.text, v.cid);

  const pakeR = only(await receiver.start());
  assert.equal(hexEncode(pakeR), hexEncode(frame('PAKE_R')));
  const pakeS = only(await sender.onFrame(pakeR));
  assert.equal(hexEncode(pakeS), hexEncode(frame('PAKE_S')));
  assert.equal(sender.random.remaining(), 0, 'the sender drew y_b and skE on PAKE_R');
  const rVerified = await receiver.onFrame(pakeS);
  assert.deepEqual(kinds(rVerified), ['SendFrame', 'CodeVerified']);
  assert.equal(hexEncode(only(rVerified)), hexEncode(frame('CONFIRM_R')));
  assert.equal(receiver.code, null, 'the code is forgotten once a sender proved it');
  assert.deepEqual(kinds(await sender.onFrame(only(rVerified))), ['CodeVerified']);

  const credentialFrame = only(await sender.onUserConfirmed());
  assert.equal(hexEncode(credentialFrame), hexEncode(frame('CREDENTIAL')));
  const asked = await receiver.onFrame(credentialFrame);
  assert.deepEqual(asked, [{ kind: 'AskToAccept', label: i.label }]);
  const delivered = await receiver.onUserConfirmed();
  assert.equal(delivered[0].kind, 'DeliverCredential');
  assert.equal(delivered[0].credential.text, i.credential);
  const resulted = await receiver.onCredentialHandled(true);
  assert.deepEqual(kinds(resulted), ['SendFrame', 'CloseConnection']);
  assert.equal(hexEncode(only(resulted)), hexEncode(frame('RESULT')));
  const shown = await sender.onFrame(only(resulted));
  assert.deepEqual(shown, [{ kind: 'ShowResult', accepted: true, reason: '' }, { kind: 'CloseConnection' }]);
  assert.equal(receiver.state, 'done');
  assert.equal(sender.state, 'done');
  assert.equal(receiver.holdsSecrets, false);
  assert.equal(sender.holdsSecrets, false);
});

// The vector's machine a failure case is sent to, after the frames it names.
async function machineFor(c) {
  if (c.to === 'receiver') {
    const r = await vectorReceiver();
    await r.start();
    for (const name of c.after) assert.ok(ofKind(await r.onFrame(frame(name)), 'CodeVerified'), c.name);
    return r;
  }
  const s = await vectorSender();
  for (const name of c.after) assert.equal(framesOf(await s.onFrame(frame(name))).length, 1, c.name);
  return s;
}

test('every failure case of code-v1.json ends the machine it is sent to with its reason', async () => {
  let counted = 0;
  for (const c of v.failures) {
    if (c.to === 'qr_sender') {
      const { sender } = await transcriptMachines();
      await sender.start();
      assertEnded(await sender.onFrame(hex(c.frame)), c.expect, { sendsAbort: true });
      counted += 1;
      continue;
    }
    const machine = await machineFor(c);
    const actions = await machine.onFrame(hex(c.frame));
    // PAKE_S sent or received: every ending but wrong_code is shown as a possible attack.
    const pakeExchanged = c.after.length > 0 || (c.to === 'receiver' && hex(c.frame)[0] === 0x08);
    const shown = pakeExchanged && c.expect !== 'wrong_code' ? 'possible_attack' : c.expect;
    // Only the receiver that verified tag_S (after PAKE_S) tells the sender.
    const sendsAbort = c.to === 'receiver' && c.after.includes('PAKE_S');
    assertEnded(actions, shown, { detail: shown === c.expect ? '' : c.expect, sendsAbort });
    assert.equal(machine.state, 'aborted', c.name);
    assert.equal(machine.failure, shown, c.name);
    assert.equal(machine.holdsSecrets, false, c.name);
    assert.deepEqual(await machine.onFrame(hex(c.frame)), [], `${c.name}: nothing after the end`);
    counted += 1;
  }
  assert.equal(counted, v.failures.length);
  assert.equal(counted, 19);
});

test('a wrong code: the receiver says wrong_code and sends nothing; the sender, left waiting, times out as wrong_code', async () => {
  const receiver = await vectorReceiver();
  const sender = await vectorSender(otherPassword(v.code));
  const pakeS = only(await sender.onFrame(only(await receiver.start())));
  assertEnded(await receiver.onFrame(pakeS), 'wrong_code', { detail: '' });
  assertEnded(await sender.onTimeout(), 'wrong_code', { detail: 'timeout' });
});

test('between PAKE_S and a verified CONFIRM_R every ending at the sender is wrong_code, but its user\'s cancel', async () => {
  for (const reason of ['network', 'expired', 'peer_aborted', 'timeout', 'intrusion']) {
    const receiver = await vectorReceiver();
    const sender = await vectorSender();
    await sender.onFrame(only(await receiver.start()));
    assertEnded(await sender.cancel(reason), 'wrong_code', { detail: reason });
  }
  const receiver = await vectorReceiver();
  const sender = await vectorSender();
  await sender.onFrame(only(await receiver.start()));
  assertEnded(await sender.cancel(), 'user_cancelled', { detail: '' });
  // Before PAKE_S a timeout is a timeout (no receiver answered).
  const early = await vectorSender();
  assertEnded(await early.onTimeout(), 'timeout', { detail: '' });
  assert.equal(early.pakeSent, false);
});

test('ABORT only after the peer\'s tag verified: neither side sends one before, and one received before is not genuine', async () => {
  const receiver = await vectorReceiver();
  await receiver.start();
  assertEnded(await receiver.cancel('timeout'), 'timeout', { detail: '' }); // waiting for PAKE_S: no ABORT
  const r2 = await vectorReceiver();
  await r2.start();
  const abort = new Uint8Array(145);
  abort[0] = MessageType.abort;
  assertEnded(await r2.onFrame(abort), 'unexpected_message', { detail: '' });

  const sender = await vectorSender();
  await sender.onFrame(frame('PAKE_R'));
  // A sender that has not verified tag_R sends nothing and believes no ABORT.
  assertEnded(await sender.onFrame(abort), 'possible_attack', { detail: 'unexpected_message' });
  const s2 = await vectorSender();
  await s2.onFrame(frame('PAKE_R'));
  const flipped = frame('CONFIRM_R');
  flipped[10] ^= 1;
  assertEnded(await s2.onFrame(flipped), 'wrong_code', { detail: '' });
  assert.equal(s2.credentialSent, false);
});

test('after PAKE_S every ending is shown as a possible attack, and a side that verified its peer tells it with ABORT', async () => {
  const a = await verified();
  assertEnded(await a.receiver.onTimeout(), 'possible_attack', { detail: 'timeout', sendsAbort: true });
  const b = await verified();
  assertEnded(await b.sender.cancel('network'), 'possible_attack', { detail: 'network', sendsAbort: true });
  const c = await verified();
  const again = await c.receiver.onFrame(frame('PAKE_S'));
  assertEnded(again, 'possible_attack', { detail: 'unexpected_message', sendsAbort: true });
  const d = await verified();
  assertEnded(await d.sender.onFrame(frame('PAKE_R')), 'possible_attack', { detail: 'unexpected_message', sendsAbort: true });
});

test('the receiver\'s user refusing the login sends ABORT; the sender shows a possible attack with its reason', async () => {
  const { receiver, sender } = await verified();
  const asked = await receiver.onFrame(only(await sender.onUserConfirmed()));
  assert.equal(ofKind(asked, 'AskToAccept').label, "Alice's phone");
  const refused = await receiver.onUserRejected();
  assertEnded(refused, 'user_cancelled', { sendsAbort: true });
  assertEnded(await sender.onFrame(only(refused)), 'possible_attack', { detail: 'user_cancelled' });

  const other = await verified();
  const senderRefused = await other.sender.onUserRejected();
  assertEnded(senderRefused, 'user_cancelled', { sendsAbort: true });
  assertEnded(await other.receiver.onFrame(only(senderRefused)), 'possible_attack', { detail: 'user_cancelled' });
});

async function deferredVerified() {
  const receiver = await CodeReceiver.create({ pageUrl: 'https://login.example.com' });
  const sender = await CodeSender.create({ pageUrl: 'https://login.example.com', code: parseTypedCode(receiver.code.digits) });
  await sender.onFrame(only(await receiver.onFrame(only(await sender.onFrame(only(await receiver.start()))))));
  return { receiver, sender };
}

test('a deferred sender takes its credential only when its user confirms', async () => {
  const r = await CodeReceiver.create({ pageUrl: 'https://login.example.com' });
  const s = await CodeSender.create({ pageUrl: 'https://login.example.com', code: parseTypedCode(r.code.digits) });
  const confirmR = only(await r.onFrame(only(await s.onFrame(only(await r.start())))));
  await s.onFrame(confirmR);
  assertEnded(await (await deferredVerified()).sender.onUserConfirmed(), 'invalid_event', { sendsAbort: true });
  const asked = await r.onFrame(only(await s.onUserConfirmed(credential())));
  assert.equal(ofKind(asked, 'AskToAccept').label, i.label);
  const none = await CodeSender.create({ pageUrl: 'https://login.example.com', code: parseTypedCode(v.code) });
  assert.ok(none.holdsSecrets);
});

test('a code typed into another application\'s page fails as a wrong code', async () => {
  const receiver = await CodeReceiver.create({ pageUrl: 'https://login.example.com' });
  const sender = await CodeSender.create({ pageUrl: 'https://login.example.org', code: parseTypedCode(receiver.code.digits),
    credentialJson: credential() });
  const pakeS = only(await sender.onFrame(only(await receiver.start())));
  assertEnded(await receiver.onFrame(pakeS), 'wrong_code');
  const same = await CodeReceiver.create({ pageUrl: 'https://LOGIN.Example.com:443/pair?x' });
  const s2 = await CodeSender.create({ pageUrl: 'https://login.example.com', code: parseTypedCode(same.code.digits) });
  assert.ok(ofKind(await same.onFrame(only(await s2.onFrame(only(await same.start())))), 'CodeVerified'));
});

test('the attempts: three endings after a sender joined stop the receiver; its user\'s cancel and unused codes do not count', async () => {
  const attempts = new CodeAttempts();
  const unused = await CodeReceiver.create({ pageUrl: 'https://login.example.com' });
  await unused.start();
  await unused.onTimeout();
  assert.equal(attempts.record(unused), false);
  const cancelled = await CodeReceiver.create({ pageUrl: 'https://login.example.com' });
  await cancelled.start();
  await cancelled.onPeer('joined');
  await cancelled.cancel();
  assert.equal(attempts.record(cancelled), false);
  assert.equal(attempts.failures, 0);
  const silent = await CodeReceiver.create({ pageUrl: 'https://login.example.com' });
  await silent.start();
  await silent.onPeer('joined');
  assertEnded(await silent.onTimeout(), 'timeout');
  assert.equal(attempts.record(silent), false);
  assert.equal(attempts.failures, 1, 'a sender that joined and never sent PAKE_S counts');
  for (let n = 2; n <= CodeAttempts.LIMIT; n += 1) {
    const receiver = await CodeReceiver.create({ pageUrl: 'https://login.example.com' });
    const sender = await CodeSender.create({ pageUrl: 'https://login.example.com', code: parseTypedCode(otherPassword(receiver.code.digits)) });
    await receiver.onFrame(only(await sender.onFrame(only(await receiver.start()))));
    assert.equal(receiver.failure, 'wrong_code');
    assert.equal(attempts.record(receiver), n === CodeAttempts.LIMIT);
  }
  assert.equal(attempts.exhausted, true);
  attempts.reset();
  assert.equal(attempts.exhausted, false);
});

test('a PAKE_R to a QR receiver and a HELLO to a code receiver are unexpected: no downgrade', async () => {
  const { receiver } = await transcriptMachines();
  assertEnded(await receiver.onFrame(frame('PAKE_R')), 'unexpected_message');
  const code = await vectorReceiver();
  await code.start();
  const hello = new Uint8Array(65);
  hello[0] = MessageType.hello;
  assertEnded(await code.onFrame(hello), 'unexpected_message');
});

test('codes drawn by machines are valid and differ; a page URL that is not http(s) is refused', async () => {
  const a = await CodeReceiver.create({ pageUrl: 'https://login.example.com' });
  const b = await CodeReceiver.create({ pageUrl: 'https://login.example.com' });
  assert.notEqual(a.code.digits, b.code.digits);
  assert.equal(parseTypedCode(a.code.display).code, a.code.digits);
  assert.equal(codeOf(a.nameplate, a.code.digits.slice(7, 13)).code, a.code.digits);
  await assert.rejects(CodeReceiver.create({ pageUrl: 'ftp://login.example.com/' }), (e) => e.code === 'bad_url');
  await assert.rejects(CodeSender.create({ pageUrl: 'nope', code: parseTypedCode(v.code) }), (e) => e.code === 'bad_url');
});
