// RFC 9180's published base-mode vectors for DHKEM(X25519, HKDF-SHA256),
// HKDF-SHA256 with AES-128-GCM and AES-256-GCM, through web/src/hpke.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { hexEncode } from '../../web/src/bytes.js';
import {
  AEAD_AES_128_GCM, AEAD_AES_256_GCM, deriveSecretKey, HpkeError, keyPairFromSecret, setupBaseReceiver,
} from '../../web/src/hpke.js';
import { rfc9180, hex, setupBaseReceiverTraced, setupBaseSenderWith } from './support.mjs';

const baseVectors = rfc9180.filter((v) => v.mode === 0 && v.kem_id === 0x20 && v.kdf_id === 1 && (v.aead_id === 1 || v.aead_id === 2));

test('the vector file has base-mode vectors for both AEADs', () => {
  assert.deepEqual(baseVectors.map((v) => v.aead_id).sort(), [AEAD_AES_128_GCM, AEAD_AES_256_GCM]);
});

for (const v of baseVectors) {
  const name = v.aead_id === 1 ? 'AES-128-GCM' : 'AES-256-GCM';

  test(`${name}: DeriveKeyPair gives the vector's keys`, async () => {
    assert.equal(hexEncode(await deriveSecretKey(hex(v.ikmE))), v.skEm);
    assert.equal(hexEncode(await deriveSecretKey(hex(v.ikmR))), v.skRm);
    assert.equal(hexEncode((await keyPairFromSecret(hex(v.skEm))).publicKey), v.pkEm);
    assert.equal(hexEncode((await keyPairFromSecret(hex(v.skRm))).publicKey), v.pkRm);
  });

  test(`${name}: both setups derive the vector's key schedule`, async () => {
    const senderTrace = {};
    const { enc } = await setupBaseSenderWith(v.aead_id, hex(v.pkRm), hex(v.info), hex(v.skEm), senderTrace);
    assert.equal(hexEncode(enc), v.enc);
    const receiverTrace = {};
    await setupBaseReceiverTraced(v.aead_id, hex(v.enc), await keyPairFromSecret(hex(v.skRm)), hex(v.info), receiverTrace);
    for (const trace of [senderTrace, receiverTrace]) {
      assert.equal(hexEncode(trace.sharedSecret), v.shared_secret);
      assert.equal(hexEncode(trace.keyScheduleContext), v.key_schedule_context);
      assert.equal(hexEncode(trace.secret), v.secret);
      assert.equal(hexEncode(trace.key), v.key);
      assert.equal(hexEncode(trace.baseNonce), v.base_nonce);
      assert.equal(hexEncode(trace.exporterSecret), v.exporter_secret);
    }
  });

  test(`${name}: every encryption seals and opens to the vector (${v.encryptions.length} messages)`, async () => {
    const { context: sender } = await setupBaseSenderWith(v.aead_id, hex(v.pkRm), hex(v.info), hex(v.skEm));
    const receiver = await setupBaseReceiver(v.aead_id, hex(v.enc), await keyPairFromSecret(hex(v.skRm)), hex(v.info));
    for (const [i, e] of v.encryptions.entries()) {
      assert.equal(hexEncode(await sender.seal(hex(e.aad), hex(e.plaintext))), e.ciphertext, `seal #${i}`);
      assert.equal(hexEncode(await receiver.open(hex(e.aad), hex(e.ciphertext))), e.plaintext, `open #${i}`);
    }
  });

  test(`${name}: every export matches the vector`, async () => {
    const receiver = await setupBaseReceiver(v.aead_id, hex(v.enc), await keyPairFromSecret(hex(v.skRm)), hex(v.info));
    for (const x of v.exports) {
      assert.equal(hexEncode(await receiver.export(hex(x.exporter_context), x.L)), x.exported_value);
    }
  });

  test(`${name}: a flipped bit fails to open and does not advance the sequence`, async () => {
    const receiver = await setupBaseReceiver(v.aead_id, hex(v.enc), await keyPairFromSecret(hex(v.skRm)), hex(v.info));
    const first = v.encryptions[0];
    const ct = hex(first.ciphertext);
    for (let bit = 0; bit < ct.length * 8; bit += 7) {
      const bad = Uint8Array.from(ct);
      bad[bit >> 3] ^= 1 << (bit & 7);
      await assert.rejects(receiver.open(hex(first.aad), bad), (e) => e instanceof HpkeError && e.code === 'auth_failed');
    }
    await assert.rejects(receiver.open(hex(first.aad + '00'), ct), (e) => e.code === 'auth_failed');
    assert.equal(receiver.sequence, 0n);
    assert.equal(hexEncode(await receiver.open(hex(first.aad), ct)), first.plaintext);
  });
}

test('a low-order X25519 public key is rejected as low_order_point', async () => {
  const sk = new Uint8Array(32).fill(7);
  const lowOrder = [new Uint8Array(32), Uint8Array.of(1, ...new Uint8Array(31)),
    hex('e0eb7a7c3b41b8ae1656e3faf19fc46ada098deb9c32b1fd866205165f49b800')];
  for (const pk of lowOrder) {
    await assert.rejects(setupBaseSenderWith(AEAD_AES_256_GCM, pk, new Uint8Array(0), sk),
      (e) => e instanceof HpkeError && e.code === 'low_order_point' && /low-order/.test(e.message));
    await assert.rejects(setupBaseReceiver(AEAD_AES_256_GCM, pk, await keyPairFromSecret(sk), new Uint8Array(0)),
      (e) => e instanceof HpkeError && e.code === 'low_order_point');
  }
});

test('an unsupported AEAD id and a wrong-sized enc are refused', async () => {
  const pair = await keyPairFromSecret(new Uint8Array(32).fill(7));
  await assert.rejects(setupBaseReceiver(3, pair.publicKey, pair, new Uint8Array(0)), (e) => e.code === 'invalid_argument');
  await assert.rejects(setupBaseReceiver(AEAD_AES_256_GCM, new Uint8Array(31), pair, new Uint8Array(0)), (e) => e.code === 'bad_length');
});
