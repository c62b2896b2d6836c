// What a failing WebCrypto is reported as. Only deriveBits' OperationError
// (WebCrypto's signal for an all-zero X25519 result) may read as the other
// side's bad key; every other exception is this device's failure and says
// so: 'unsupported' for NotSupportedError, 'internal' for anything else.
// crypto.subtle is stubbed one method at a time.
import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { AEAD_AES_256_GCM, HpkeError, keyPairFromSecret, setupBaseReceiver, setupBaseSender } from '../../web/src/hpke.js';
import { parseLink } from '../../web/src/link.js';
import { credentialJsonFromText } from '../../web/src/protocol.js';
import { QrloginError, Reason } from '../../web/src/reason.js';
import { startReceiver, startSender } from '../../web/src/qrlogin.js';
import { Receiver } from '../../web/src/receiver.js';
import { Sender } from '../../web/src/sender.js';
import { startFakeRelay } from './fake_relay.mjs';
import { frameOf, transcriptMachines } from './support.mjs';

const subtle = globalThis.crypto.subtle;

// Runs body with subtle[method] throwing `error` (the real method otherwise).
async function withFailing(method, error, body, { when = () => true } = {}) {
  const real = subtle[method].bind(subtle);
  subtle[method] = (...args) => (when(...args) ? Promise.reject(error) : real(...args));
  try {
    return await body();
  } finally {
    delete subtle[method];
  }
}

const domError = (name) => new DOMException(`stubbed ${name}`, name);
const isRaw = (format) => format === 'raw';
const isPkcs8 = (format) => format === 'pkcs8';

const ownKey = await keyPairFromSecret(new Uint8Array(32).fill(7));
const peerKey = (await keyPairFromSecret(new Uint8Array(32).fill(9))).publicKey;
const setupBoth = () => Promise.all([
  setupBaseSender(AEAD_AES_256_GCM, peerKey, new Uint8Array(0)),
  setupBaseReceiver(AEAD_AES_256_GCM, peerKey, ownKey, new Uint8Array(0)),
]);

test('deriveBits OperationError: the peer key is low-order (the one case that blames the key)', async () => {
  await withFailing('deriveBits', domError('OperationError'), () =>
    assert.rejects(setupBoth(), (e) => e instanceof HpkeError && e.code === 'low_order_point' && /low-order/.test(e.message)));
});

test('deriveBits NotSupportedError: this browser cannot do X25519, not an invalid key', async () => {
  await withFailing('deriveBits', domError('NotSupportedError'), () =>
    assert.rejects(setupBoth(), (e) => e instanceof HpkeError && e.code === 'unsupported'
      && /cannot do X25519/.test(e.message) && /NotSupportedError/.test(e.message) && e.cause?.name === 'NotSupportedError'));
});

for (const error of [new TypeError('stubbed TypeError'), domError('InvalidAccessError'), domError('DataError')]) {
  test(`deriveBits ${error.name}: an internal failure, named, not an invalid key`, async () => {
    await withFailing('deriveBits', error, () =>
      assert.rejects(setupBoth(), (e) => e instanceof HpkeError && e.code === 'internal'
        && e.message.includes(error.name) && !/low-order/.test(e.message)));
  });
}

test('importKey failures (DataError on the raw public key, NotSupportedError on pkcs8) are this device\'s', async () => {
  await withFailing('importKey', domError('DataError'), () =>
    assert.rejects(setupBaseReceiver(AEAD_AES_256_GCM, peerKey, ownKey, new Uint8Array(0)),
      (e) => e.code === 'internal' && /importKey raw/.test(e.message) && /DataError/.test(e.message)), { when: isRaw });
  await withFailing('importKey', domError('NotSupportedError'), () =>
    assert.rejects(keyPairFromSecret(new Uint8Array(32).fill(1)),
      (e) => e.code === 'unsupported' && /importKey pkcs8/.test(e.message)), { when: isPkcs8 });
});

test('the sender machine ends without blaming the receiver, its secrets dropped', async () => {
  const link = parseLink((await Receiver.create({ pageUrl: 'http://localhost:8080/pair' })).link);
  const sender = await Sender.create(link, credentialJsonFromText('x', ''));
  await withFailing('deriveBits', domError('NotSupportedError'), () =>
    assert.rejects(sender.start(), (e) => e instanceof QrloginError && e.code === 'unsupported'));
  assert.equal(sender.state, 'aborted');
  assert.equal(sender.holdsSecrets, false);
  assert.notEqual(sender.failure, Reason.bad_key);
  assert.deepEqual(await sender.onFrame(new Uint8Array([2])), [], 'a finished machine takes no more events');
});

test('the receiver machine, on HELLO, likewise: no bad_key, no ABORT', async () => {
  const { receiver } = await transcriptMachines();
  await withFailing('deriveBits', new TypeError('stubbed TypeError'), () =>
    assert.rejects(receiver.onFrame(frameOf('HELLO')), (e) => e instanceof QrloginError && e.code === 'internal' && /TypeError/.test(e.message)));
  assert.equal(receiver.state, 'aborted');
  assert.equal(receiver.holdsSecrets, false);
});

test('through the public API: startSender fails with unsupported, and says why', async () => {
  const relay = await startFakeRelay();
  after(() => relay.close());
  let sender;
  let restore;
  const receiver = startReceiver({
    relay: relay.url,
    page: 'http://localhost:8080/pair',
    WebSocket,
    onLink: (link) => {
      // Only deriveBits breaks, after the receiver made its key: feature
      // detection (generateKey) still passes, as on a partly broken browser.
      subtle.deriveBits = () => Promise.reject(domError('NotSupportedError'));
      restore = () => delete subtle.deriveBits;
      sender = startSender(link, 'grant', { WebSocket });
    },
    onCredential: () => true,
  });
  await new Promise((resolve) => { const t = setInterval(() => sender && (clearInterval(t), resolve()), 5); });
  try {
    await assert.rejects(sender.done, (e) => e instanceof QrloginError && e.code === 'unsupported'
      && /cannot do X25519/.test(e.message));
  } finally {
    restore();
    receiver.cancel();
    await receiver.done.catch(() => {});
  }
});
