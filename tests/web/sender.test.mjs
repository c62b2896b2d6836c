// The sender machine's error paths, mirroring the receiver's: every invalid
// event ends in `aborted` with the C++ core's reason and drops the secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexEncode, utf8Encode } from '../../web/src/bytes.js';
import { parseLink, buildLink } from '../../web/src/link.js';
import { credentialJsonFromText, MessageType, resultBody, STATUS_FRAME_BYTES } from '../../web/src/protocol.js';
import { Sender } from '../../web/src/sender.js';
import { QrloginError } from '../../web/src/reason.js';
import {
  transcript as t, hex, frameOf, scriptedRandom, drawingFrom, kinds, abortedOf, flipBit, transcriptMachines, manualResponder,
} from './support.mjs';

const closedWithoutAbort = (reason, detail = '') => [{ kind: 'Aborted', reason, detail }, { kind: 'CloseConnection' }];

async function senderAt(step) {
  const machines = await transcriptMachines();
  const { sender, receiver } = machines;
  if (step === 'fresh') return machines;
  const [hello] = (await sender.start()).map((a) => a.frame);
  machines.readyActions = await receiver.onFrame(hello);
  if (step === 'started') return machines;
  await sender.onFrame(frameOf('READY'));
  if (step === 'codes') return machines;
  await sender.onUserConfirmed();
  return machines;
}

// The receiver opens the sender's ABORT and reports its reason.
// What the receiver makes of the sender's ABORT. Before REVEAL (the
// receiver waits for it after READY) any ABORT is a possible attack, with
// the sender's code as detail.
async function assertReceiverSees(receiver, frame, reason, seenAs = reason) {
  const seen = await receiver.onFrame(frame);
  assert.deepEqual(seen, [{ kind: 'Aborted', reason: seenAs, detail: reason }, { kind: 'CloseConnection' }]);
}

test('the sender draws nothing until start, then the ephemeral key and Ns', async () => {
  const random = scriptedRandom(t.skE, t.Ns);
  const sender = await Sender.create(parseLink(t.link), credentialJsonFromText(t.credential, t.label), drawingFrom(random));
  assert.equal(random.draws.length, 0);
  const actions = await sender.start();
  assert.deepEqual(random.draws, [32, 32]);
  assert.equal(hexEncode(actions[0].frame), t.frames[0].hex);
});

test('J over 65536 bytes is refused before anything is sent', async () => {
  const big = 'a'.repeat(65536 - '{"credential":""}'.length);
  assert.equal(credentialJsonFromText(big).length, 65536);
  assert.throws(() => credentialJsonFromText(big + 'a'), (e) => e instanceof QrloginError && e.code === 'limit_exceeded');
  await assert.rejects(Sender.create(parseLink(t.link), new Uint8Array(65537)), (e) => e.code === 'limit_exceeded');
});

test('start is valid once', async () => {
  const { sender, receiver } = await senderAt('started');
  const actions = await sender.start();
  assert.deepEqual(kinds(actions), ['SendFrame', 'Aborted', 'CloseConnection']);
  assert.equal(abortedOf(actions).reason, 'invalid_event');
  await assertReceiverSees(receiver, actions[0].frame, 'invalid_event', 'possible_attack');
});

test('READY before start, or a message only a sender sends, is unexpected', async () => {
  const fresh = await senderAt('fresh');
  assert.deepEqual(await fresh.sender.onFrame(frameOf('READY')), closedWithoutAbort('unexpected_message'));
  assert.equal(fresh.sender.holdsSecrets, false);
  for (const type of ['HELLO', 'REVEAL', 'CREDENTIAL']) {
    const { sender, receiver } = await senderAt('started');
    const actions = await sender.onFrame(frameOf(type));
    assert.deepEqual(kinds(actions), ['SendFrame', 'Aborted', 'CloseConnection'], type);
    assert.equal(abortedOf(actions).reason, 'unexpected_message');
    await assertReceiverSees(receiver, actions[0].frame, 'unexpected_message', 'possible_attack');
  }
});

test('a flipped bit in READY aborts without showing a code', async () => {
  const ready = frameOf('READY');
  for (let bit = 0; bit < ready.length * 8; bit += bit < 8 ? 1 : 5) {
    const { sender } = await senderAt('started');
    const actions = await sender.onFrame(flipBit(ready, bit));
    const type = ready[0] ^ (1 << bit);
    const expected = bit >= 8 ? 'bad_message' : type === MessageType.abort ? 'peer_aborted' : 'unexpected_message';
    assert.equal(sender.failure, expected, `bit ${bit}`);
    assert.ok(!kinds(actions).includes('ShowSas'));
    assert.equal(sender.sas, '');
    assert.equal(sender.holdsSecrets, false);
  }
});

// After READY every ending but the user's own is shown as a possible
// attack, the precise reason the detail (rev. 3).
const attackFor = (detail) => ({ kind: 'Aborted', reason: 'possible_attack', detail });

test('a second READY, or RESULT before the credential was sent, is unexpected: a possible attack', async () => {
  const { sender } = await senderAt('codes');
  assert.deepEqual(abortedOf(await sender.onFrame(frameOf('READY'))), attackFor('unexpected_message'));
  const early = await senderAt('codes');
  assert.deepEqual(abortedOf(await early.sender.onFrame(frameOf('RESULT'))), attackFor('unexpected_message'));
});

test('a flipped bit in RESULT is a bad message: a possible attack', async () => {
  const result = frameOf('RESULT');
  for (let bit = 8; bit < result.length * 8; bit += 11) {
    const { sender } = await senderAt('sent');
    assert.deepEqual(abortedOf(await sender.onFrame(flipBit(result, bit))), attackFor('bad_message'), `bit ${bit}`);
  }
});

test('RESULT is 145 bytes; the old unpadded one is a bad message', async () => {
  assert.equal(frameOf('RESULT').length, STATUS_FRAME_BYTES);
  const ok = await senderAt('sent');
  const responder = await manualResponder();
  const result = await responder.seal(MessageType.result, resultBody(true));
  assert.deepEqual(result, frameOf('RESULT'));
  const unpadded = await senderAt('sent');
  const old = await (await manualResponder()).seal(MessageType.result, utf8Encode('{"accepted":true}'));
  assert.deepEqual(abortedOf(await unpadded.sender.onFrame(old)), attackFor('bad_message'));
  assert.deepEqual(kinds(await ok.sender.onFrame(result)), ['ShowResult', 'CloseConnection']);
});

test('every invalid status body of the transcript is a possible attack, as RESULT or as ABORT', async () => {
  const { as_result: asResult, as_abort_after_ready: asAbort, cases } = t.invalid_status_bodies;
  for (const c of cases) {
    const waiting = await senderAt('sent');
    const result = await (await manualResponder()).seal(MessageType.result, hex(c.plaintext_hex));
    const actions = await waiting.sender.onFrame(result);
    assert.ok(!kinds(actions).includes('ShowResult'), c.why);
    assert.deepEqual(abortedOf(actions), { kind: 'Aborted', ...asResult }, c.why);
    assert.equal(waiting.sender.holdsSecrets, false);

    const atCodes = await senderAt('codes');
    const abort = await (await manualResponder()).seal(MessageType.abort, hex(c.plaintext_hex));
    assert.deepEqual(await atCodes.sender.onFrame(abort), [{ kind: 'Aborted', ...asAbort }, { kind: 'CloseConnection' }], c.why);
  }
  console.log(`cases: invalid status bodies into the sender ${cases.length} as RESULT and as ABORT, all possible_attack`);
});

test('a refusing RESULT shows the answer and ends as rejected, with the reason as detail', async () => {
  const { sender, receiver } = await senderAt('fresh');
  const [hello] = (await sender.start()).map((a) => a.frame);
  const [ready] = (await receiver.onFrame(hello)).map((a) => a.frame);
  const [reveal] = (await sender.onFrame(ready)).filter((a) => a.kind === 'SendFrame').map((a) => a.frame);
  await receiver.onFrame(reveal);
  await receiver.onUserConfirmed();
  await receiver.onFrame((await sender.onUserConfirmed())[0].frame);
  const [result] = (await receiver.onCredentialHandled(false, 'unknown grant')).filter((a) => a.kind === 'SendFrame');
  assert.deepEqual(await sender.onFrame(result.frame), [
    { kind: 'ShowResult', accepted: false, reason: 'unknown grant' },
    ...closedWithoutAbort('rejected', 'unknown grant'),
  ]);
  assert.equal(sender.holdsSecrets, false);
});

test('the sender rejecting the code sends the transcript ABORT; before the code it is a cancel', async () => {
  const { sender } = await senderAt('codes');
  const actions = await sender.onUserRejected();
  assert.equal(hexEncode(actions[0].frame), t.aborts[0].hex);
  assert.equal(abortedOf(actions).reason, 'sas_mismatch');
  assert.equal(sender.holdsSecrets, false);
  const fresh = await senderAt('fresh');
  assert.deepEqual(await fresh.sender.onUserRejected(), closedWithoutAbort('user_cancelled'));
});

test('a typed code must match; confirming before the code is shown is an invalid event', async () => {
  const digits = t.sas.replace(' ', '');
  const wrong = await senderAt('codes');
  const actions = await wrong.sender.onUserTyped('000 000' === t.sas ? '000001' : '000000');
  assert.equal(abortedOf(actions).reason, 'sas_mismatch');
  const right = await senderAt('codes');
  const sent = await right.sender.onUserTyped(digits);
  assert.equal(hexEncode(sent[0].frame), t.frames[3].hex);
  const early = await senderAt('started');
  assert.equal(abortedOf(await early.sender.onUserConfirmed()).reason, 'invalid_event');
});

test('intrusion before start closes quietly; after the code, the receiver is told', async () => {
  const fresh = await senderAt('fresh');
  assert.deepEqual(await fresh.sender.onIntrusion(), closedWithoutAbort('intrusion'));
  const codes = await senderAt('codes');
  const actions = await codes.sender.onIntrusion();
  assert.deepEqual(kinds(actions), ['SendFrame', 'Aborted', 'CloseConnection']);
  await codes.receiver.onFrame(frameOf('REVEAL'));
  await assertReceiverSees(codes.receiver, actions[0].frame, 'intrusion', 'possible_attack');
});

test('a timeout before READY is a timeout; after it a possible attack', async () => {
  for (const step of ['fresh', 'started']) {
    const { sender } = await senderAt(step);
    assert.equal(abortedOf(await sender.onTimeout()).reason, 'timeout', step);
  }
  for (const step of ['codes', 'sent']) {
    const { sender } = await senderAt(step);
    assert.deepEqual(abortedOf(await sender.onTimeout()), attackFor('timeout'), step);
  }
});

test("the receiver's ABORT after READY is a possible attack, its reason the detail", async () => {
  const { sender } = await senderAt('codes');
  assert.deepEqual(await sender.onFrame(hex(t.aborts[1].hex)), closedWithoutAbort('possible_attack', 'sas_mismatch'));
});

test('a link whose key is a low-order point is refused at start as bad_key', async () => {
  const link = parseLink(buildLink(t.page_url, new Uint8Array(32)));
  const sender = await Sender.create(link, utf8Encode('{"credential":"x"}'), drawingFrom(scriptedRandom(t.skE)));
  assert.deepEqual(await sender.start(), closedWithoutAbort('bad_key'));
});
