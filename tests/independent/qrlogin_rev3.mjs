// An independent implementation of the pairing protocol, revision 3, written
// from ../shared/design/protocol-v1.md alone: HPKE from @hpke/core with the
// noble-based @hpke/dhkem-x25519, SHA-256, HMAC and AES-256-GCM from
// WebCrypto, frames over the `ws` package. Nothing from web/src or the C++
// code is used, so a test that pairs this with the CLI or the pages checks
// that our implementations follow the contract, not each other.
//
// It is deliberately plain: one straight run per pairing, no resume, no
// retries; any deviation from the expected message throws.
import { Aes256Gcm, CipherSuite, HkdfSha256 } from '@hpke/core';
import { DhkemX25519HkdfSha256, X25519 } from '@hpke/dhkem-x25519';
import WebSocket from 'ws';

const subtle = globalThis.crypto.subtle;
const suite = new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() });
const curve = new X25519(new HkdfSha256());

export const TYPE = { HELLO: 1, READY: 2, REVEAL: 3, CREDENTIAL: 4, RESULT: 5, ABORT: 6 };
export const STATUS_BODY_BYTES = 128;

export const ascii = (text) => new Uint8Array(Buffer.from(text, 'utf8'));
export const join = (...parts) => new Uint8Array(Buffer.concat(parts.map((p) => Buffer.from(p))));
const b64url = (data) => Buffer.from(data).toString('base64url');
const equalBytes = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);

export const sha256 = async (...parts) => new Uint8Array(await subtle.digest('SHA-256', join(...parts)));
export async function hmac(key, data) {
  const k = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  return new Uint8Array(await subtle.sign('HMAC', k, data));
}

export async function keyPairFromSecret(secret) {
  const privateKey = await suite.kem.importKey('raw', secret.buffer.slice(secret.byteOffset, secret.byteOffset + 32), false);
  const publicKey = await curve.derivePublicKey(privateKey);
  return { privateKey, publicKey, raw: new Uint8Array(await suite.kem.serializePublicKey(publicKey)) };
}

export async function freshKeyPair() {
  return keyPairFromSecret(globalThis.crypto.getRandomValues(new Uint8Array(32)));
}

// cid = first 16 bytes of SHA-256("qrlogin/v1 channel" || pkR); info = "qrlogin/v1" || cid.
export async function channelOf(pkR) {
  const cidRaw = (await sha256(ascii('qrlogin/v1 channel'), pkR)).slice(0, 16);
  return { cidRaw, cid: b64url(cidRaw), info: join(ascii('qrlogin/v1'), cidRaw) };
}

export const commitOf = (cidRaw, enc, ns) => sha256(ascii('qrlogin/v1 commit'), cidRaw, enc, ns);

export async function senderContext(pkR, info, ephemeral) {
  return suite.createSenderContext({
    recipientPublicKey: await suite.kem.importKey('raw', pkR.buffer.slice(pkR.byteOffset, pkR.byteOffset + 32), true),
    info: info.buffer.slice(info.byteOffset, info.byteOffset + info.length),
    ...(ephemeral ? { ekm: { privateKey: ephemeral.privateKey, publicKey: ephemeral.publicKey } } : {}),
  });
}

export async function recipientContext(privateKey, info, enc) {
  return suite.createRecipientContext({
    recipientKey: privateKey,
    enc: enc.buffer.slice(enc.byteOffset, enc.byteOffset + enc.length),
    info: info.buffer.slice(info.byteOffset, info.byteOffset + info.length),
  });
}

// The receiver-to-sender direction: AES-256-GCM with the exported key and
// nonce_r XOR I2OSP(i, 12), AAD the type byte.
export async function responseCipher(ctx) {
  const key = new Uint8Array(await ctx.export(ascii('qrlogin/v1 response key').buffer, 32));
  const nonce = new Uint8Array(await ctx.export(ascii('qrlogin/v1 response nonce').buffer, 12));
  const aesKey = await subtle.importKey('raw', key, 'AES-GCM', false, ['encrypt', 'decrypt']);
  const iv = (i) => {
    const out = Uint8Array.from(nonce);
    new DataView(out.buffer).setUint32(8, new DataView(out.buffer).getUint32(8) ^ i);
    return out;
  };
  return {
    seal: async (i, type, plaintext) =>
      join([type], new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: iv(i), additionalData: Uint8Array.of(type) }, aesKey, plaintext))),
    open: async (i, frame) =>
      new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: iv(i), additionalData: frame.subarray(0, 1) }, aesKey, frame.subarray(1))),
  };
}

export const sealFrame = async (ctx, type, plaintext) =>
  join([type], new Uint8Array(await ctx.seal(plaintext.slice().buffer, Uint8Array.of(type).buffer)));
export const openFrame = async (ctx, frame) =>
  new Uint8Array(await ctx.open(frame.slice(1).buffer, frame.slice(0, 1).buffer));

// SAS: HMAC-SHA256(export("qrlogin/v1 sas", 32), "qrlogin/v1 sas" || Nr || Ns),
// first 8 bytes big-endian mod 10^6, six digits shown as "ddd ddd".
export async function sasOf(ctx, nr, ns) {
  const key = new Uint8Array(await ctx.export(ascii('qrlogin/v1 sas').buffer, 32));
  const mac = await hmac(key, join(ascii('qrlogin/v1 sas'), nr, ns));
  const number = Number(Buffer.from(mac).readBigUInt64BE(0) % 1000000n).toString().padStart(6, '0');
  return `${number.slice(0, 3)} ${number.slice(3)}`;
}

// Credential padding: uint32-be(len(J)) || J || zeros to a multiple of 256.
export function padCredential(j) {
  const out = new Uint8Array(Math.ceil((4 + j.length) / 256) * 256);
  new DataView(out.buffer).setUint32(0, j.length);
  out.set(j, 4);
  return out;
}

export function unpadCredential(plaintext) {
  if (plaintext.length === 0 || plaintext.length % 256 !== 0) throw new Error('length is not a multiple of 256');
  const len = new DataView(plaintext.buffer, plaintext.byteOffset).getUint32(0);
  if (len > 65536) throw new Error('len(J) over 65536');
  if (len > plaintext.length - 4) throw new Error('len(J) over the plaintext');
  if (plaintext.length - 4 - len >= 256) throw new Error('more padding than needed');
  if (plaintext.subarray(4 + len).some((b) => b !== 0)) throw new Error('non-zero padding');
  const j = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext.subarray(4, 4 + len)));
  if (j === null || typeof j !== 'object' || Array.isArray(j) || !('credential' in j)) throw new Error('no credential member');
  return j;
}

// (rev. 3) Status bodies: the JSON object, then spaces up to exactly 128 bytes.
export function padStatusText(text) {
  const json = ascii(text);
  if (json.length > STATUS_BODY_BYTES) throw new Error('status body over 128 bytes');
  const out = new Uint8Array(STATUS_BODY_BYTES).fill(0x20);
  out.set(json);
  return out;
}
export const padStatus = (object) => padStatusText(JSON.stringify(object));

export function unpadStatus(plaintext) {
  if (plaintext.length !== STATUS_BODY_BYTES) throw new Error(`status body of ${plaintext.length} bytes, not 128`);
  let end = plaintext.length;
  while (end > 0 && plaintext[end - 1] === 0x20) end -= 1;
  const j = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(plaintext.subarray(0, end)));
  if (j === null || typeof j !== 'object' || Array.isArray(j)) throw new Error('status body is not an object');
  return j;
}

// The relay endpoint from a page URL (https -> wss, http -> ws) unless the
// page URL's query has exactly one `relay` parameter.
export function relayOf(pageUrl) {
  const url = new URL(pageUrl);
  const relays = url.search.slice(1).split('&').filter((p) => p.startsWith('relay='));
  if (relays.length > 1) throw new Error('two relay parameters');
  if (relays.length === 1) return decodeURIComponent(relays[0].slice('relay='.length));
  return `${url.protocol === 'https:' ? 'wss' : 'ws'}://${url.host}`;
}

export function parseLink(link) {
  const at = link.indexOf('#v1.');
  if (at < 0) throw new Error('not a v1 link');
  const pkR = new Uint8Array(Buffer.from(link.slice(at + 4), 'base64url'));
  if (pkR.length !== 32 || b64url(pkR) !== link.slice(at + 4)) throw new Error('the key is not 32 bytes of canonical base64url');
  return { pageUrl: link.slice(0, at), pkR };
}

// One relay connection: text frames are relay notices, binary frames are
// queued for `next()`.
class Channel {
  #socket;
  #frames = [];
  #waiters = [];
  #failure = null;

  constructor(relay, cid, role) {
    this.#socket = new WebSocket(`${relay.replace(/\/+$/, '')}/v1/channels/${cid}?role=${role}`, 'qrlogin.v1');
    this.joined = new Promise((resolve, reject) => {
      this.#socket.on('message', (data, isBinary) => {
        if (isBinary) return this.#deliver(new Uint8Array(data));
        const notice = JSON.parse(String(data));
        if (notice.type === 'joined') resolve(notice);
        if (notice.type === 'error') this.#fail(new Error(`relay error ${notice.code}: ${notice.message}`), reject);
      });
      this.#socket.on('error', (e) => this.#fail(e, reject));
      this.#socket.on('close', (code) => this.#fail(new Error(`the relay closed the socket (${code})`), reject));
    });
  }

  #deliver(frame) {
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(frame);
    else this.#frames.push(frame);
  }

  #fail(error, reject) {
    this.#failure ??= error;
    reject(error);
    for (const w of this.#waiters.splice(0)) w.reject(error);
  }

  // The next binary frame, which must be of `type` and `size` bytes.
  async next(type, size) {
    let got = this.#frames.shift();
    if (!got) {
      if (this.#failure) throw this.#failure;
      got = await new Promise((resolve, reject) => this.#waiters.push({ resolve, reject }));
    }
    if (got[0] === TYPE.ABORT) throw Object.assign(new Error('the peer aborted'), { abortFrame: got });
    if (got[0] !== type) throw new Error(`expected frame type ${type}, got ${got[0]}`);
    if (size !== undefined && got.length !== size) throw new Error(`frame type ${type} of ${got.length} bytes, not ${size}`);
    return got;
  }

  send(frame) { this.#socket.send(frame); }
  close() { this.#socket.close(1000); }
}

// A receiver: makes a key and a link for `pageUrl`, waits for a sender and
// runs the pairing. `confirm` is awaited after the SAS is known (the test
// plays the user); it returns true to accept. Resolves { sas, credential }.
export function independentReceiver({ pageUrl, relay = relayOf(pageUrl) }) {
  let resolveLink, resolveSas;
  const link = new Promise((r) => { resolveLink = r; });
  const sas = new Promise((r) => { resolveSas = r; });
  let confirmUser;
  const confirmed = new Promise((r) => { confirmUser = r; });
  const done = (async () => {
    const receiver = await freshKeyPair();
    const { cidRaw, cid, info } = await channelOf(receiver.raw);
    const channel = new Channel(relay, cid, 'receiver');
    let ctx = null;
    try {
      await channel.joined;
      resolveLink(`${pageUrl}#v1.${b64url(receiver.raw)}`);
      const hello = await channel.next(TYPE.HELLO, 65);
      const enc = hello.slice(1, 33);
      ctx = await recipientContext(receiver.privateKey, info, enc);
      const response = await responseCipher(ctx);
      const nr = globalThis.crypto.getRandomValues(new Uint8Array(32));
      channel.send(await response.seal(0, TYPE.READY, nr));
      const ns = await openFrame(ctx, await channel.next(TYPE.REVEAL, 49));
      if (!equalBytes(await commitOf(cidRaw, enc, ns), hello.slice(33))) throw new Error('bad commit');
      const code = await sasOf(ctx, nr, ns);
      resolveSas(code);
      const credentialFrame = channel.next(TYPE.CREDENTIAL);
      // The user answers; an ABORT (or a lost relay) meanwhile ends the wait.
      const ended = credentialFrame.then(() => new Promise(() => {}));
      if (!(await Promise.race([confirmed, ended]))) {
        channel.send(await response.seal(1, TYPE.ABORT, padStatus({ reason: 'sas_mismatch' })));
        channel.close();
        return { sas: code, credential: null };
      }
      const j = unpadCredential(await openFrame(ctx, await credentialFrame));
      const result = await response.seal(1, TYPE.RESULT, padStatus({ accepted: true }));
      if (result.length !== 145) throw new Error('RESULT must be 145 bytes');
      channel.send(result);
      channel.close();
      return { sas: code, credential: j.credential, label: j.label };
    } catch (e) {
      channel.close();
      // The sender's ABORT after REVEAL is sealed with its seq 1.
      if (e.abortFrame && ctx) throw new Error(`the sender aborted: ${unpadStatus(await openFrame(ctx, e.abortFrame)).reason}`);
      throw e;
    }
  })();
  done.catch(() => {});
  return { link, sas, done, confirm: (accept = true) => confirmUser(accept) };
}

// A sender: pairs with the receiver behind `link` and, once the test (the
// user) confirms, delivers `credential` (any JSON value). Resolves the
// receiver's RESULT body.
export function independentSender(link, credential, { label } = {}) {
  let resolveSas;
  const sas = new Promise((r) => { resolveSas = r; });
  let confirmUser;
  const confirmed = new Promise((r) => { confirmUser = r; });
  const done = (async () => {
    const { pageUrl, pkR } = parseLink(link);
    const { cidRaw, cid, info } = await channelOf(pkR);
    const channel = new Channel(relayOf(pageUrl), cid, 'sender');
    let response = null;
    try {
      await channel.joined;
      const ctx = await senderContext(pkR, info);
      const enc = new Uint8Array(ctx.enc);
      const ns = globalThis.crypto.getRandomValues(new Uint8Array(32));
      channel.send(join([TYPE.HELLO], enc, await commitOf(cidRaw, enc, ns)));
      response = await responseCipher(ctx);
      const nr = await response.open(0, await channel.next(TYPE.READY, 49));
      channel.send(await sealFrame(ctx, TYPE.REVEAL, ns));
      resolveSas(await sasOf(ctx, nr, ns));
      if (!(await confirmed)) {
        channel.send(await sealFrame(ctx, TYPE.ABORT, padStatus({ reason: 'sas_mismatch' })));
        channel.close();
        return null;
      }
      const j = ascii(JSON.stringify(label === undefined ? { credential } : { credential, label }));
      channel.send(await sealFrame(ctx, TYPE.CREDENTIAL, padCredential(j)));
      const body = unpadStatus(await response.open(1, await channel.next(TYPE.RESULT, 145)));
      channel.close();
      return body;
    } catch (e) {
      channel.close();
      // The receiver's ABORT after READY is response-seal(i=1).
      if (e.abortFrame && response) throw new Error(`the receiver aborted: ${unpadStatus(await response.open(1, e.abortFrame)).reason}`);
      throw e;
    }
  })();
  done.catch(() => {});
  return { sas, done, confirm: (accept = true) => confirmUser(accept) };
}
