// HPKE (RFC 9180), mode_base and mode_psk, DHKEM(X25519, HKDF-SHA256), HKDF-SHA256, with
// AES-128-GCM or AES-256-GCM, on WebCrypto only. Keys live in non-extractable
// CryptoKeys wherever WebCrypto allows; raw intermediate bytes are wiped.
import { concat, i2osp, utf8Encode, wipe } from './bytes.js';
import { INJECTED_RANDOM, KEY_SCHEDULE_TRACE, randomOf } from './random.js';

export const KEM_X25519_SHA256 = 0x0020;
export const KDF_HKDF_SHA256 = 0x0001;
export const AEAD_AES_128_GCM = 0x0001;
export const AEAD_AES_256_GCM = 0x0002;
export const ENC_BYTES = 32;
export const PUBLIC_KEY_BYTES = 32;
export const SECRET_KEY_BYTES = 32;
export const NONCE_BYTES = 12;
export const TAG_BYTES = 16;
const HASH_BYTES = 32;
const MAX_EXPAND_BYTES = 255 * HASH_BYTES;
const MODE_BASE = 0x00;
const MODE_PSK = 0x01;
// RFC 9180 §9.5: a PSK must carry at least 32 bytes of entropy.
const MIN_PSK_BYTES = 32;

const AEAD_KEY_BYTES = new Map([
  [AEAD_AES_128_GCM, 16],
  [AEAD_AES_256_GCM, 32],
]);

export class HpkeError extends Error {
  // code: low_order_point | auth_failed | bad_length | limit_exceeded | invalid_argument,
  // or, when this platform's WebCrypto fails rather than the input being bad:
  // unsupported (it cannot do X25519) | internal (anything else; `cause`
  // holds WebCrypto's own error).
  constructor(code, message, options) {
    super(message, options);
    this.name = 'HpkeError';
    this.code = code;
  }
}

// True when this platform's WebCrypto failed, rather than the input being
// bad: the pairing machines end with what failed, not with a reason that
// blames the other device.
export function isPlatformFailure(e) {
  return e instanceof HpkeError && (e.code === 'unsupported' || e.code === 'internal');
}

function subtle() {
  const s = globalThis.crypto?.subtle;
  if (!s) throw new HpkeError('invalid_argument', 'WebCrypto (crypto.subtle) is not available here');
  return s;
}

export function aeadKeyBytes(aeadId) {
  const n = AEAD_KEY_BYTES.get(aeadId);
  if (n === undefined) throw new HpkeError('invalid_argument', 'unsupported HPKE AEAD id');
  return n;
}

const VERSION_LABEL = utf8Encode('HPKE-v1');
const KEM_SUITE_ID = concat(utf8Encode('KEM'), i2osp(KEM_X25519_SHA256, 2));
function hpkeSuiteId(aeadId) {
  return concat(utf8Encode('HPKE'), i2osp(KEM_X25519_SHA256, 2), i2osp(KDF_HKDF_SHA256, 2), i2osp(aeadId, 2));
}

// ---- HKDF-SHA256 on HMAC (WebCrypto's HKDF cannot expand a given PRK) ----

async function hmacKey(keyBytes) {
  // An empty HMAC key equals HashLen zero bytes (RFC 2104 pads keys with
  // zeros), and WebCrypto refuses zero-length keys.
  const raw = keyBytes.length === 0 ? new Uint8Array(HASH_BYTES) : keyBytes;
  return subtle().importKey('raw', raw, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
}

export async function hmacSha256(key, data) {
  const k = key instanceof Uint8Array ? await hmacKey(key) : key;
  return new Uint8Array(await subtle().sign('HMAC', k, data));
}

// HKDF-Extract. The PRK comes back as bytes: callers wipe it after expanding.
export async function hkdfExtract(salt, ikm) {
  return hmacSha256(salt, ikm);
}

export async function hkdfExpand(prk, info, length) {
  if (length > MAX_EXPAND_BYTES) throw new HpkeError('limit_exceeded', 'HKDF-SHA256 cannot expand more than 8160 bytes');
  const key = prk instanceof Uint8Array ? await hmacKey(prk) : prk;
  const out = new Uint8Array(length);
  let block = new Uint8Array(0);
  for (let i = 1, offset = 0; offset < length; i++) {
    const input = concat(block, info, Uint8Array.of(i));
    const next = await hmacSha256(key, input);
    wipe(block, input);
    block = next;
    out.set(block.subarray(0, Math.min(HASH_BYTES, length - offset)), offset);
    offset += HASH_BYTES;
  }
  wipe(block);
  return out;
}

async function labeledExtract(suiteId, salt, label, ikm) {
  const labeled = concat(VERSION_LABEL, suiteId, utf8Encode(label), ikm);
  try {
    return await hkdfExtract(salt, labeled);
  } finally {
    wipe(labeled);
  }
}

async function labeledExpand(suiteId, prk, label, info, length) {
  if (length > 0xffff) throw new HpkeError('limit_exceeded', 'HPKE cannot expand more than 65535 bytes');
  const labeledInfo = concat(i2osp(length, 2), VERSION_LABEL, suiteId, utf8Encode(label), info);
  return hkdfExpand(prk, labeledInfo, length);
}

// ---- X25519 ----

// PKCS#8 wrapping of a raw X25519 private key (RFC 8410), the one private
// key format WebCrypto imports everywhere.
const PKCS8_X25519_PREFIX = Uint8Array.of(
  0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x6e, 0x04, 0x22, 0x04, 0x20);
const BASE_POINT = (() => {
  const p = new Uint8Array(PUBLIC_KEY_BYTES);
  p[0] = 9;
  return p;
})();

const LOW_ORDER = "the peer's X25519 public key is a low-order point (shared secret would be zero)";

// What a WebCrypto exception during an X25519 step means. Only deriveBits'
// OperationError says something about the peer's key: it is WebCrypto's
// signal for an all-zero shared secret (a low-order public key). Anything
// else (NotSupportedError, a TypeError, a DataError on import) is this
// platform failing, and is reported as that, never as "invalid key".
function x25519Failure(e, step) {
  if (e instanceof HpkeError) return e;
  if (step === 'deriveBits' && e?.name === 'OperationError') return new HpkeError('low_order_point', LOW_ORDER, { cause: e });
  const what = `${e?.name ?? 'Error'}: ${e?.message ?? e}`;
  if (e?.name === 'NotSupportedError') {
    return new HpkeError('unsupported', `this browser cannot do X25519 in WebCrypto (${step} failed with ${what})`, { cause: e });
  }
  return new HpkeError('internal', `WebCrypto failed during X25519 (${step} failed with ${what})`, { cause: e });
}

export async function importPrivateKey(secretKey) {
  if (secretKey.length !== SECRET_KEY_BYTES) throw new HpkeError('bad_length', 'X25519 secret key must be 32 bytes');
  const pkcs8 = concat(PKCS8_X25519_PREFIX, secretKey);
  try {
    return await subtle().importKey('pkcs8', pkcs8, { name: 'X25519' }, false, ['deriveBits']);
  } catch (e) {
    throw x25519Failure(e, 'importKey pkcs8');
  } finally {
    wipe(pkcs8);
  }
}

async function importPublicKey(publicKey) {
  if (publicKey.length !== PUBLIC_KEY_BYTES) throw new HpkeError('bad_length', 'X25519 public key must be 32 bytes');
  try {
    return await subtle().importKey('raw', publicKey, { name: 'X25519' }, true, []);
  } catch (e) {
    throw x25519Failure(e, 'importKey raw');
  }
}

// X25519(sk, pk). Rejects an all-zero result (a low-order public key, RFC
// 9180 §7.1.4); WebCrypto implementations throw OperationError for it, and
// we check too.
export async function x25519(privateKey, publicKey) {
  const pub = await importPublicKey(publicKey);
  let shared;
  try {
    shared = new Uint8Array(await subtle().deriveBits({ name: 'X25519', public: pub }, privateKey, 256));
  } catch (e) {
    throw x25519Failure(e, 'deriveBits');
  }
  if (shared.every((b) => b === 0)) throw new HpkeError('low_order_point', LOW_ORDER);
  return shared;
}

// A key pair from 32 secret bytes (clamped by X25519 itself). The public key
// is X25519(sk, 9), so the private key can stay non-extractable.
export async function keyPairFromSecret(secretKey) {
  const privateKey = await importPrivateKey(secretKey);
  const publicKey = await x25519(privateKey, BASE_POINT);
  return { privateKey, publicKey };
}

// DeriveKeyPair (RFC 9180 §7.1.3) for DHKEM(X25519): returns the secret bytes.
export async function deriveSecretKey(ikm) {
  const dkpPrk = await labeledExtract(KEM_SUITE_ID, new Uint8Array(0), 'dkp_prk', ikm);
  try {
    return await labeledExpand(KEM_SUITE_ID, dkpPrk, 'sk', new Uint8Array(0), SECRET_KEY_BYTES);
  } finally {
    wipe(dkpPrk);
  }
}

// ---- Contexts ----

// A key, a base nonce and a sequence number: the AEAD half of an HPKE
// context, also used alone for qrlogin's receiver-to-sender direction. The
// sequence advances only when a seal or open succeeds.
export class SequencedAead {
  #key;
  #baseNonce;
  #seq = 0n;
  #busy = false;

  // Use SequencedAead.create: importing the key is asynchronous.
  constructor(cryptoKey, baseNonce) {
    this.#key = cryptoKey;
    this.#baseNonce = Uint8Array.from(baseNonce);
  }

  static async create(aeadId, keyBytes, baseNonce) {
    if (keyBytes.length !== aeadKeyBytes(aeadId)) throw new HpkeError('bad_length', 'AEAD key has the wrong length');
    if (baseNonce.length !== NONCE_BYTES) throw new HpkeError('bad_length', 'AEAD base nonce must be 12 bytes');
    const key = await subtle().importKey('raw', keyBytes, { name: 'AES-GCM' }, false, ['encrypt', 'decrypt']);
    return new SequencedAead(key, baseNonce);
  }

  get sequence() {
    return this.#seq;
  }

  #nonce() {
    if (!this.#key) throw new HpkeError('invalid_argument', 'this context has been wiped');
    if (this.#seq >= (1n << 96n) - 1n) throw new HpkeError('limit_exceeded', 'HPKE message limit reached');
    const seq = i2osp(this.#seq, NONCE_BYTES);
    const nonce = Uint8Array.from(this.#baseNonce);
    for (let i = 0; i < NONCE_BYTES; i++) nonce[i] ^= seq[i];
    return nonce;
  }

  // One operation at a time: a sequence number is never used twice.
  async #run(operation) {
    if (this.#busy) throw new HpkeError('invalid_argument', 'one seal or open at a time per context');
    this.#busy = true;
    try {
      const result = await operation(this.#nonce());
      this.#seq += 1n;
      return result;
    } finally {
      this.#busy = false;
    }
  }

  seal(aad, plaintext) {
    return this.#run(async (iv) =>
      new Uint8Array(await subtle().encrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, this.#key, plaintext)));
  }

  open(aad, ciphertext) {
    return this.#run(async (iv) => {
      if (ciphertext.length < TAG_BYTES) throw new HpkeError('auth_failed', 'the message is shorter than its tag');
      try {
        return new Uint8Array(await subtle().decrypt({ name: 'AES-GCM', iv, additionalData: aad, tagLength: 128 }, this.#key, ciphertext));
      } catch {
        throw new HpkeError('auth_failed', 'the message failed to decrypt (altered, damaged or out of order)');
      }
    });
  }

  wipe() {
    this.#key = null;
    wipe(this.#baseNonce);
  }
}

export class Context {
  #aead;
  #exporterKey;
  #suiteId;

  constructor(aead, exporterKey, suiteId) {
    this.#aead = aead;
    this.#exporterKey = exporterKey;
    this.#suiteId = suiteId;
  }

  get sequence() {
    return this.#aead.sequence;
  }

  seal(aad, plaintext) {
    return this.#aead.seal(aad, plaintext);
  }

  open(aad, ciphertext) {
    return this.#aead.open(aad, ciphertext);
  }

  // Secret export (RFC 9180 §5.3).
  async export(exporterContext, length) {
    if (!this.#exporterKey) throw new HpkeError('invalid_argument', 'this context has been wiped');
    if (length > MAX_EXPAND_BYTES) throw new HpkeError('limit_exceeded', 'HPKE export is limited to 8160 bytes');
    return labeledExpand(this.#suiteId, this.#exporterKey, 'sec', exporterContext, length);
  }

  wipe() {
    this.#aead.wipe();
    this.#exporterKey = null;
  }
}

async function extractAndExpand(dh, kemContext) {
  const eaePrk = await labeledExtract(KEM_SUITE_ID, new Uint8Array(0), 'eae_prk', dh);
  try {
    return await labeledExpand(KEM_SUITE_ID, eaePrk, 'shared_secret', kemContext, 32);
  } finally {
    wipe(eaePrk);
  }
}

// VerifyPSKInputs (RFC 9180 §5.1): mode_base takes neither psk nor psk_id,
// mode_psk both.
function verifyPskInputs(mode, psk, pskId) {
  if ((psk.length === 0) !== (pskId.length === 0)) {
    throw new HpkeError('invalid_argument', 'HPKE takes a psk and a psk_id together or neither');
  }
  if (mode === MODE_PSK && psk.length === 0) throw new HpkeError('invalid_argument', 'HPKE mode_psk needs a psk and a psk_id');
  if (mode === MODE_BASE && psk.length !== 0) throw new HpkeError('invalid_argument', 'HPKE mode_base takes no psk');
  if (mode === MODE_PSK && psk.length < MIN_PSK_BYTES) throw new HpkeError('bad_length', 'an HPKE psk must be at least 32 bytes');
}

async function keySchedule(mode, aeadId, sharedSecret, info, psk, pskId, trace) {
  verifyPskInputs(mode, psk, pskId);
  const suiteId = hpkeSuiteId(aeadId);
  const empty = new Uint8Array(0);
  const pskIdHash = await labeledExtract(suiteId, empty, 'psk_id_hash', pskId);
  const infoHash = await labeledExtract(suiteId, empty, 'info_hash', info);
  const context = concat(Uint8Array.of(mode), pskIdHash, infoHash);
  const secret = await labeledExtract(suiteId, sharedSecret, 'secret', psk);
  const key = await labeledExpand(suiteId, secret, 'key', context, aeadKeyBytes(aeadId));
  const baseNonce = await labeledExpand(suiteId, secret, 'base_nonce', context, NONCE_BYTES);
  const exporterSecret = await labeledExpand(suiteId, secret, 'exp', context, HASH_BYTES);
  try {
    if (trace) {
      Object.assign(trace, {
        sharedSecret: Uint8Array.from(sharedSecret),
        keyScheduleContext: Uint8Array.from(context),
        secret: Uint8Array.from(secret),
        key: Uint8Array.from(key),
        baseNonce: Uint8Array.from(baseNonce),
        exporterSecret: Uint8Array.from(exporterSecret),
      });
    }
    const aead = await SequencedAead.create(aeadId, key, baseNonce);
    const exporterKey = await hmacKey(exporterSecret);
    return new Context(aead, exporterKey, suiteId);
  } finally {
    wipe(secret, key, baseNonce, exporterSecret);
  }
}

const NO_PSK = new Uint8Array(0);

// Encap (RFC 9180 §4.1) with the sender's ephemeral key pair: the shared
// secret and the key schedule in `mode`.
async function encapsulated(mode, aeadId, ephemeral, receiverPublicKey, info, psk, pskId, trace) {
  const dh = await x25519(ephemeral.privateKey, receiverPublicKey);
  const shared = await extractAndExpand(dh, concat(ephemeral.publicKey, receiverPublicKey));
  try {
    return await keySchedule(mode, aeadId, shared, info, psk, pskId, trace);
  } finally {
    wipe(dh, shared);
  }
}

// Decap (RFC 9180 §4.1) and the key schedule in `mode`.
async function decapsulated(mode, aeadId, enc, receiver, info, psk, pskId, trace) {
  if (enc.length !== ENC_BYTES) throw new HpkeError('bad_length', 'HPKE enc must be 32 bytes');
  const dh = await x25519(receiver.privateKey, enc);
  const shared = await extractAndExpand(dh, concat(enc, receiver.publicKey));
  try {
    return await keySchedule(mode, aeadId, shared, info, psk, pskId, trace);
  } finally {
    wipe(dh, shared);
  }
}

// The sender's ephemeral key pair { privateKey: CryptoKey, publicKey:
// Uint8Array (enc) }, for one SetupPSKS: WebCrypto generates it, its
// private key never leaves WebCrypto. The tests' injected randomness
// (random.js) fixes it instead.
export async function senderKeyPair(internal = {}) {
  const random = internal[INJECTED_RANDOM];
  if (random) {
    const secret = random(SECRET_KEY_BYTES);
    try {
      return await keyPairFromSecret(secret);
    } finally {
      wipe(secret);
    }
  }
  let pair;
  try {
    pair = await subtle().generateKey({ name: 'X25519' }, false, ['deriveBits']);
  } catch (e) {
    throw x25519Failure(e, 'generateKey');
  }
  let publicKey;
  try {
    publicKey = new Uint8Array(await subtle().exportKey('raw', pair.publicKey));
  } catch (e) {
    throw x25519Failure(e, 'exportKey raw');
  }
  return { privateKey: pair.privateKey, publicKey };
}

// SetupBaseS with a fresh ephemeral key (32 bytes from the system's
// CSPRNG). Returns { enc, context }. `internal` is for qrlogin's own code
// (random.js): nothing an application passes changes the key.
export async function setupBaseSender(aeadId, receiverPublicKey, info, internal = {}) {
  aeadKeyBytes(aeadId);
  const ephemeralSecret = randomOf(internal)(SECRET_KEY_BYTES);
  let ephemeral;
  try {
    ephemeral = await keyPairFromSecret(ephemeralSecret);
  } finally {
    wipe(ephemeralSecret);
  }
  const context = await encapsulated(MODE_BASE, aeadId, ephemeral, receiverPublicKey, info, NO_PSK, NO_PSK,
    internal[KEY_SCHEDULE_TRACE]);
  return { enc: ephemeral.publicKey, context };
}

// SetupBaseR. receiver is { privateKey: CryptoKey, publicKey: Uint8Array }.
export async function setupBaseReceiver(aeadId, enc, receiver, info, internal = {}) {
  aeadKeyBytes(aeadId);
  return decapsulated(MODE_BASE, aeadId, enc, receiver, info, NO_PSK, NO_PSK, internal[KEY_SCHEDULE_TRACE]);
}

// SetupPSKS with the sender's ephemeral key pair (senderKeyPair), drawn
// before the call because the code mode authenticates enc before it knows
// the psk; use each pair once. Returns the context; enc is
// ephemeral.publicKey.
export async function setupPskSender(aeadId, receiverPublicKey, info, psk, pskId, ephemeral, internal = {}) {
  aeadKeyBytes(aeadId);
  verifyPskInputs(MODE_PSK, psk, pskId);
  return encapsulated(MODE_PSK, aeadId, ephemeral, receiverPublicKey, info, psk, pskId, internal[KEY_SCHEDULE_TRACE]);
}

// SetupPSKR. receiver is { privateKey: CryptoKey, publicKey: Uint8Array }.
export async function setupPskReceiver(aeadId, enc, receiver, info, psk, pskId, internal = {}) {
  aeadKeyBytes(aeadId);
  verifyPskInputs(MODE_PSK, psk, pskId);
  return decapsulated(MODE_PSK, aeadId, enc, receiver, info, psk, pskId, internal[KEY_SCHEDULE_TRACE]);
}
