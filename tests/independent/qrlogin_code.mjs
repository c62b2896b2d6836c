// An independent computation of the typed-code mode (protocol-code.md),
// written from the contract and draft-irtf-cfrg-cpace-21 alone: ristretto255
// from @noble/curves, SHA-256, SHA-512, HMAC and HKDF from @noble/hashes,
// HPKE mode_psk from @hpke/core (its own WebCrypto X25519), the
// receiver-to-sender AES-256-GCM from WebCrypto. Nothing from web/src or
// the C++ code is used: where this and web/src agree on
// tests/vectors/code-v1.json, the two follow the contract, not each other.
//
// transcriptOf(inputs) recomputes every value of code-v1.json from its
// "inputs" in one straight run, as plain hex and text.
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';
import { ristretto255, ristretto255_hasher, x25519 } from '@noble/curves/ed25519.js';
import { expand, extract } from '@noble/hashes/hkdf.js';
import { hmac } from '@noble/hashes/hmac.js';
import { sha256, sha512 } from '@noble/hashes/sha2.js';

const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
const subtle = globalThis.crypto.subtle;

export const ascii = (text) => new Uint8Array(Buffer.from(text, 'utf8'));
export const join = (...parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
export const bytes = (hex) => new Uint8Array(Buffer.from(hex, 'hex'));
export const hex = (data) => Buffer.from(data instanceof ArrayBuffer ? new Uint8Array(data) : data).toString('hex');
const buf = (u8) => u8.buffer.slice(u8.byteOffset, u8.byteOffset + u8.length);

// ---- CPace, draft-irtf-cfrg-cpace-21 §5.1, §7, §8.3, §10.4 ----

export function prependLen(data) {
  const out = [];
  let n = data.length;
  for (;;) {
    out.push(n < 128 ? n : (n & 0x7f) + 0x80);
    n >>= 7;
    if (n === 0) break;
  }
  return join(out, data);
}
export const lvCat = (...args) => join(...args.map(prependLen));

const DSI = ascii('CPaceRistretto255');
export function generatorString(prs, ci, sid) {
  const zpad = Math.max(0, 128 - 1 - prependLen(prs).length - prependLen(DSI).length);
  return lvCat(DSI, prs, new Uint8Array(zpad), ci, sid);
}

const scalar = (le) => {
  let v = 0n;
  for (let i = le.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(le[i]);
  return v;
};
export const mult = (y, point) => point.multiply(scalar(y)).toBytes();

// scalar_mult_vfy: null where the draft returns G.I.
export function multVfy(y, encoded) {
  let point;
  try {
    point = ristretto255.Point.fromBytes(encoded);
  } catch {
    return null;
  }
  if (point.is0()) return null;
  return mult(y, point);
}

// ---- HPKE key schedule (RFC 9180 §5.1), for the values @hpke/core keeps inside ----

const suiteId = join(ascii('HPKE'), [0, 0x20, 0, 1, 0, 2]);
const labeledExtract = (salt, label, ikm) => extract(sha256, join(ascii('HPKE-v1'), suiteId, ascii(label), ikm), salt);
const labeledExpand = (prk, label, info, length) =>
  expand(sha256, prk, join([length >> 8, length & 0xff], ascii('HPKE-v1'), suiteId, ascii(label), info), length);

function keySchedulePsk(sharedSecret, info, psk, pskId) {
  const context = join([1], labeledExtract(new Uint8Array(0), 'psk_id_hash', pskId), labeledExtract(new Uint8Array(0), 'info_hash', info));
  const secret = labeledExtract(sharedSecret, 'secret', psk);
  return {
    key: labeledExpand(secret, 'key', context, 32),
    base_nonce: labeledExpand(secret, 'base_nonce', context, 12),
    exporter_secret: labeledExpand(secret, 'exp', context, 32),
  };
}

// DHKEM(X25519) Encap's shared secret (RFC 9180 §4.1).
function kemSharedSecret(dh, enc, pkR) {
  const kemSuite = join(ascii('KEM'), [0, 0x20]);
  const prk = extract(sha256, join(ascii('HPKE-v1'), kemSuite, ascii('eae_prk'), dh), new Uint8Array(0));
  return expand(sha256, prk, join([0, 32], ascii('HPKE-v1'), kemSuite, ascii('shared_secret'), enc, pkR), 32);
}

// ---- @hpke/core contexts ----

export async function senderContext(skE, pkR, info, psk, pskId) {
  const privateKey = await suite.kem.importKey('raw', buf(skE), false);
  const publicKey = await suite.kem.importKey('raw', buf(x25519.getPublicKey(skE)), true);
  return suite.createSenderContext({
    recipientPublicKey: await suite.kem.importKey('raw', buf(pkR), true),
    info: buf(info),
    psk: { id: buf(pskId), key: buf(psk) },
    ekm: { privateKey, publicKey },
  });
}

export async function recipientContext(skR, enc, info, psk, pskId) {
  return suite.createRecipientContext({
    recipientKey: await suite.kem.importKey('raw', buf(skR), false),
    enc: buf(enc),
    info: buf(info),
    psk: { id: buf(pskId), key: buf(psk) },
  });
}

export const sealFrame = async (ctx, type, plaintext) =>
  join([type], new Uint8Array(await ctx.seal(buf(plaintext), Uint8Array.of(type).buffer)));
export const openFrame = async (ctx, frame) => new Uint8Array(await ctx.open(buf(frame.slice(1)), frame.slice(0, 1).buffer));

// The receiver-to-sender direction (rev. 3): AES-256-GCM under key_r with
// nonce_r XOR I2OSP(i, 12), AAD the type byte.
export async function responseSeal(key, nonce, i, type, plaintext) {
  const iv = Uint8Array.from(nonce);
  new DataView(iv.buffer).setUint32(8, new DataView(iv.buffer).getUint32(8) ^ i);
  const aes = await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt']);
  return join([type], new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: Uint8Array.of(type) }, aes, plaintext)));
}

export function padCredential(j) {
  const out = new Uint8Array(Math.ceil((4 + j.length) / 256) * 256);
  new DataView(out.buffer).setUint32(0, j.length);
  out.set(j, 4);
  return out;
}
export function padStatus(text) {
  const out = new Uint8Array(128).fill(0x20);
  out.set(ascii(text));
  return out;
}

// ---- The code ----

export const DAMM = ['0317598642', '7092154863', '4206871359', '1750983426', '6123045978',
  '3674209581', '5869720134', '8945362017', '9438617205', '2581436790'];
export const damm = (digits) => [...digits].reduce((c, d) => Number(DAMM[c][Number(d)]), 0);

export const origin = (pageUrl) => new URL(pageUrl).origin;
export const cidRawOf = (nameplate) => sha256(join(ascii('qrlogin/v1 code channel'), ascii(nameplate))).slice(0, 16);
export const ciOf = (app, cidRaw) => lvCat(ascii('qrlogin/v1 code'), ascii(app), cidRaw);

// Everything code-v1.json derives from its inputs.
export async function transcriptOf(inputs) {
  const skR = bytes(inputs.skR);
  const skE = bytes(inputs.skE);
  const sid = bytes(inputs.sid);
  const ya = bytes(inputs.ya);
  const yb = bytes(inputs.yb);
  const np = inputs.nameplate + inputs.password;
  const code = np + String(damm(np));
  const app = origin(inputs.page_url);
  const cidRaw = cidRawOf(inputs.nameplate);
  const pkR = x25519.getPublicKey(skR);
  const enc = x25519.getPublicKey(skE);
  const prs = ascii(inputs.password);
  const ci = ciOf(app, cidRaw);
  const genStr = generatorString(prs, ci, sid);
  const genHash = sha512(genStr);
  const g = ristretto255_hasher.deriveToCurve(genHash);
  const Ya = mult(ya, g);
  const Yb = mult(yb, g);
  const ADa = join(ascii('qrlogin/v1 R'), pkR);
  const ADb = join(ascii('qrlogin/v1 S'), enc);
  const K = multVfy(ya, Yb);
  const Kb = multVfy(yb, Ya);
  if (K === null || hex(K) !== hex(Kb)) throw new Error('the two sides of CPace disagree on K');
  const ISK = sha512(join(lvCat(ascii('CPaceRistretto255_ISK'), sid, K), lvCat(Ya, ADa), lvCat(Yb, ADb)));
  const macKey = sha512(join(ascii('CPaceMac'), sid, ISK));
  const tagR = hmac(sha512, macKey, lvCat(Ya, ADa));
  const tagS = hmac(sha512, macKey, lvCat(Yb, ADb));
  const psk = expand(sha256, extract(sha256, ISK, new Uint8Array(0)), ascii('qrlogin/v1 code psk'), 32);
  const pskId = ascii('qrlogin/v1 code');
  const info = join(ascii('qrlogin/v1 code'), cidRaw);
  const schedule = keySchedulePsk(kemSharedSecret(x25519.getSharedSecret(skE, pkR), enc, pkR), info, psk, pskId);

  const sender = await senderContext(skE, pkR, info, psk, pskId);
  const receiver = await recipientContext(skR, enc, info, psk, pskId);
  if (hex(sender.enc) !== hex(enc)) throw new Error("@hpke/core's enc is not X25519(skE, 9)");
  const responseKey = new Uint8Array(await receiver.export(ascii('qrlogin/v1 response key').buffer, 32));
  const responseNonce = new Uint8Array(await receiver.export(ascii('qrlogin/v1 response nonce').buffer, 12));
  const credentialJson = JSON.stringify({ credential: inputs.credential, label: inputs.label });
  const credentialPlaintext = padCredential(ascii(credentialJson));
  const resultJson = '{"accepted":true}';
  const resultPlaintext = padStatus(resultJson);
  const abortBody = padStatus('{"reason":"user_cancelled"}');
  const credentialFrame = await sealFrame(sender, 4, credentialPlaintext);
  if (hex(await openFrame(receiver, credentialFrame)) !== hex(credentialPlaintext)) throw new Error('CREDENTIAL does not open');
  const senderForAbort = await senderContext(skE, pkR, info, psk, pskId);

  return {
    code,
    check_digit: code[13],
    display: `${code.slice(0, 3)} ${code.slice(3, 7)} - ${code.slice(7, 10)} ${code.slice(10)}`,
    spoken: [code.slice(0, 3), code.slice(3, 7), code.slice(7, 10), code.slice(10)].map((g4) => [...g4].join(' ')).join(', '),
    app,
    cid_raw: hex(cidRaw),
    cid: Buffer.from(cidRaw).toString('base64url'),
    pkR: hex(pkR),
    enc: hex(enc),
    prs: hex(prs),
    ci: hex(ci),
    gen_str: hex(genStr),
    gen_hash: hex(genHash),
    g: hex(g.toBytes()),
    Ya: hex(Ya),
    ADa: hex(ADa),
    Yb: hex(Yb),
    ADb: hex(ADb),
    K: hex(K),
    ISK: hex(ISK),
    mac_key: hex(macKey),
    tag_R: hex(tagR),
    tag_S: hex(tagS),
    psk: hex(psk),
    psk_id: hex(pskId),
    info: hex(info),
    hpke: { key: hex(schedule.key), base_nonce: hex(schedule.base_nonce), exporter_secret: hex(schedule.exporter_secret) },
    exports: { response_key: hex(responseKey), response_nonce: hex(responseNonce) },
    credential_json: credentialJson,
    credential_plaintext_hex: hex(credentialPlaintext),
    result_json: resultJson,
    result_plaintext_hex: hex(resultPlaintext),
    frames: [
      { type: 'PAKE_R', from: 'receiver', hex: hex(join([7], sid, Ya, pkR)) },
      { type: 'PAKE_S', from: 'sender', hex: hex(join([8], Yb, enc, tagS)) },
      { type: 'CONFIRM_R', from: 'receiver', hex: hex(join([9], tagR)) },
      { type: 'CREDENTIAL', from: 'sender', hex: hex(credentialFrame) },
      { type: 'RESULT', from: 'receiver', hex: hex(await responseSeal(responseKey, responseNonce, 0, 5, resultPlaintext)) },
    ],
    receiver_abort: {
      reason: 'user_cancelled', body_hex: hex(abortBody),
      hex: hex(await responseSeal(responseKey, responseNonce, 0, 6, abortBody)),
    },
    sender_abort: { reason: 'user_cancelled', body_hex: hex(abortBody), hex: hex(await sealFrame(senderForAbort, 6, abortBody)) },
  };
}
