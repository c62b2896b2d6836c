// Helpers shared by the web tests: the committed vectors, a scripted
// random source that hands out fixed byte strings in order, and the one
// place the tests hand it to the library (web/src/random.js: a symbol-keyed
// option that the public module never passes).
import { readFileSync } from 'node:fs';
import { hexDecode } from '../../web/src/bytes.js';
import { INJECTED_RANDOM, KEY_SCHEDULE_TRACE } from '../../web/src/random.js';

const vectorsDir = new URL('../vectors/', import.meta.url);

export const transcript = JSON.parse(readFileSync(new URL('transcript-v1.json', vectorsDir), 'utf8'));
export const rfc9180 = JSON.parse(readFileSync(new URL('external/hpke-rfc9180-x25519-sha256.json', vectorsDir), 'utf8'));

export const hex = (text) => hexDecode(text);
export const frameOf = (type) => hexDecode(transcript.frames.find((f) => f.type === type).hex);

// random(n) that returns the queued values in order and records each draw.
export function scriptedRandom(...values) {
  const queue = values.map((v) => (typeof v === 'string' ? hexDecode(v) : v));
  const draws = [];
  const random = (n) => {
    if (queue.length === 0) throw new Error(`unexpected random draw #${draws.length + 1} of ${n} bytes`);
    const next = queue.shift();
    if (next.length !== n) throw new Error(`random draw of ${n} bytes, but the script has ${next.length}`);
    draws.push(n);
    return Uint8Array.from(next);
  };
  random.draws = draws;
  random.remaining = () => queue.length;
  return random;
}

// The internal options that make a machine (or SetupBaseS) draw from `random`.
export const drawingFrom = (random) => ({ [INJECTED_RANDOM]: random });

// SetupBaseS with a given ephemeral secret key (test vectors), the key
// schedule's intermediate values written to `trace` when given.
export async function setupBaseSenderWith(aeadId, receiverPublicKey, info, ephemeralSecret, trace) {
  const { setupBaseSender } = await import('../../web/src/hpke.js');
  return setupBaseSender(aeadId, receiverPublicKey, info,
    { [INJECTED_RANDOM]: scriptedRandom(ephemeralSecret), [KEY_SCHEDULE_TRACE]: trace });
}

export async function setupBaseReceiverTraced(aeadId, enc, receiver, info, trace) {
  const { setupBaseReceiver } = await import('../../web/src/hpke.js');
  return setupBaseReceiver(aeadId, enc, receiver, info, { [KEY_SCHEDULE_TRACE]: trace });
}

export const kinds = (actions) => actions.map((a) => a.kind);
export const framesOf = (actions) => actions.filter((a) => a.kind === 'SendFrame').map((a) => a.frame);
export const abortedOf = (actions) => actions.find((a) => a.kind === 'Aborted');

export function flipBit(bytes, bit) {
  const out = Uint8Array.from(bytes);
  out[bit >> 3] ^= 1 << (bit & 7);
  return out;
}

// Machines set up with the transcript's keys, nonces and credential.
export async function transcriptMachines({ autoAccept = false } = {}) {
  const { Receiver } = await import('../../web/src/receiver.js');
  const { Sender } = await import('../../web/src/sender.js');
  const { parseLink } = await import('../../web/src/link.js');
  const { credentialJsonFromText } = await import('../../web/src/credential.js');
  const randomR = scriptedRandom(transcript.skR, transcript.Nr);
  const randomS = scriptedRandom(transcript.skE, transcript.Ns);
  const receiver = await Receiver.create({ pageUrl: transcript.page_url, autoAccept, ...drawingFrom(randomR) });
  const sender = await Sender.create(parseLink(receiver.link), credentialJsonFromText(transcript.credential, transcript.label),
    drawingFrom(randomS));
  return { receiver, sender, randomR, randomS };
}

// A hand-driven sender on the transcript's keys, for frames no honest
// sender machine would make (bad padding, bad commit, ...).
export async function manualSender() {
  const { channelId, hpkeInfo, sealFrame, responseAead, AEAD_ID } = await import('../../web/src/protocol.js');
  const cid = await channelId(hex(transcript.pkR));
  const { enc, context } = await setupBaseSenderWith(AEAD_ID, hex(transcript.pkR), hpkeInfo(cid), hex(transcript.skE));
  const response = await responseAead(context);
  return {
    enc,
    hello: frameOf('HELLO'),
    seal: (type, plaintext) => sealFrame(context, type, plaintext),
    openResponse: (frame) => response.open(frame.subarray(0, 1), frame.subarray(1)),
  };
}

// The receiver's side of the transcript's response direction, for RESULT
// and ABORT frames no honest receiver machine would make: seal() uses
// response index 1, 2, ... (the transcript's READY took index 0).
export async function manualResponder() {
  const { SequencedAead } = await import('../../web/src/hpke.js');
  const { AEAD_ID, sealFrame, MessageType } = await import('../../web/src/protocol.js');
  const response = await SequencedAead.create(AEAD_ID, hex(transcript.exports.response_key), hex(transcript.exports.response_nonce));
  await sealFrame(response, MessageType.ready, hex(transcript.Nr));
  return { seal: (type, plaintext) => sealFrame(response, type, plaintext) };
}
