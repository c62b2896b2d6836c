// A sender that starts without its credential and gets it at confirmation
// (the grant the application mints only once the person confirmed), and
// the channel id the pages register and look up: the machine (bytes on the
// wire are the transcript's), the public API end to end through the
// stand-in relay, and every rule of "exactly one credential".
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { hexEncode } from '../../web/src/bytes.js';
import { parseLink } from '../../web/src/link.js';
import { credentialJsonFromText } from '../../web/src/protocol.js';
import { linkChannelId, startReceiver, startSender } from '../../web/src/qrlogin.js';
import { Receiver } from '../../web/src/receiver.js';
import { Sender } from '../../web/src/sender.js';
import { transcript as t, frameOf, scriptedRandom, drawingFrom, abortedOf, kinds } from './support.mjs';
import { startFakeRelay } from './fake_relay.mjs';

const relay = await startFakeRelay();
after(() => relay.close());

// A deferred sender on the transcript's keys, at the code comparison.
async function deferredSenderAtCodes() {
  const sender = await Sender.create(parseLink(t.link), null, drawingFrom(scriptedRandom(t.skE, t.Ns)));
  await sender.start();
  await sender.onFrame(frameOf('READY'));
  assert.equal(sender.state, 'comparing_codes');
  return sender;
}

test('a deferred sender sends the credential given at confirmation, the transcript\'s bytes exactly, and wipes it', async () => {
  const sender = await deferredSenderAtCodes();
  assert.equal(sender.holdsSecrets, true);
  const late = credentialJsonFromText(t.credential, t.label);
  const actions = await sender.onUserConfirmed(late);
  assert.deepEqual(kinds(actions), ['SendFrame']);
  assert.equal(hexEncode(actions[0].frame), t.frames.find((f) => f.type === 'CREDENTIAL').hex);
  assert.ok(late.every((b) => b === 0), 'the late credential is overwritten once sent');
  assert.equal(sender.state, 'waiting_for_result');
});

test('a deferred sender confirmed without a credential ends with invalid_event and sends no credential', async () => {
  const sender = await deferredSenderAtCodes();
  const actions = await sender.onUserConfirmed();
  assert.equal(abortedOf(actions).reason, 'invalid_event');
  assert.equal(actions.filter((a) => a.kind === 'SendFrame').length, 1, 'only the ABORT');
  assert.equal(sender.holdsSecrets, false);
});

test('a sender started with a credential and given another at confirmation ends with invalid_event; both are wiped', async () => {
  const started = credentialJsonFromText(t.credential, t.label);
  const sender = await Sender.create(parseLink(t.link), started, drawingFrom(scriptedRandom(t.skE, t.Ns)));
  await sender.start();
  await sender.onFrame(frameOf('READY'));
  const other = credentialJsonFromText('another', '');
  const actions = await sender.onUserConfirmed(other);
  assert.equal(abortedOf(actions).reason, 'invalid_event');
  assert.ok(other.every((b) => b === 0) && started.every((b) => b === 0));
});

test('typed(digits, credential) checks the digits first, then sends the late credential', async () => {
  const wrong = await deferredSenderAtCodes();
  const late = credentialJsonFromText('grant', '');
  const mismatch = await wrong.onUserTyped('000000', late);
  assert.equal(abortedOf(mismatch).reason, 'sas_mismatch');
  assert.ok(late.every((b) => b === 0));

  const right = await deferredSenderAtCodes();
  const sent = await right.onUserTyped(right.sas.replace(' ', ''), credentialJsonFromText('grant', ''));
  assert.deepEqual(kinds(sent), ['SendFrame']);
});

test('a late J over 65536 bytes or a late bad credential ends with bad_credential, shown as it is after READY (as in C++)', async () => {
  const sender = await deferredSenderAtCodes();
  const actions = await sender.onUserConfirmed(new Uint8Array(65537).fill(0x61));
  assert.deepEqual(abortedOf(actions), { kind: 'Aborted', reason: 'bad_credential', detail: 'the credential is too large: at most 65536 bytes of JSON can be sent' });
  const other = await deferredSenderAtCodes();
  const refused = await other.onCredentialUnusable({ code: 'bad_credential', message: 'not valid UTF-8' });
  assert.deepEqual(abortedOf(refused), { kind: 'Aborted', reason: 'bad_credential', detail: 'not valid UTF-8' });
});

// Both sides through the stand-in relay; the sender starts without a credential.
function pairDeferred({ late, confirmWith = (s, c) => s.confirm(c), initial = null } = {}) {
  const seen = { credential: null, cid: null, link: null };
  let sender;
  let markStarted;
  const started = new Promise((resolve) => { markStarted = resolve; });
  const receiver = startReceiver({
    relay: relay.url,
    page: 'http://localhost:8080/pair',
    WebSocket,
    onLink: (link, info) => {
      seen.link = link;
      seen.cid = info.cid;
      sender = startSender(link, initial, { WebSocket, onSas: () => confirmWith(sender, late) });
      markStarted(sender);
    },
    onSas: () => receiver.confirm(),
    onCredential: (c) => { seen.credential = c; return true; },
  });
  return { receiver, started, seen };
}

test('startSender(link, null) and confirm(grant): the grant arrives; onLink tells the cid, linkChannelId computes the same', async () => {
  const grant = { grant: 'g'.repeat(43), app: 'http://localhost:8080' };
  const { receiver, started, seen } = pairDeferred({ late: grant });
  const sender = await started;
  assert.deepEqual(await sender.done, { accepted: true });
  assert.deepEqual(await receiver.done, { accepted: true });
  assert.deepEqual(JSON.parse(seen.credential.text), grant);
  assert.equal(seen.credential.isString, false);
  assert.match(seen.cid, /^[A-Za-z0-9_-]{22}$/);
  assert.equal(await linkChannelId(seen.link), seen.cid);
  const receiverMachine = await Receiver.create({ pageUrl: 'http://localhost:8080/pair' });
  assert.equal(await linkChannelId(receiverMachine.link), receiverMachine.cid.text);
});

test('through the API: no credential at all, two credentials, or a late one too large each end the sender, and nothing arrives', async () => {
  const cases = [
    { late: undefined, code: 'invalid_event' },
    { late: 'second', initial: 'first', code: 'invalid_event' },
    { late: 'a'.repeat(70000), code: 'bad_credential' },
    { late: '\ud800', code: 'bad_credential' },
  ];
  for (const { late, initial = null, code } of cases) {
    const { receiver, started, seen } = pairDeferred({ late, initial });
    const sender = await started;
    await assert.rejects(sender.done, (e) => e.code === code, code);
    await assert.rejects(receiver.done);
    assert.equal(seen.credential, null, `${code}: nothing was delivered`);
  }
});

test('linkChannelId refuses what is not a pairing link', async () => {
  await assert.rejects(linkChannelId('https://example.com/pair'), (e) => e.code === 'bad_link');
});
