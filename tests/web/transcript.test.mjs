// tests/vectors/transcript-v1.json reproduced byte for byte by web/src's
// state machines, with the transcript's keys and nonces injected.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexEncode } from '../../web/src/bytes.js';
import { parseLink } from '../../web/src/link.js';
import {
  abortBody, channelId, credentialJsonFromText, hpkeInfo, commitment, padCredential, parseAbortBody, parseResultBody, resultBody,
  STATUS_FRAME_BYTES,
} from '../../web/src/protocol.js';
import { Receiver } from '../../web/src/receiver.js';
import { Sender } from '../../web/src/sender.js';
import { transcript as t, hex, scriptedRandom, drawingFrom, kinds, framesOf } from './support.mjs';

async function pairToCodes() {
  const randomR = scriptedRandom(t.skR, t.Nr);
  const randomS = scriptedRandom(t.skE, t.Ns);
  const receiver = await Receiver.create({ pageUrl: t.page_url, ...drawingFrom(randomR) });
  const link = parseLink(receiver.link);
  const sender = await Sender.create(link, credentialJsonFromText(t.credential, t.label), drawingFrom(randomS));
  const [hello] = framesOf(await sender.start());
  const [ready] = framesOf(await receiver.onFrame(hello));
  const senderActions = await sender.onFrame(ready);
  const [reveal] = framesOf(senderActions);
  const receiverActions = await receiver.onFrame(reveal);
  return { receiver, sender, hello, ready, reveal, senderActions, receiverActions, randomR, randomS };
}

test('the receiver derives the transcript link, pkR and cid from skR', async () => {
  const receiver = await Receiver.create({ pageUrl: t.page_url, ...drawingFrom(scriptedRandom(t.skR)) });
  assert.equal(receiver.link, t.link);
  assert.equal(hexEncode(receiver.publicKey), t.pkR);
  assert.equal(receiver.cid.text, t.cid);
  assert.equal(hexEncode(receiver.cid.raw), t.cid_raw);
  assert.equal(hexEncode(hpkeInfo(await channelId(hex(t.pkR)))), t.info);
});

test('the commitment and the credential J and its padding match the transcript', async () => {
  const cid = await channelId(hex(t.pkR));
  assert.equal(hexEncode(await commitment(cid, hex(t.enc), hex(t.Ns))), t.commit);
  const j = credentialJsonFromText(t.credential, t.label);
  assert.equal(new TextDecoder().decode(j), t.credential_json);
  assert.equal(hexEncode(padCredential(j)), t.credential_plaintext_hex);
});

test('HELLO, READY and REVEAL are byte-identical and both sides show the transcript SAS', async () => {
  const run = await pairToCodes();
  assert.equal(hexEncode(run.hello), t.frames[0].hex);
  assert.equal(hexEncode(run.ready), t.frames[1].hex);
  assert.equal(hexEncode(run.reveal), t.frames[2].hex);
  assert.deepEqual(kinds(run.senderActions), ['SendFrame', 'ShowSas']);
  assert.equal(run.senderActions[1].code, t.sas);
  assert.deepEqual(run.receiverActions, [{ kind: 'ShowSas', code: t.sas }]);
  assert.equal(run.randomR.remaining(), 0);
  assert.equal(run.randomS.remaining(), 0);
});

test('CREDENTIAL and RESULT are byte-identical and the credential is delivered after confirmation', async () => {
  const run = await pairToCodes();
  const [credential] = framesOf(await run.sender.onUserConfirmed());
  assert.equal(hexEncode(credential), t.frames[3].hex);
  assert.deepEqual(await run.receiver.onFrame(credential), [], 'nothing is delivered before the receiver confirms');
  const delivered = await run.receiver.onUserConfirmed();
  assert.deepEqual(kinds(delivered), ['DeliverCredential']);
  assert.equal(delivered[0].credential.text, t.delivered_credential);
  assert.equal(delivered[0].credential.isString, true);
  assert.equal(delivered[0].credential.label, t.label);
  const handled = await run.receiver.onCredentialHandled(true);
  assert.deepEqual(kinds(handled), ['SendFrame', 'CloseConnection']);
  assert.equal(hexEncode(handled[0].frame), t.frames[4].hex);
  assert.equal(handled[0].frame.length, STATUS_FRAME_BYTES, 'padded (rev. 3)');
  assert.equal(hexEncode(resultBody(true)), t.result_plaintext_hex);
  assert.equal(run.receiver.state, 'done');
  assert.equal(run.receiver.holdsSecrets, false);
  const shown = await run.sender.onFrame(handled[0].frame);
  assert.deepEqual(shown, [{ kind: 'ShowResult', accepted: true, reason: '' }, { kind: 'CloseConnection' }]);
  assert.equal(run.sender.state, 'done');
  assert.equal(run.sender.holdsSecrets, false);
});

test('each side rejecting the code sends the transcript ABORT frame', async () => {
  for (const expected of t.aborts) {
    const run = await pairToCodes();
    const machine = expected.from === 'sender' ? run.sender : run.receiver;
    const actions = await machine.onUserRejected();
    assert.deepEqual(kinds(actions), ['SendFrame', 'Aborted', 'CloseConnection'], expected.case);
    assert.equal(hexEncode(actions[0].frame), expected.hex, expected.case);
    assert.equal(actions[1].reason, 'sas_mismatch');
    const peer = expected.from === 'sender' ? run.receiver : run.sender;
    const seen = await peer.onFrame(actions[0].frame);
    // The other side got it after READY: a possible attack, its reason the detail (rev. 3).
    assert.deepEqual(seen, [{ kind: 'Aborted', reason: 'possible_attack', detail: 'sas_mismatch' }, { kind: 'CloseConnection' }]);
  }
});

test("the transcript's status bodies are written and read as it says", () => {
  let written = 0;
  for (const c of t.status_bodies) {
    const isResult = c.kind === 'RESULT';
    if (c.write) {
      const body = isResult ? resultBody(c.write.accepted, c.write.reason) : abortBody(c.write.reason);
      assert.equal(hexEncode(body), c.plaintext_hex, c.case);
      written++;
    }
    const read = isResult ? parseResultBody(hex(c.plaintext_hex)) : { reason: parseAbortBody(hex(c.plaintext_hex)) };
    assert.deepEqual(read, c.read, c.case);
  }
  for (const a of t.aborts) {
    assert.equal(hexEncode(abortBody('sas_mismatch')), a.plaintext_hex);
    assert.equal(hex(a.hex).length, STATUS_FRAME_BYTES);
  }
  console.log(`cases: status bodies ${written} written, ${t.status_bodies.length} read`);
});

test('every invalid status body of the transcript is refused by both readers with its message', () => {
  for (const c of t.invalid_status_bodies.cases) {
    for (const read of [parseResultBody, parseAbortBody]) {
      assert.throws(() => read(hex(c.plaintext_hex)), (e) => e instanceof SyntaxError && e.message === c.message, c.why);
    }
  }
  assert.ok(t.invalid_status_bodies.cases.length >= 18);
  console.log(`cases: invalid status bodies ${t.invalid_status_bodies.cases.length}, all refused by both readers`);
});

test('status bodies are always 128 bytes, a long reason cut at a character boundary, a lone surrogate made U+FFFD', () => {
  for (const n of [0, 1, 97, 98, 99, 115, 116, 1000, 100000]) {
    for (const piece of ['a', 'é', '€', '😀', '\n', '\u0001', '"']) {
      const reason = piece.repeat(Math.ceil(n / piece.length)).slice(0, n);
      const refused = resultBody(false, reason);
      assert.equal(refused.length, 128);
      assert.ok(reason.toWellFormed().startsWith(parseResultBody(refused).reason), `${n} ${piece}`);
      assert.equal(abortBody(reason).length, 128);
      parseAbortBody(abortBody(reason));
    }
  }
  assert.equal(parseAbortBody(abortBody('bad \ud800 half')), 'bad \ufffd half');
});
