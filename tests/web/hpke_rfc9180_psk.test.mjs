// RFC 9180's published mode_psk vectors (mode 1) for DHKEM(X25519,
// HKDF-SHA256), HKDF-SHA256 with AES-128-GCM and AES-256-GCM, through
// web/src/hpke.js: the code mode's SetupPSKS and SetupPSKR.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexEncode } from '../../web/src/bytes.js';
import {
  AEAD_AES_256_GCM, HpkeError, keyPairFromSecret, senderKeyPair, setupBaseReceiver, setupPskReceiver, setupPskSender,
} from '../../web/src/hpke.js';
import { KEY_SCHEDULE_TRACE } from '../../web/src/random.js';
import { drawingFrom, rfc9180, hex, scriptedRandom } from './support.mjs';

const pskVectors = rfc9180.filter((v) => v.mode === 1 && v.kem_id === 0x20 && v.kdf_id === 1 && (v.aead_id === 1 || v.aead_id === 2));

test('the vector file has mode_psk vectors for both AEADs', () => {
  assert.deepEqual(pskVectors.map((v) => v.aead_id).sort(), [1, 2]);
});

// The sender's key pair as the tests fix it: through the injected randomness.
const fixedSenderKeyPair = (skEm) => senderKeyPair(drawingFrom(scriptedRandom(skEm)));

for (const v of pskVectors) {
  const name = v.aead_id === 1 ? 'AES-128-GCM' : 'AES-256-GCM';
  const receiverOf = () => keyPairFromSecret(hex(v.skRm));

  test(`${name} mode_psk: both setups derive the vector's key schedule`, async () => {
    const ephemeral = await fixedSenderKeyPair(v.skEm);
    assert.equal(hexEncode(ephemeral.publicKey), v.enc);
    const senderTrace = {};
    await setupPskSender(v.aead_id, hex(v.pkRm), hex(v.info), hex(v.psk), hex(v.psk_id), ephemeral,
      { [KEY_SCHEDULE_TRACE]: senderTrace });
    const receiverTrace = {};
    await setupPskReceiver(v.aead_id, hex(v.enc), await receiverOf(), hex(v.info), hex(v.psk), hex(v.psk_id),
      { [KEY_SCHEDULE_TRACE]: receiverTrace });
    for (const trace of [senderTrace, receiverTrace]) {
      assert.equal(hexEncode(trace.sharedSecret), v.shared_secret);
      assert.equal(hexEncode(trace.keyScheduleContext), v.key_schedule_context);
      assert.equal(hexEncode(trace.secret), v.secret);
      assert.equal(hexEncode(trace.key), v.key);
      assert.equal(hexEncode(trace.baseNonce), v.base_nonce);
      assert.equal(hexEncode(trace.exporterSecret), v.exporter_secret);
    }
  });

  test(`${name} mode_psk: every encryption seals and opens to the vector (${v.encryptions.length} messages)`, async () => {
    const sender = await setupPskSender(v.aead_id, hex(v.pkRm), hex(v.info), hex(v.psk), hex(v.psk_id), await fixedSenderKeyPair(v.skEm));
    const receiver = await setupPskReceiver(v.aead_id, hex(v.enc), await receiverOf(), hex(v.info), hex(v.psk), hex(v.psk_id));
    for (const [i, e] of v.encryptions.entries()) {
      assert.equal(hexEncode(await sender.seal(hex(e.aad), hex(e.plaintext))), e.ciphertext, `seal #${i}`);
      assert.equal(hexEncode(await receiver.open(hex(e.aad), hex(e.ciphertext))), e.plaintext, `open #${i}`);
    }
  });

  test(`${name} mode_psk: every export matches the vector`, async () => {
    const receiver = await setupPskReceiver(v.aead_id, hex(v.enc), await receiverOf(), hex(v.info), hex(v.psk), hex(v.psk_id));
    for (const x of v.exports) {
      assert.equal(hexEncode(await receiver.export(hex(x.exporter_context), x.L)), x.exported_value);
    }
  });

  test(`${name} mode_psk: another psk, another psk_id or mode_base cannot open the sender's message`, async () => {
    const first = v.encryptions[0];
    const otherPsk = hex(v.psk);
    otherPsk[0] ^= 1;
    const otherId = hex(v.psk_id + '00');
    const receivers = [
      await setupPskReceiver(v.aead_id, hex(v.enc), await receiverOf(), hex(v.info), otherPsk, hex(v.psk_id)),
      await setupPskReceiver(v.aead_id, hex(v.enc), await receiverOf(), hex(v.info), hex(v.psk), otherId),
      await setupBaseReceiver(v.aead_id, hex(v.enc), await receiverOf(), hex(v.info)),
    ];
    for (const receiver of receivers) {
      await assert.rejects(receiver.open(hex(first.aad), hex(first.ciphertext)), (e) => e instanceof HpkeError && e.code === 'auth_failed');
    }
  });
}

test('mode_psk refuses a missing psk or psk_id and a psk under 32 bytes (RFC 9180 §5.1, §9.5)', async () => {
  const receiver = await keyPairFromSecret(new Uint8Array(32).fill(7));
  const ephemeral = await senderKeyPair();
  const psk = new Uint8Array(32).fill(1);
  const id = Uint8Array.of(1);
  const none = new Uint8Array(0);
  const cases = [[none, id, 'invalid_argument'], [psk, none, 'invalid_argument'], [none, none, 'invalid_argument'],
    [psk.subarray(0, 31), id, 'bad_length']];
  for (const [p, i, code] of cases) {
    await assert.rejects(setupPskSender(AEAD_AES_256_GCM, receiver.publicKey, none, p, i, ephemeral), (e) => e.code === code);
    await assert.rejects(setupPskReceiver(AEAD_AES_256_GCM, ephemeral.publicKey, receiver, none, p, i), (e) => e.code === code);
  }
});

test('senderKeyPair draws a fresh WebCrypto key pair each time, and the two sides agree with it', async () => {
  const receiver = await keyPairFromSecret(new Uint8Array(32).fill(7));
  const a = await senderKeyPair();
  const b = await senderKeyPair();
  assert.equal(a.publicKey.length, 32);
  assert.notEqual(hexEncode(a.publicKey), hexEncode(b.publicKey));
  assert.equal(a.privateKey.extractable, false);
  const psk = new Uint8Array(32).fill(9);
  const id = Uint8Array.of(1, 2);
  const info = Uint8Array.of(3);
  const sender = await setupPskSender(AEAD_AES_256_GCM, receiver.publicKey, info, psk, id, a);
  const opener = await setupPskReceiver(AEAD_AES_256_GCM, a.publicKey, receiver, info, psk, id);
  const sealed = await sender.seal(Uint8Array.of(4), Uint8Array.of(5, 6));
  assert.deepEqual(await opener.open(Uint8Array.of(4), sealed), Uint8Array.of(5, 6));
});

test('mode_psk rejects a low-order receiver key or enc as low_order_point', async () => {
  const receiver = await keyPairFromSecret(new Uint8Array(32).fill(7));
  const psk = new Uint8Array(32).fill(1);
  const zero = new Uint8Array(32);
  await assert.rejects(setupPskSender(AEAD_AES_256_GCM, zero, zero, psk, Uint8Array.of(1), await senderKeyPair()),
    (e) => e.code === 'low_order_point');
  await assert.rejects(setupPskReceiver(AEAD_AES_256_GCM, zero, receiver, zero, psk, Uint8Array.of(1)),
    (e) => e.code === 'low_order_point');
});
