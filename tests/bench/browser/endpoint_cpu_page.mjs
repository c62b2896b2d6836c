// The page side of the browser endpoint benchmark (endpoint_cpu.mjs runs
// it): complete pairings with the machines of web/src, the two sides
// handing each other their frames in this page (no relay, no network), as
// tests/bench/endpoint/endpoint_cpu.cpp does in C++. Each side's calls are
// timed with performance.now() around the awaited call, so the receiver's
// and the sender's costs are told apart; WebCrypto's work off the main
// thread is inside those awaits.
import { Receiver } from '/src/receiver.js';
import { Sender } from '/src/sender.js';
import { parseLink } from '/src/link.js';
import { CodeReceiver } from '/src/code_receiver.js';
import { CodeSender } from '/src/code_sender.js';
import { parseTypedCode } from '/src/code.js';
import { credentialJsonFromText } from '/src/credential.js';

const PAGE = 'https://bench.example/pair';
const GRANT = 'bench-grant-0123456789';

// Milliseconds spent in each side's calls.
class Sides {
  receiver = 0;
  sender = 0;
}

async function timed(sides, side, call) {
  const t0 = performance.now();
  const out = await call();
  sides[side] += performance.now() - t0;
  return out;
}

function onlyFrame(actions) {
  const send = actions.find((a) => a.kind === 'SendFrame');
  if (!send) throw new Error(`a step sent no frame: ${actions.map((a) => a.kind).join(', ')}`);
  return send.frame;
}

function checkDelivered(actions) {
  const deliver = actions[0];
  if (deliver?.kind !== 'DeliverCredential' || deliver.credential.text !== GRANT) throw new Error('no credential delivered');
}

const grant = () => credentialJsonFromText(GRANT, 'bench');

async function qrPairing(sides) {
  const receiver = await timed(sides, 'receiver', () => Receiver.create({ pageUrl: PAGE }));
  const link = parseLink(receiver.link);
  const sender = await timed(sides, 'sender', () => Sender.create(link, grant()));
  const hello = onlyFrame(await timed(sides, 'sender', () => sender.start()));
  const ready = onlyFrame(await timed(sides, 'receiver', () => receiver.onFrame(hello)));
  const reveal = onlyFrame(await timed(sides, 'sender', () => sender.onFrame(ready)));
  await timed(sides, 'receiver', () => receiver.onFrame(reveal));
  if (!receiver.sas || receiver.sas !== sender.sas) throw new Error('the codes differ');
  const credential = onlyFrame(await timed(sides, 'sender', () => sender.onUserConfirmed()));
  await timed(sides, 'receiver', () => receiver.onFrame(credential));
  checkDelivered(await timed(sides, 'receiver', () => receiver.onUserConfirmed()));
  const result = onlyFrame(await timed(sides, 'receiver', () => receiver.onCredentialHandled(true)));
  await timed(sides, 'sender', () => sender.onFrame(result));
  if (receiver.state !== 'done' || sender.state !== 'done') throw new Error(`QR: not done (${receiver.state}, ${sender.state})`);
}

async function codePairing(sides) {
  const receiver = await timed(sides, 'receiver', () => CodeReceiver.create({ pageUrl: PAGE }));
  // The person reads the code and types it: parsing it is the sender's work.
  const typed = receiver.code.display;
  const sender = await timed(sides, 'sender',
    () => CodeSender.create({ pageUrl: PAGE, code: parseTypedCode(typed), credentialJson: grant() }));
  const pakeR = onlyFrame(await timed(sides, 'receiver', () => receiver.start()));
  const pakeS = onlyFrame(await timed(sides, 'sender', () => sender.onFrame(pakeR)));
  const confirm = onlyFrame(await timed(sides, 'receiver', () => receiver.onFrame(pakeS)));
  await timed(sides, 'sender', () => sender.onFrame(confirm));
  const credential = onlyFrame(await timed(sides, 'sender', () => sender.onUserConfirmed()));
  await timed(sides, 'receiver', () => receiver.onFrame(credential));
  checkDelivered(await timed(sides, 'receiver', () => receiver.onUserConfirmed()));
  const result = onlyFrame(await timed(sides, 'receiver', () => receiver.onCredentialHandled(true)));
  await timed(sides, 'sender', () => sender.onFrame(result));
  if (receiver.state !== 'done' || sender.state !== 'done') throw new Error(`code: not done (${receiver.state}, ${sender.state})`);
}

const PAIRINGS = { qr: qrPairing, code: codePairing };

// `count` pairings of `kind` ('qr' or 'code'): each side's milliseconds in all.
async function batch(kind, count) {
  const sides = new Sides();
  for (let i = 0; i < count; i += 1) await PAIRINGS[kind](sides);
  return { receiverMs: sides.receiver, senderMs: sides.sender };
}

globalThis.endpointBench = {
  batch,
  clock: { crossOriginIsolated: globalThis.crossOriginIsolated, secureContext: globalThis.isSecureContext },
};
