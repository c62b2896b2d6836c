// The receiver machine's error paths: every invalid event ends in `aborted`
// with the C++ core's reason, tells the sender with ABORT once a context
// exists, delivers nothing and drops its secrets.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexEncode, utf8Encode } from '../../web/src/bytes.js';
import { abortBody, MessageType, padCredential, MAX_FRAME_BYTES, STATUS_BODY_BYTES, STATUS_FRAME_BYTES } from '../../web/src/protocol.js';
import { Receiver } from '../../web/src/receiver.js';
import {
  transcript as t, hex, frameOf, scriptedRandom, drawingFrom, kinds, framesOf, abortedOf, flipBit, transcriptMachines, manualSender,
} from './support.mjs';

const closedWithoutAbort = (reason) => [{ kind: 'Aborted', reason, detail: '' }, { kind: 'CloseConnection' }];

async function receiverAt(step) {
  const randomR = scriptedRandom(t.skR, t.Nr);
  const receiver = await Receiver.create({ pageUrl: t.page_url, autoAccept: step.endsWith('auto'), ...drawingFrom(randomR) });
  const sender = await manualSender();
  if (step === 'fresh') return { receiver, sender, randomR };
  await receiver.onFrame(frameOf('HELLO'));
  if (step === 'ready') return { receiver, sender, randomR };
  await receiver.onFrame(frameOf('REVEAL'));
  return { receiver, sender, randomR };
}

// What the sender reads in the receiver's ABORT or RESULT (response index
// 1): the JSON, after checking the frame's and the body's padded sizes.
async function abortReasonSeen(sender, frame) {
  assert.equal(frame.length, STATUS_FRAME_BYTES);
  await sender.openResponse(frameOf('READY'));
  const body = await sender.openResponse(frame);
  assert.equal(body.length, STATUS_BODY_BYTES);
  return new TextDecoder().decode(body).replace(/ +$/, '');
}

// `reason` is what the ABORT tells the sender; `shown` what this side's user
// sees: after READY a possible attack, `reason` the detail (rev. 3).
async function assertAbortedWithAbort(receiver, sender, actions, reason, shown = reason) {
  assert.deepEqual(kinds(actions), ['SendFrame', 'Aborted', 'CloseConnection']);
  assert.equal(abortedOf(actions).reason, shown);
  if (shown !== reason) assert.equal(abortedOf(actions).detail, reason);
  assert.equal(await abortReasonSeen(sender, actions[0].frame), JSON.stringify({ reason }));
  assert.equal(receiver.state, 'aborted');
  assert.equal(receiver.failure, shown);
  assert.equal(receiver.holdsSecrets, false);
}
const attack = 'possible_attack';

test('Nr is drawn only after HELLO arrived', async () => {
  const randomR = scriptedRandom(t.skR, t.Nr);
  const receiver = await Receiver.create({ pageUrl: t.page_url, ...drawingFrom(randomR) });
  assert.equal(randomR.draws.length, 1, 'only skR before HELLO');
  await receiver.onPeer('joined');
  assert.equal(randomR.draws.length, 1, 'a peer joining draws nothing');
  const ready = await receiver.onFrame(frameOf('HELLO'));
  assert.equal(randomR.draws.length, 2, 'Nr drawn by HELLO');
  assert.equal(hexEncode(ready[0].frame), t.frames[1].hex);
});

test('REVEAL, CREDENTIAL or ABORT before HELLO aborts without an ABORT frame (no context yet)', async () => {
  for (const frame of [frameOf('REVEAL'), frameOf('CREDENTIAL'), hex(t.aborts[0].hex)]) {
    const { receiver } = await receiverAt('fresh');
    assert.deepEqual(await receiver.onFrame(frame), closedWithoutAbort('unexpected_message'));
    assert.equal(receiver.holdsSecrets, false);
  }
});

test('a receiver-to-sender type, an unknown type or an empty frame is unexpected', async () => {
  for (const frame of [frameOf('READY'), frameOf('RESULT'), Uint8Array.of(0x07, 1, 2), Uint8Array.of(0x00), new Uint8Array(0)]) {
    const { receiver } = await receiverAt('fresh');
    assert.deepEqual(await receiver.onFrame(frame), closedWithoutAbort('unexpected_message'));
  }
});

test('a second HELLO aborts the pairing and tells the sender', async () => {
  for (const step of ['ready', 'codes']) {
    const { receiver, sender } = await receiverAt(step);
    const actions = await receiver.onFrame(frameOf('HELLO'));
    await assertAbortedWithAbort(receiver, sender, actions, 'unexpected_message', attack);
  }
});

test('a HELLO of the wrong size is a bad message; a low-order enc is a bad key', async () => {
  for (const frame of [frameOf('HELLO').subarray(0, 64), Uint8Array.of(...frameOf('HELLO'), 0)]) {
    const { receiver } = await receiverAt('fresh');
    assert.deepEqual(await receiver.onFrame(frame), closedWithoutAbort('bad_message'));
  }
  const { receiver } = await receiverAt('fresh');
  const lowOrder = Uint8Array.of(MessageType.hello, ...new Uint8Array(32), ...new Uint8Array(32));
  assert.deepEqual(await receiver.onFrame(lowOrder), closedWithoutAbort('bad_key'));
});

test('a REVEAL that does not match the commitment is bad_commit', async () => {
  for (const bit of [0, 77, 255]) {
    const { receiver } = await receiverAt('fresh');
    const sender = await manualSender();
    const hello = frameOf('HELLO');
    const tampered = flipBit(hello, 8 * 33 + bit); // a bit of the commit
    await receiver.onFrame(tampered);
    const actions = await receiver.onFrame(frameOf('REVEAL'));
    await assertAbortedWithAbort(receiver, sender, actions, 'bad_commit', attack);
    assert.equal(receiver.sas, '', 'no code is shown');
  }
});

// The reason a flipped bit must give: a changed type byte makes another
// (unexpected) message, or an ABORT that cannot be opened; a changed enc
// makes REVEAL undecryptable; a changed commit no longer matches REVEAL.
function reasonForFlip(type, frame, bit) {
  if (bit < 8) return (frame[0] ^ (1 << bit)) === MessageType.abort && type !== 'HELLO' ? 'peer_aborted' : 'unexpected_message';
  if (type === 'HELLO' && bit >= 8 * 33) return 'bad_commit';
  return 'bad_message';
}

test('a flipped bit anywhere in HELLO, REVEAL or CREDENTIAL aborts with its reason and delivers nothing', async () => {
  const cases = [['HELLO', 'fresh', 3], ['REVEAL', 'ready', 3], ['CREDENTIAL', 'codes-auto', 13]];
  for (const [type, step, stride] of cases) {
    const frame = frameOf(type);
    for (let bit = 0; bit < frame.length * 8; bit += bit < 8 ? 1 : stride) {
      const { receiver } = await receiverAt(step);
      let actions = await receiver.onFrame(flipBit(frame, bit));
      // A HELLO with another enc or commit is accepted; REVEAL then fails.
      if (receiver.state === 'waiting_for_reveal') actions = await receiver.onFrame(frameOf('REVEAL'));
      // Past HELLO's type byte, READY went out: a possible attack, the
      // precise reason the detail (an unopenable ABORT: unreadable).
      const precise = reasonForFlip(type, frame, bit);
      if (type === 'HELLO' && bit < 8) {
        assert.equal(receiver.failure, precise, `${type} bit ${bit}`);
      } else {
        assert.equal(receiver.failure, attack, `${type} bit ${bit}`);
        assert.equal(abortedOf(actions).detail, precise === 'peer_aborted' ? 'unreadable' : precise, `${type} bit ${bit}`);
      }
      assert.ok(!kinds(actions).includes('DeliverCredential') && !kinds(actions).includes('ShowSas'));
      assert.equal(receiver.holdsSecrets, false);
    }
  }
});

test('a replayed REVEAL or CREDENTIAL is unexpected', async () => {
  const { receiver, sender } = await receiverAt('codes');
  await assertAbortedWithAbort(receiver, sender, await receiver.onFrame(frameOf('REVEAL')), 'unexpected_message', attack);

  const second = await receiverAt('codes');
  assert.deepEqual(await second.receiver.onFrame(frameOf('CREDENTIAL')), []);
  const actions = await second.receiver.onFrame(frameOf('CREDENTIAL'));
  await assertAbortedWithAbort(second.receiver, second.sender, actions, 'unexpected_message', attack);
});

test('bad padding and J over 65536 bytes are bad_credential (every invalid_padding case)', async () => {
  for (const c of t.invalid_padding) {
    const { receiver } = await receiverAt('codes');
    const sender = await manualSender();
    await sender.seal(MessageType.reveal, hex(t.Ns));
    const frame = await sender.seal(MessageType.credential, hex(c.plaintext_hex));
    const actions = await receiver.onFrame(frame);
    assert.deepEqual(abortedOf(actions), { kind: 'Aborted', reason: attack, detail: 'bad_credential' }, c.why);
    assert.equal(receiver.holdsSecrets, false);
  }
});

test('non-JSON, JSON without "credential", a non-string label and nesting over 32 levels are bad_credential', async () => {
  const bodies = ['{"credential":1', '{"credentials":"x"}', '{"credential":"x","label":7}',
    `{"credential":${'['.repeat(32)}${']'.repeat(32)}}`, '{"credential":"\\ud800"}'];
  for (const body of bodies) {
    const { receiver } = await receiverAt('codes');
    const sender = await manualSender();
    await sender.seal(MessageType.reveal, hex(t.Ns));
    const actions = await receiver.onFrame(await sender.seal(MessageType.credential, padCredential(utf8Encode(body))));
    assert.deepEqual(abortedOf(actions), { kind: 'Aborted', reason: attack, detail: 'bad_credential' }, body);
  }
});

test('a CREDENTIAL frame over 65809 bytes is a bad message', async () => {
  const { receiver } = await receiverAt('codes');
  const actions = await receiver.onFrame(new Uint8Array(MAX_FRAME_BYTES + 1).fill(MessageType.credential, 0, 1));
  assert.deepEqual(abortedOf(actions), { kind: 'Aborted', reason: attack, detail: 'bad_message' });
});

test('the credential is delivered only after the receiver confirmed, in either order', async () => {
  const first = await receiverAt('codes');
  assert.deepEqual(await first.receiver.onUserConfirmed(), []);
  const delivered = await first.receiver.onFrame(frameOf('CREDENTIAL'));
  assert.deepEqual(kinds(delivered), ['DeliverCredential']);
  assert.equal(delivered[0].credential.text, t.delivered_credential);

  const auto = await receiverAt('codes-auto');
  assert.deepEqual(kinds(await auto.receiver.onFrame(frameOf('CREDENTIAL'))), ['DeliverCredential']);
});

test('the receiver rejecting the code aborts with sas_mismatch; before the code it is a cancel', async () => {
  const { receiver, sender } = await receiverAt('codes');
  const actions = await receiver.onUserRejected();
  assert.equal(hexEncode(actions[0].frame), t.aborts[1].hex);
  await assertAbortedWithAbort(receiver, sender, actions, 'sas_mismatch');

  const early = await receiverAt('fresh');
  assert.deepEqual(await early.receiver.onUserRejected(), closedWithoutAbort('user_cancelled'));
});

test('a typed code must match; typing before the code is shown is an invalid event', async () => {
  const wrong = await receiverAt('codes');
  const digits = t.sas.replace(' ', '');
  const other = String((Number(digits) + 1) % 1000000).padStart(6, '0');
  assert.equal(abortedOf(await wrong.receiver.onUserTyped(other)).reason, 'sas_mismatch');
  const right = await receiverAt('codes');
  assert.deepEqual(await right.receiver.onUserTyped(digits), []);
  assert.deepEqual(kinds(await right.receiver.onFrame(frameOf('CREDENTIAL'))), ['DeliverCredential']);
  const early = await receiverAt('ready');
  assert.equal(abortedOf(await early.receiver.onUserTyped(digits)).reason, 'invalid_event');
  const confirmEarly = await receiverAt('fresh');
  assert.deepEqual(await confirmEarly.receiver.onUserConfirmed(), closedWithoutAbort('invalid_event'));
});

test('intrusion before the code closes quietly; after it, the sender is told', async () => {
  const before = await receiverAt('fresh');
  assert.deepEqual(await before.receiver.onIntrusion(), closedWithoutAbort('intrusion'));
  assert.equal(before.receiver.holdsSecrets, false);
  const after = await receiverAt('codes');
  await assertAbortedWithAbort(after.receiver, after.sender, await after.receiver.onIntrusion(), 'intrusion');
});

test('a timeout before HELLO is a timeout; after READY a possible attack', async () => {
  const fresh = await receiverAt('fresh');
  assert.deepEqual(await fresh.receiver.onTimeout(), closedWithoutAbort('timeout'));
  const ready = await receiverAt('ready');
  await assertAbortedWithAbort(ready.receiver, ready.sender, await ready.receiver.onTimeout(), 'timeout', attack);
  const codes = await receiverAt('codes');
  await assertAbortedWithAbort(codes.receiver, codes.sender, await codes.receiver.onTimeout(), 'timeout', attack);
});

test("the sender's ABORT after READY is a possible attack, its reason the detail; an unreadable one too", async () => {
  const { receiver } = await receiverAt('codes');
  assert.deepEqual(await receiver.onFrame(hex(t.aborts[0].hex)),
    [{ kind: 'Aborted', reason: attack, detail: 'sas_mismatch' }, { kind: 'CloseConnection' }]);
  const unreadable = await receiverAt('codes');
  assert.deepEqual(await unreadable.receiver.onFrame(flipBit(hex(t.aborts[0].hex), 20)),
    [{ kind: 'Aborted', reason: attack, detail: 'unreadable' }, { kind: 'CloseConnection' }]);
});

test('events after the end return no actions, and handling the credential outside delivering is invalid', async () => {
  const { receiver } = await receiverAt('codes');
  await receiver.cancel();
  assert.equal(receiver.failure, 'user_cancelled');
  for (const event of [() => receiver.onFrame(frameOf('CREDENTIAL')), () => receiver.onIntrusion(), () => receiver.onTimeout(),
    () => receiver.onUserConfirmed(), () => receiver.onCredentialHandled(true), () => receiver.onPeer('left')]) {
    assert.deepEqual(await event(), []);
  }
  const early = await receiverAt('codes');
  assert.equal(abortedOf(await early.receiver.onCredentialHandled(true)).reason, 'invalid_event');
});

test('peer notices are passed on without changing the state', async () => {
  const { receiver } = await receiverAt('ready');
  assert.deepEqual(await receiver.onPeer('left'), [{ kind: 'PeerStatus', event: 'left' }]);
  assert.deepEqual(await receiver.onPeer('back'), [{ kind: 'PeerStatus', event: 'back' }]);
  assert.equal(receiver.state, 'waiting_for_reveal');
});

test('a refused credential is answered with RESULT accepted=false and its reason', async () => {
  const { receiver } = await transcriptMachines();
  const sender = await manualSender();
  await receiver.onFrame(frameOf('HELLO'));
  await receiver.onFrame(frameOf('REVEAL'));
  await receiver.onUserConfirmed();
  await receiver.onFrame(frameOf('CREDENTIAL'));
  const actions = await receiver.onCredentialHandled(false, 'unknown grant');
  assert.deepEqual(kinds(actions), ['SendFrame', 'CloseConnection']);
  assert.equal(await abortReasonSeen(sender, actions[0].frame), '{"accepted":false,"reason":"unknown grant"}');
  assert.equal(receiver.state, 'done');
});

test('after READY, an ABORT or a lost connection is reported as a possible attack (mirrors the C++)', async () => {
  const aborted = await receiverAt('ready');
  const frame = await aborted.sender.seal(MessageType.abort, abortBody('network'));
  assert.deepEqual(await aborted.receiver.onFrame(frame),
    [{ kind: 'Aborted', reason: 'possible_attack', detail: 'network' }, { kind: 'CloseConnection' }]);
  for (const reason of ['network', 'expired', 'timeout']) {
    const lost = await receiverAt('ready');
    const actions = await lost.receiver.cancel(reason);
    assert.deepEqual(kinds(actions), ['SendFrame', 'Aborted', 'CloseConnection']);
    assert.deepEqual(abortedOf(actions), { kind: 'Aborted', reason: 'possible_attack', detail: reason });
  }
  const cancelled = await receiverAt('ready');
  assert.equal(abortedOf(await cancelled.receiver.cancel('user_cancelled')).reason, 'user_cancelled');
});

test('after READY a peer cannot pick a milder reason: any ABORT is a possible attack, one of another size unreadable', async () => {
  for (const code of ['network', 'expired', 'invalid_event', 'rejected', 'made_up', 'user_cancelled', 'sas_mismatch']) {
    const { receiver, sender } = await receiverAt('codes');
    await sender.seal(MessageType.reveal, new Uint8Array(32));  // the transcript's REVEAL used sequence 0
    const frame = await sender.seal(MessageType.abort, abortBody(code));
    assert.deepEqual(await receiver.onFrame(frame),
      [{ kind: 'Aborted', reason: attack, detail: code }, { kind: 'CloseConnection' }]);
  }
  const { receiver, sender } = await receiverAt('codes');
  await sender.seal(MessageType.reveal, new Uint8Array(32));
  const big = await sender.seal(MessageType.abort, new Uint8Array(2000).fill(32));
  assert.deepEqual(await receiver.onFrame(big),
    [{ kind: 'Aborted', reason: attack, detail: 'unreadable' }, { kind: 'CloseConnection' }]);
  const unpadded = await receiverAt('codes'); // the old, unpadded body (rev. 2)
  await unpadded.sender.seal(MessageType.reveal, new Uint8Array(32));
  const old = await unpadded.sender.seal(MessageType.abort, utf8Encode('{"reason":"network"}'));
  assert.deepEqual(abortedOf(await unpadded.receiver.onFrame(old)), { kind: 'Aborted', reason: attack, detail: 'unreadable' });
});

test('every invalid status body of the transcript, as ABORT after READY, is a possible attack', async () => {
  const { as_abort_after_ready: expected, cases } = t.invalid_status_bodies;
  for (const c of cases) {
    const { receiver, sender } = await receiverAt('codes');
    await sender.seal(MessageType.reveal, hex(t.Ns));
    const actions = await receiver.onFrame(await sender.seal(MessageType.abort, hex(c.plaintext_hex)));
    assert.deepEqual(actions, [{ kind: 'Aborted', ...expected }, { kind: 'CloseConnection' }], c.why);
    assert.equal(receiver.holdsSecrets, false);
  }
  console.log(`cases: invalid status bodies as ABORT into the receiver ${cases.length}, all ${expected.reason}`);
});

test("every case of the transcript's JSON rule: the valid ones delivered, the others bad_credential", async () => {
  const rule = t.credential_json_rule;
  for (const c of rule.valid) {
    const { receiver, sender } = await receiverAt('codes-auto');
    await sender.seal(MessageType.reveal, hex(t.Ns));
    const actions = await receiver.onFrame(await sender.seal(MessageType.credential, hex(c.plaintext_hex)));
    assert.deepEqual(kinds(actions), ['DeliverCredential'], c.why);
    assert.equal(actions[0].credential.text, c.delivered, c.why);
  }
  for (const c of rule.invalid) {
    const { receiver, sender } = await receiverAt('codes-auto');
    await sender.seal(MessageType.reveal, hex(t.Ns));
    const actions = await receiver.onFrame(await sender.seal(MessageType.credential, hex(c.plaintext_hex)));
    assert.deepEqual(abortedOf(actions), { kind: 'Aborted', ...rule.in_pairing }, c.why);
    assert.ok(!kinds(actions).includes('DeliverCredential'), c.why);
  }
  console.log(`cases: credential JSON rule into the receiver ${rule.valid.length} delivered, ${rule.invalid.length} refused`);
});

test("a user's cancel while the application stores the credential changes nothing; RESULT tells the truth", async () => {
  const { receiver, sender } = await receiverAt('codes');
  await receiver.onUserConfirmed();
  assert.ok(kinds(await receiver.onFrame(frameOf('CREDENTIAL'))).includes('DeliverCredential'));
  assert.deepEqual(await receiver.cancel(), [], 'no ABORT(user_cancelled) after the fact');
  assert.equal(receiver.state, 'delivering');
  const actions = await receiver.onCredentialHandled(true);
  assert.deepEqual(kinds(actions), ['SendFrame', 'CloseConnection']);
  assert.equal(await abortReasonSeen(sender, actions[0].frame), '{"accepted":true}');
  // A lost connection then is still an ending (after READY: a possible attack).
  const lost = await receiverAt('codes');
  await lost.receiver.onUserConfirmed();
  await lost.receiver.onFrame(frameOf('CREDENTIAL'));
  assert.deepEqual(abortedOf(await lost.receiver.cancel('network')), { kind: 'Aborted', reason: 'possible_attack', detail: 'network' });
});
