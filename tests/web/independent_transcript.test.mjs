// Issue 4's independent check: tests/vectors/transcript-v1.json recomputed
// with the independent implementation (tests/independent: @hpke/core with
// the noble-based @hpke/dhkem-x25519, WebCrypto for SHA-256, HMAC and the
// receiver-to-sender AES-256-GCM). Nothing from web/src is imported here.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  ascii, channelOf, hmac, join, keyPairFromSecret, openFrame, padCredential as pad, padStatusText as statusBody,
  recipientContext, responseCipher, sealFrame, senderContext as contextTo, sha256, unpadCredential as unpadStrict,
} from '../independent/qrlogin_rev3.mjs';

const t = JSON.parse(readFileSync(new URL('../vectors/transcript-v1.json', import.meta.url), 'utf8'));

const bytes = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));
const toHex = (data) => Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('hex');
const frameHex = (type) => t.frames.find((f) => f.type === type).hex;
const typeByte = { HELLO: 1, READY: 2, REVEAL: 3, CREDENTIAL: 4, RESULT: 5, ABORT: 6 };

async function derived() {
  const receiver = await keyPairFromSecret(bytes(t.skR));
  const pkR = receiver.raw;
  return { receiver, pkR, ...(await channelOf(pkR)) };
}

// The transcript's sender: its ephemeral key is the fixed skE.
const senderContext = async ({ pkR, info }) => contextTo(pkR, info, await keyPairFromSecret(bytes(t.skE)));
const recipientContextOf = ({ receiver, info }, enc) => recipientContext(receiver.privateKey, info, enc);

function flipped(frame, bit) {
  const out = Uint8Array.from(frame);
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

test('cid, info, link and the HPKE enc from skE match the transcript', async () => {
  const d = await derived();
  assert.equal(toHex(d.pkR), t.pkR);
  assert.equal(toHex(d.cidRaw), t.cid_raw);
  assert.equal(Buffer.from(d.cidRaw).toString('base64url'), t.cid);
  assert.equal(toHex(d.info), t.info);
  assert.equal(`${t.page_url}#v1.${Buffer.from(d.pkR).toString('base64url')}`, t.link);
  const ctx = await senderContext(d);
  assert.equal(toHex(ctx.enc), t.enc);
});

test('the commitment, the exporter values and the SAS match the transcript', async () => {
  const d = await derived();
  const commit = await sha256(ascii('qrlogin/v1 commit'), d.cidRaw, bytes(t.enc), bytes(t.Ns));
  assert.equal(toHex(commit), t.commit);
  for (const ctx of [await senderContext(d), await recipientContextOf(d, bytes(t.enc))]) {
    assert.equal(toHex(await ctx.export(ascii('qrlogin/v1 sas').buffer, 32)), t.exports.sas_key);
    assert.equal(toHex(await ctx.export(ascii('qrlogin/v1 response key').buffer, 32)), t.exports.response_key);
    assert.equal(toHex(await ctx.export(ascii('qrlogin/v1 response nonce').buffer, 12)), t.exports.response_nonce);
  }
  const mac = await hmac(bytes(t.exports.sas_key), join(ascii('qrlogin/v1 sas'), bytes(t.Nr), bytes(t.Ns)));
  const number = Number(Buffer.from(mac).readBigUInt64BE(0) % 1000000n).toString().padStart(6, '0');
  assert.equal(`${number.slice(0, 3)} ${number.slice(3)}`, t.sas);
});

test('every frame of the pairing is reproduced byte for byte', async () => {
  const d = await derived();
  const sender = await senderContext(d);
  const response = await responseCipher(sender);
  const commit = await sha256(ascii('qrlogin/v1 commit'), d.cidRaw, new Uint8Array(sender.enc), bytes(t.Ns));
  assert.equal(toHex(join([1], new Uint8Array(sender.enc), commit)), frameHex('HELLO'));
  assert.equal(toHex(await response.seal(0, 2, bytes(t.Nr))), frameHex('READY'));
  assert.equal(toHex(await sealFrame(sender, 3, bytes(t.Ns))), frameHex('REVEAL'));
  const j = ascii(JSON.stringify({ credential: t.credential, label: t.label }));
  assert.equal(Buffer.from(j).toString(), t.credential_json);
  assert.equal(toHex(pad(j)), t.credential_plaintext_hex);
  assert.equal(toHex(await sealFrame(sender, 4, pad(j))), frameHex('CREDENTIAL'));
  assert.equal(toHex(await response.seal(1, 5, statusBody('{"accepted":true}'))), frameHex('RESULT'));
  assert.equal(t.result_json, '{"accepted":true}');
  assert.equal(t.result_plaintext_hex, toHex(statusBody(t.result_json)));
  assert.equal(bytes(frameHex('RESULT')).length, 1 + 128 + 16);
});

test('the two ABORT frames are reproduced byte for byte', async () => {
  const d = await derived();
  const bySender = t.aborts.find((a) => a.from === 'sender');
  const byReceiver = t.aborts.find((a) => a.from === 'receiver');
  assert.equal(bySender.json, '{"reason":"sas_mismatch"}');
  assert.equal(byReceiver.json, '{"reason":"sas_mismatch"}');
  // The sender rejects after REVEAL (its seq 0): ABORT uses seq 1.
  const sender = await senderContext(d);
  await sealFrame(sender, 3, bytes(t.Ns));
  assert.equal(toHex(await sealFrame(sender, 6, statusBody(bySender.json))), bySender.hex);
  // The receiver rejects after READY (response 0): ABORT uses response 1.
  const response = await responseCipher(await recipientContextOf(d, bytes(t.enc)));
  assert.equal(toHex(await response.seal(1, 6, statusBody(byReceiver.json))), byReceiver.hex);
  for (const a of t.aborts) {
    assert.equal(a.plaintext_hex, toHex(statusBody(a.json)));
    assert.equal(bytes(a.hex).length, 1 + 128 + 16);
  }
});

test('the receiver side opens every frame, checks the commit and gets the delivered credential', async () => {
  const d = await derived();
  const hello = bytes(frameHex('HELLO'));
  const ctx = await recipientContextOf(d, hello.slice(1, 33));
  const ns = await openFrame(ctx, bytes(frameHex('REVEAL')));
  assert.equal(toHex(await sha256(ascii('qrlogin/v1 commit'), d.cidRaw, hello.slice(1, 33), ns)), toHex(hello.slice(33)));
  const j = unpadStrict(await openFrame(ctx, bytes(frameHex('CREDENTIAL'))));
  assert.equal(j.credential, t.delivered_credential);
  assert.equal(j.label, t.label);
  const response = await responseCipher(await senderContext(d));
  assert.equal(toHex(await response.open(0, bytes(frameHex('READY')))), t.Nr);
  assert.equal(Buffer.from(await response.open(1, bytes(frameHex('RESULT')))).toString(), '{"accepted":true}'.padEnd(128, ' '));
});

test('the padding cases match and the strict unpadder takes them back', () => {
  assert.deepEqual(t.padding.map((p) => p.json_length), [252, 253, 65536]);
  for (const p of t.padding) {
    const j = ascii(p.json);
    assert.equal(j.length, p.json_length);
    const padded = pad(j);
    assert.equal(padded.length, p.padded_length);
    assert.equal(toHex(padded), p.padded_hex);
    assert.equal(unpadStrict(padded).credential, JSON.parse(p.json).credential);
  }
});

test('every valid status body is its JSON and spaces up to 128 bytes, and reads as the transcript says', () => {
  for (const c of t.status_bodies) {
    const body = bytes(c.plaintext_hex);
    assert.equal(body.length, 128, c.case);
    const text = new TextDecoder('utf-8', { fatal: true }).decode(body).replace(/ +$/, '');
    assert.ok(text.startsWith('{') && text.endsWith('}'), c.case);
    const j = JSON.parse(text);
    if (c.kind === 'RESULT') assert.deepEqual({ accepted: j.accepted, reason: j.reason ?? '' }, c.read, c.case);
    else assert.deepEqual({ reason: j.reason }, c.read, c.case);
    if (c.write) assert.equal(c.write.reason.startsWith(c.read.reason), true, c.case);
  }
});

test('every invalid_padding case is rejected by the strict unpadder', () => {
  assert.ok(t.invalid_padding.length >= 8);
  for (const c of t.invalid_padding) assert.throws(() => unpadStrict(bytes(c.plaintext_hex)), Error, c.why);
});

// Receiving HELLO: a flipped bit changes the type, the enc (REVEAL no longer
// opens) or the commit (REVEAL opens but does not match it).
test('flipping any bit of HELLO (enc or commit) makes the receiver fail', async () => {
  const d = await derived();
  const hello = bytes(frameHex('HELLO'));
  const reveal = bytes(frameHex('REVEAL'));
  let decryptFailures = 0;
  let commitMismatches = 0;
  let typeChanges = 0;
  for (let bit = 0; bit < hello.length * 8; bit++) {
    const bad = flipped(hello, bit);
    if (bad[0] !== typeByte.HELLO) {
      typeChanges++; // no longer a HELLO: refused before any crypto
      continue;
    }
    let ns;
    try {
      ns = await openFrame(await recipientContextOf(d, bad.slice(1, 33)), reveal);
    } catch {
      decryptFailures++;
      continue;
    }
    const expected = await sha256(ascii('qrlogin/v1 commit'), d.cidRaw, bad.slice(1, 33), ns);
    assert.notEqual(toHex(expected), toHex(bad.slice(33)), `bit ${bit}`);
    commitMismatches++;
  }
  assert.equal(typeChanges, 8);
  assert.equal(decryptFailures, 256, 'every enc bit breaks decryption');
  assert.equal(commitMismatches, 256, 'every commit bit breaks the commitment');
});

test('flipping any bit of READY, REVEAL, CREDENTIAL, RESULT or either ABORT makes its receiver fail to open it', async () => {
  const d = await derived();
  const toReceiver = await recipientContextOf(d, bytes(t.enc));
  const toSender = await responseCipher(await senderContext(d));
  const cases = [
    ['READY', (f) => toSender.open(0, f)],
    ['REVEAL', (f) => openFrame(toReceiver, f)],
  ];
  for (const [type, open] of cases) {
    const frame = bytes(frameHex(type));
    await open(frame); // the genuine frame opens
    for (let bit = 0; bit < frame.length * 8; bit++) {
      await assert.rejects(open(flipped(frame, bit)), `${type} bit ${bit}`);
    }
  }
  // The genuine REVEAL moved the receiver's context to seq 1, where the
  // CREDENTIAL and the sender's ABORT were sealed; failed opens never move it.
  for (const [type, frame, open] of [
    ['CREDENTIAL', bytes(frameHex('CREDENTIAL')), (f) => openFrame(toReceiver, f)],
    ['ABORT from the sender', bytes(t.aborts[0].hex), (f) => openFrame(toReceiver, f)],
    ['RESULT', bytes(frameHex('RESULT')), (f) => toSender.open(1, f)],
    ['ABORT from the receiver', bytes(t.aborts[1].hex), (f) => toSender.open(1, f)],
  ]) {
    for (let bit = 0; bit < frame.length * 8; bit++) {
      await assert.rejects(open(flipped(frame, bit)), `${type} bit ${bit}`);
    }
  }
  const credential = unpadStrict(await openFrame(toReceiver, bytes(frameHex('CREDENTIAL'))));
  assert.equal(credential.credential, t.delivered_credential, 'failed opens did not advance the sequence');
});
