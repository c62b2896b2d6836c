// Resume against the real relay, from Node: one client reaches the relay
// through a TCP proxy (cut_proxy.mjs) that cuts its connection with an RST
// while a frame is in flight — lost before it arrives, or cut in its middle —
// in either direction, or only on the client's side (the relay then still
// holds a half-dead socket, and the resume takes it over). Every wait is on
// an event and bounded; nothing sleeps.
//
// Exactly once: each client's WebSocket is wrapped to record every binary
// frame it sent (re-sends included) and received, over all its connections.
// What one side received must be exactly what the other side meant to send
// (its sends without repeats), in order, and the state machines would have
// aborted on a repeated or missing frame anyway.
import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { startReceiver, startSender } from '../../web/src/qrlogin.js';
import { RelayClient, UNRESTORED_MESSAGE } from '../../web/src/relay_client.js';
import { runCli, startRelay, tempDir, withCleanup } from '../browser/harness.mjs';
import { FrameType, startCutProxy } from './cut_proxy.mjs';

const STEP_MS = 20_000;

// Fails with `what` instead of hanging until the test's own timeout.
function within(promise, what, ms = STEP_MS) {
  let timer;
  const timeout = new Promise((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

// A `ws` WebSocket that records what its client sends and receives. Resume
// tokens are kept only to check that no URL carries one; never printed.
function recordingWebSocket() {
  const log = { sent: [], received: [], controls: [], tokens: [], urls: [], closes: [] };
  let open = 0;
  let wake = () => {};
  // Resolves once every socket the client opened is closed, with the codes.
  log.allClosed = () => new Promise((resolve) => {
    const check = () => { if (open === 0) resolve(log.closes); return open === 0; };
    if (!check()) wake = check;
  });
  class RecordingWebSocket extends WebSocket {
    constructor(url, protocols) {
      super(url, protocols);
      log.urls.push(String(url));
      open += 1;
      this.addEventListener('close', (event) => {
        log.closes.push(event.code);
        open -= 1;
        wake();
      });
      this.addEventListener('message', (event) => {
        if (typeof event.data !== 'string') {
          log.received.push(Buffer.from(new Uint8Array(event.data)));
          return;
        }
        const j = JSON.parse(event.data);
        if (typeof j.resume_token === 'string') log.tokens.push(j.resume_token);
        log.controls.push({ type: j.type, event: j.event, code: j.code, received: j.received });
      });
    }

    send(data, ...rest) {
      log.sent.push(Buffer.from(data));
      return super.send(data, ...rest);
    }
  }
  return { WebSocket: RecordingWebSocket, log };
}

const types = (frames) => frames.map((f) => f[0]);
const hex = (frames) => frames.map((f) => f.toString('hex'));
function withoutRepeats(frames) {
  const seen = new Set();
  return frames.filter((f) => {
    const key = f.toString('hex');
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

// Statuses in order, and a promise per status value.
function statusRecorder() {
  const list = [];
  const waiters = [];
  const onStatus = (s) => {
    list.push(s.status);
    for (const w of [...waiters]) {
      if (w.status === s.status && list.filter((x) => x === s.status).length >= w.count) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(s);
      }
    }
  };
  const when = (status, count = 1) => (list.filter((x) => x === status).length >= count
    ? Promise.resolve()
    : new Promise((resolve) => waiters.push({ status, count, resolve })));
  return { list, onStatus, when };
}

// `gate`: a promise that onCredential waits for before it accepts.
function jsReceiver({ page, relay, gate = null }) {
  let resolveLink, resolveCode;
  const link = new Promise((r) => { resolveLink = r; });
  const code = new Promise((r) => { resolveCode = r; });
  const credentials = [];
  const { WebSocket: Ws, log } = recordingWebSocket();
  const status = statusRecorder();
  const handle = startReceiver({
    page,
    relay,
    WebSocket: Ws,
    onLink: (l) => resolveLink(l),
    onSas: (c) => resolveCode(c),
    onCredential: async (c) => {
      credentials.push(c);
      await gate;
      return true;
    },
    onStatus: status.onStatus,
  });
  return { handle, link, code, credentials, log, status };
}

function jsSender(link, credential, label) {
  let resolveCode, resolveResult;
  const code = new Promise((r) => { resolveCode = r; });
  const result = new Promise((r) => { resolveResult = r; });
  const { WebSocket: Ws, log } = recordingWebSocket();
  const status = statusRecorder();
  const handle = startSender(link, credential, {
    label,
    WebSocket: Ws,
    allowOtherOrigin: true, // Node has no page origin to compare with
    onSas: (c) => resolveCode(c),
    onResult: (r) => resolveResult(r),
    onStatus: status.onStatus,
  });
  return { handle, code, result, log, status };
}

// The same pairing key on another route: straight to the relay, or through
// the proxy (the page URL's `relay` parameter).
const fragmentOf = (link) => link.slice(link.indexOf('#'));
const directLink = (relay, link) => `${relay.origin}/pair${fragmentOf(link)}`;
const proxiedLink = (relay, proxy, link) => `${relay.origin}/pair?relay=${encodeURIComponent(proxy.url)}${fragmentOf(link)}`;

// Each side received exactly the frames the other meant to send, once, in
// order; then both closed their last socket normally.
async function assertExactlyOnce(receiver, sender) {
  assert.deepEqual(types(receiver.log.received), [FrameType.hello, FrameType.reveal, FrameType.credential]);
  assert.deepEqual(types(sender.log.received), [FrameType.ready, FrameType.result]);
  assert.deepEqual(hex(receiver.log.received), hex(withoutRepeats(sender.log.sent)), 'sender -> receiver, exactly once');
  assert.deepEqual(hex(sender.log.received), hex(withoutRepeats(receiver.log.sent)), 'receiver -> sender, exactly once');
  assert.equal(receiver.credentials.length, 1, 'the credential is delivered to the application once');
  for (const side of [receiver, sender]) {
    const closes = await within(side.log.allClosed(), 'the last close');
    assert.equal(closes.at(-1), 1000, 'the pairing ends with a normal close');
  }
}

// Tokens travel only in Sec-WebSocket-Protocol: never in a URL the proxy saw.
function assertNoTokenInUrls(proxy, ...logs) {
  const targets = proxy.connections().map((c) => c.target);
  for (const { log } of logs) {
    assert.ok(log.tokens.length > 0);
    for (const token of log.tokens) assert.ok(!targets.some((t) => t.includes(token)), 'a resume token appeared in a URL');
  }
}

// A relay and a cutting proxy in front of it, both stopped at the end.
async function relayAndProxy(defer, relayOptions = { grace: '20s' }) {
  const relay = await startRelay(relayOptions);
  defer(() => relay.stop());
  const proxy = await startCutProxy(relay.port);
  defer(() => proxy.close());
  return { relay, proxy };
}

// A JS receiver and a JS sender of one pairing, one of them (`through`)
// reaching the relay through the proxy, the other straight. `armCuts(proxy)`
// runs once the link exists and before the sender connects; what it returns
// is `cuts`.
async function pairedThroughProxy(defer, {
  through = 'sender', relay: relayOptions, credential = 'x', label = 'phone', gate = null, armCuts = () => null,
} = {}) {
  const { relay, proxy } = await relayAndProxy(defer, relayOptions);
  const receiver = jsReceiver({ page: `${relay.origin}/pair`, relay: through === 'receiver' ? proxy.url : '', gate });
  defer(() => receiver.handle.cancel());
  const link = await within(receiver.link, 'the link');
  const cuts = armCuts(proxy);
  const senderLink = through === 'sender' ? proxiedLink(relay, proxy, link) : directLink(relay, link);
  const sender = jsSender(senderLink, credential, label);
  defer(() => sender.handle.cancel());
  const codes = () => within(Promise.all([receiver.code, sender.code]), 'both codes');
  return { relay, proxy, receiver, sender, cuts, codes };
}

test('resume: the sender is cut twice after HELLO — READY half delivered, REVEAL lost — and the credential arrives once', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const credential = { grant: 'g-resume-1', scopes: ['read', 'write'] };
  const { proxy, receiver, sender, cuts, codes } = await pairedThroughProxy(defer, {
    credential,
    label: 'cut phone',
    // Everything through the proxy is the sender's: the first READY it is
    // given is cut in its middle; the first REVEAL it sends never arrives.
    armCuts: (p) => [
      p.cutAt((f) => f.dir === 'down' && f.type === FrameType.ready, { where: 'middle' }),
      p.cutAt((f) => f.dir === 'up' && f.type === FrameType.reveal, { where: 'before' }),
    ],
  });

  const [rc, sc] = await codes();
  await within(Promise.all(cuts), 'both cuts');
  assert.equal(rc, sc);
  await within(sender.status.when('resumed', 2), 'the second resume');
  await sender.handle.confirm();
  await receiver.handle.confirm();
  assert.equal((await within(sender.result, 'the result')).accepted, true);
  assert.deepEqual(await within(receiver.handle.done, 'the receiver done'), { accepted: true });
  assert.deepEqual(await within(sender.handle.done, 'the sender done'), { accepted: true });

  assert.deepEqual(JSON.parse(receiver.credentials[0].text), credential, 'the credential is identical');
  assert.equal(receiver.credentials[0].label, 'cut phone');
  await assertExactlyOnce(receiver, sender);
  // The cuts did what they were meant to: READY came twice down the wire
  // (half, then whole) but once to the machine; REVEAL left the sender twice.
  assert.deepEqual(proxy.frames((f) => f.type === FrameType.ready).map((f) => f.forwarded), ['half', 'full']);
  assert.equal(sender.log.sent.filter((f) => f[0] === FrameType.reveal).length, 2);
  // Three connections: the first, then two resumes with received=N.
  assert.deepEqual(proxy.connections().map((c) => [c.resume, c.received]), [[false, null], [true, 0], [true, 1]]);
  const joins = sender.log.controls.filter((c) => c.type === 'joined').map((c) => c.received);
  assert.deepEqual(joins, [undefined, 1, 1], 'the relay had HELLO, not the lost REVEAL');
  assert.equal(sender.status.list.filter((s) => s === 'reconnecting').length, 2);
  assert.ok(receiver.status.list.includes('peer_left') && receiver.status.list.includes('peer_back'));
  assertNoTokenInUrls(proxy, sender);
}));

test('resume: the receiver is cut — READY lost on a socket the relay thinks alive (taken over), CREDENTIAL cut in its middle', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  // The receiver reaches the relay through the proxy; the sender goes straight.
  const { proxy, receiver, sender, cuts: [readyCut, credentialCut], codes } = await pairedThroughProxy(defer, {
    through: 'receiver',
    credential: 'token-\u2713-line\n',
    label: 'direct phone',
    armCuts: (p) => [
      p.cutAt((f) => f.dir === 'up' && f.type === FrameType.ready, { where: 'before', upstream: false }),
      p.cutAt((f) => f.dir === 'down' && f.type === FrameType.credential, { where: 'middle' }),
    ],
  });

  const [rc, sc] = await codes();
  assert.equal(rc, sc);
  const cut = await within(readyCut, 'the READY cut');
  // The relay still held the old socket: the resume took it over, and the
  // old socket was told `replaced` and closed 4001.
  const replaced = await proxy.waitFor((e) => e.kind === 'frame' && e.conn === cut.conn && e.closeCode === 4001, STEP_MS, 'close 4001 on the old socket');
  assert.equal(replaced.forwarded, 'none');
  assert.ok(proxy.frames((f) => f.conn === cut.conn && f.control?.code === 'replaced').length === 1);
  assert.ok(!receiver.status.list.includes('failed'), 'the takeover of our own old socket is not an error');

  await receiver.handle.confirm();
  await sender.handle.confirm();
  await within(credentialCut, 'the CREDENTIAL cut');
  assert.deepEqual(await within(receiver.handle.done, 'the receiver done'), { accepted: true });
  assert.deepEqual(await within(sender.handle.done, 'the sender done'), { accepted: true });

  assert.equal(receiver.credentials[0].text, 'token-\u2713-line\n', 'the credential is identical');
  assert.equal(receiver.credentials[0].isString, true);
  await assertExactlyOnce(receiver, sender);
  assert.equal(receiver.log.sent.filter((f) => f[0] === FrameType.ready).length, 2, 'READY was sent again');
  assert.deepEqual(proxy.frames((f) => f.type === FrameType.credential).map((f) => f.forwarded), ['half', 'full']);
  assert.deepEqual(proxy.connections().map((c) => [c.resume, c.received]), [[false, null], [true, 1], [true, 2]]);
  assert.equal(receiver.status.list.filter((s) => s === 'resumed').length, 2);
  assert.ok(sender.status.list.includes('peer_back'));
  assertNoTokenInUrls(proxy, receiver);
}));

test('resume: JS receiver cut twice <-> qrlogin send', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { relay, proxy } = await relayAndProxy(defer);
  const { dir, cleanup } = tempDir('qrlogin-resume-');
  defer(cleanup);
  const file = path.join(dir, 'token');
  const text = 'cli line 1\ncli line 2 \u00e9\n';
  writeFileSync(file, text);

  const receiver = jsReceiver({ page: `${relay.origin}/pair`, relay: proxy.url });
  defer(() => receiver.handle.cancel());
  const link = await within(receiver.link, 'the link');
  const readyCut = proxy.cutAt((f) => f.dir === 'up' && f.type === FrameType.ready, { where: 'middle' });
  const credentialCut = proxy.cutAt((f) => f.dir === 'down' && f.type === FrameType.credential, { where: 'before' });
  const cli = runCli(['send', directLink(relay, link), '--credential-file', file, '--timeout', '40'], defer);

  const sas = await cli.event('sas');
  assert.equal(await within(receiver.code, 'the receiver code'), sas.sas);
  await within(readyCut, 'the READY cut');
  await receiver.handle.confirm();
  cli.answer('y');
  await within(credentialCut, 'the CREDENTIAL cut');
  assert.deepEqual(await within(receiver.handle.done, 'the receiver done'), { accepted: true });
  assert.equal(await within(cli.exited, 'the CLI exit'), 0, cli.stderr.join(''));
  assert.equal(receiver.credentials.length, 1);
  assert.equal(receiver.credentials[0].text, text, 'a file credential arrives byte for byte');
  assert.deepEqual(types(receiver.log.received), [FrameType.hello, FrameType.reveal, FrameType.credential]);
  assert.equal(receiver.status.list.filter((s) => s === 'resumed').length, 2);
}));

test('resume: JS receiver and qrlogin send, both cut (the CLI resumes too)', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { relay, proxy: receiverProxy } = await relayAndProxy(defer);
  const cliProxy = await startCutProxy(relay.port);
  defer(() => cliProxy.close());
  const { dir, cleanup } = tempDir('qrlogin-resume-');
  defer(cleanup);
  const file = path.join(dir, 'token');
  writeFileSync(file, 'both-cut');

  const receiver = jsReceiver({ page: `${relay.origin}/pair`, relay: receiverProxy.url });
  defer(() => receiver.handle.cancel());
  const link = await within(receiver.link, 'the link');
  // The CLI's REVEAL is lost on its way up; the receiver's RESULT too.
  const revealCut = cliProxy.cutAt((f) => f.dir === 'up' && f.type === FrameType.reveal, { where: 'before' });
  const resultCut = receiverProxy.cutAt((f) => f.dir === 'up' && f.type === FrameType.result, { where: 'middle' });
  const cli = runCli(['send', proxiedLink(relay, cliProxy, link), '--credential-file', file, '--timeout', '40'], defer);

  await within(revealCut, 'the REVEAL cut');
  const sas = await cli.event('sas');
  assert.equal(await within(receiver.code, 'the receiver code'), sas.sas);
  await cli.event('reconnected');
  cli.answer('y');
  await receiver.handle.confirm();
  assert.deepEqual(await within(receiver.handle.done, 'the receiver done'), { accepted: true });
  await within(resultCut, 'the RESULT cut');
  assert.equal(await within(cli.exited, 'the CLI exit'), 0, cli.stderr.join(''));
  assert.equal(receiver.credentials.length, 1);
  assert.equal(receiver.credentials[0].text, 'both-cut');
  assert.deepEqual(types(receiver.log.received), [FrameType.hello, FrameType.reveal, FrameType.credential]);
  assert.equal(cliProxy.connections().filter((c) => c.resume).length, 1, 'the CLI resumed once');
  assert.equal(receiverProxy.connections().filter((c) => c.resume).length, 1, 'the receiver came back to deliver RESULT');
}));

// After the codes were shown both endings are possible attacks (rev. 3);
// the detail still tells them apart: only the relay can say a code
// expired, a side that cannot reach it lost its connection.
test('a relay unreachable until the channel lifetime ends: the cut side lost its connection, the other side expired', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { proxy, receiver, sender, codes } = await pairedThroughProxy(defer, {
    relay: { lifetime: '6s', grace: '30s' }, label: 'late phone',
  });
  // A bare relay client through the same proxy: the library's own event.
  let bareJoined, bareEnded;
  const bareJoin = new Promise((r) => { bareJoined = r; });
  const bareEnd = new Promise((r) => { bareEnded = r; });
  const bare = new RelayClient({
    relayUrl: proxy.url, cid: Buffer.alloc(16, 5).toString('base64url'), role: 'receiver', WebSocket,
    handlers: { onJoined: () => bareJoined(), onEnd: (end) => bareEnded(end) },
  });
  defer(() => bare.close());
  bare.connect();
  await codes();
  await within(bareJoin, 'the bare join');
  // The sender's network is gone for good: every attempt is reset.
  proxy.block();
  proxy.cutAll();
  await within(proxy.waitFor((e) => e.kind === 'refused'), 'a refused resume attempt');
  await assert.rejects(within(sender.handle.done, 'the sender failure'),
    (e) => e.code === 'possible_attack' && e.detail === `network (${UNRESTORED_MESSAGE})`);
  // The receiver stayed connected: the relay told it the channel expired.
  await assert.rejects(within(receiver.handle.done, 'the receiver failure'),
    (e) => e.code === 'possible_attack' && e.detail.startsWith('expired'));
  assert.deepEqual(await within(bareEnd, "the bare client's end"), { reason: 'lost', message: UNRESTORED_MESSAGE });
  assert.ok(sender.status.list.includes('reconnecting'));
  assert.ok(!sender.status.list.includes('resumed'));
  assert.ok(proxy.events.filter((e) => e.kind === 'refused').length >= 2, 'it kept trying, with a backoff');
  assert.equal(receiver.credentials.length, 0);
  assert.equal(bare.holdsToken, false);
}));

test('a resume after the grace period is refused by the relay as expired', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { proxy, receiver, sender, codes } = await pairedThroughProxy(defer, {
    relay: { lifetime: '40s', grace: '1s' }, label: 'late phone',
  });
  await codes();
  proxy.block();
  proxy.cutAll();
  // The relay ends the channel once the grace is over; the receiver hears it.
  await assert.rejects(within(receiver.handle.done, 'the receiver failure'),
    (e) => e.code === 'possible_attack' && /^expired \(relay: expired/.test(e.detail));
  proxy.unblock();
  // The sender's next attempt reaches the relay, which refuses the token.
  await assert.rejects(within(sender.handle.done, 'the sender failure'),
    (e) => e.code === 'possible_attack' && /^expired \(relay: expired/.test(e.detail));
  const resumes = proxy.connections().filter((c) => c.resume);
  assert.equal(resumes.length, 1, 'one resume reached the relay, and it was refused');
}));

test('resume: attempts that never reach the relay do not spend the token; the pairing resumes once it is reachable', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { proxy, receiver, sender, codes } = await pairedThroughProxy(defer, { credential: 'grant-after-outage' });
  const [rc, sc] = await codes();
  assert.equal(rc, sc);
  proxy.block();
  proxy.cutAll();
  // Two attempts fail before the relay hears of them.
  await proxy.waitFor((e) => e.kind === 'refused' && proxy.events.filter((x) => x.kind === 'refused').length >= 2, STEP_MS, 'two refused attempts');
  proxy.unblock();
  await within(sender.status.when('resumed'), 'the resume');
  assert.equal(sender.status.list.filter((s) => s === 'reconnecting').length, 1, 'one reconnecting per cut, not per attempt');
  await sender.handle.confirm();
  await receiver.handle.confirm();
  assert.deepEqual(await within(sender.handle.done, 'the sender done'), { accepted: true });
  assert.deepEqual(await within(receiver.handle.done, 'the receiver done'), { accepted: true });
  assert.equal(receiver.credentials[0].text, 'grant-after-outage');
  await assertExactlyOnce(receiver, sender);
  assert.deepEqual(proxy.connections().map((c) => c.resume), [false, true], 'one resume reached the relay');
}));

test('resume: RESULT lost in flight — the receiver, already done, comes back only to deliver it', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { proxy, receiver, sender, cuts: resultCut, codes } = await pairedThroughProxy(defer, {
    through: 'receiver',
    credential: 'grant-r',
    armCuts: (p) => p.cutAt((f) => f.dir === 'up' && f.type === FrameType.result, { where: 'before' }),
  });
  await codes();
  await receiver.handle.confirm();
  await sender.handle.confirm();
  assert.deepEqual(await within(receiver.handle.done, 'the receiver done'), { accepted: true });
  await within(resultCut, 'the RESULT cut');
  // The sender learns that its login was accepted, not that the code expired.
  assert.deepEqual(await within(sender.result, 'the result'), { accepted: true, reason: '' });
  assert.deepEqual(await within(sender.handle.done, 'the sender done'), { accepted: true });
  await assertExactlyOnce(receiver, sender);
  // The receiver's second connection carried RESULT and then closed 1000.
  const [, second] = proxy.connections();
  assert.equal(second.resume, true);
  await proxy.waitFor((e) => e.kind === 'frame' && e.conn === second.conn && e.dir === 'up' && e.closeCode === 1000, STEP_MS, 'the normal close');
  assert.ok(!receiver.status.list.includes('reconnecting'), 'after done the page hears nothing of it');
}));

test('someone who resumes with our token takes the slot over: the pairing ends as intrusion', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const relay = await startRelay({ grace: '20s' });
  defer(() => relay.stop());
  const receiver = jsReceiver({ page: `${relay.origin}/pair` });
  defer(() => receiver.handle.cancel());
  const sender = jsSender(await within(receiver.link, 'the link'), 'x', 'phone');
  defer(() => sender.handle.cancel());
  await within(Promise.all([receiver.code, sender.code]), 'both codes');
  // A leaked token (the test reads it from the sender's socket).
  const token = sender.log.tokens.at(-1);
  const thief = new WebSocket(`${sender.log.urls[0]}&received=1`, ['qrlogin.v1', `qrlogin.resume.${token}`]);
  defer(() => thief.terminate());
  const joined = await within(new Promise((resolve, reject) => {
    thief.on('message', (data, isBinary) => { if (!isBinary) resolve(JSON.parse(String(data))); });
    thief.on('error', reject);
  }), "the thief's joined");
  assert.equal(joined.type, 'joined');
  await assert.rejects(within(sender.handle.done, 'the sender failure'), (e) => e.code === 'intrusion' && /relay: replaced/.test(e.detail));
  thief.close(1000);
  await assert.rejects(within(receiver.handle.done, 'the receiver failure'));
}));

test('the relay client holds a resume token only while the channel lasts', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { proxy } = await relayAndProxy(defer);
  const events = [];
  let wake = () => {};
  const next = (kind) => new Promise((resolve) => {
    const check = () => {
      const i = events.findIndex((e) => e.kind === kind);
      if (i < 0) return false;
      resolve(events.splice(i, 1)[0]);
      return true;
    };
    if (!check()) wake = () => { if (check()) wake = () => {}; };
  });
  const push = (e) => { events.push(e); wake(); };
  const cid = Buffer.alloc(16, 7).toString('base64url');
  const client = new RelayClient({
    relayUrl: proxy.url, cid, role: 'receiver', WebSocket,
    handlers: {
      onJoined: (info) => push({ kind: 'joined', info }),
      onReconnecting: () => push({ kind: 'reconnecting' }),
      onEnd: (end) => push({ kind: 'end', end }),
    },
  });
  defer(() => client.close());
  assert.equal(client.holdsToken, false);
  client.connect();
  const first = await within(next('joined'), 'joined');
  assert.equal(first.info.received, null);
  assert.equal(client.holdsToken, true);
  proxy.cutAll();
  await within(next('reconnecting'), 'reconnecting');
  const again = await within(next('joined'), 'joined again');
  assert.equal(again.info.received, 0);
  assert.equal(client.holdsToken, true);
  const closed = client.close();
  assert.equal(client.holdsToken, true, 'kept until the relay answered the close');
  await within(closed, 'the close');
  assert.equal(client.holdsToken, false);
  assert.equal(client.ended, true);
  const normal = proxy.frames((f) => f.closeCode === 1000);
  assert.deepEqual(normal.map((f) => f.dir), ['up', 'down'], 'a normal close, answered by the relay');
  assert.deepEqual(events.filter((e) => e.kind === 'end'), [], 'no end is reported after close()');
}));

test('the receiver closes only once a sender that dropped after CREDENTIAL is back, so RESULT reaches it', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  let openGate;
  const gate = new Promise((resolve) => { openGate = resolve; });
  const { proxy, receiver, sender, cuts: credentialCut, codes } = await pairedThroughProxy(defer, {
    credential: 'grant-away',
    label: 'locked phone',
    gate,
    // The sender's CREDENTIAL reaches the relay, then its network is gone.
    armCuts: (p) => p.cutAt((f) => f.dir === 'up' && f.type === FrameType.credential, { where: 'after' }),
  });
  defer(() => openGate()); // before the receiver is cancelled
  await codes();
  proxy.block();
  await receiver.handle.confirm();
  await sender.handle.confirm();
  await within(credentialCut, 'the cut after CREDENTIAL');
  await within(receiver.status.when('peer_left'), 'peer_left on the receiver');
  // Only now does the application accept: RESULT goes to a relay whose
  // sender is away, and the receiver is done.
  openGate();
  assert.deepEqual(await within(receiver.handle.done, 'the receiver done'), { accepted: true });
  assert.equal(proxy.frames((f) => f.dir === 'up' && f.closeCode === 1000).length, 0);
  proxy.unblock();
  // The sender comes back and gets RESULT: its login is reported as done.
  assert.deepEqual(await within(sender.handle.done, 'the sender done'), { accepted: true });
  assert.deepEqual(await within(sender.result, 'the result'), { accepted: true, reason: '' });
  await assertExactlyOnce(receiver, sender);
}));

test('a resume attempt that gets no answer is dropped after its timeout and tried again with the same token', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { proxy } = await relayAndProxy(defer);
  const ends = [];
  let onJoined = () => {};
  const client = new RelayClient({
    relayUrl: proxy.url, cid: Buffer.alloc(16, 9).toString('base64url'), role: 'receiver', WebSocket,
    attemptTimeoutMs: 300,
    handlers: { onJoined: (info) => onJoined(info), onEnd: (end) => ends.push(end) },
  });
  defer(() => client.close());
  const joined = () => new Promise((resolve) => { onJoined = resolve; });
  let next = joined();
  client.connect();
  await within(next, 'joined');
  client.send(Uint8Array.of(FrameType.ready, 1, 2, 3));
  await proxy.waitFor((e) => e.kind === 'frame' && e.dir === 'up' && e.type === FrameType.ready, STEP_MS, 'the frame');
  // Swallowed attempts: each is given up after 300 ms, and the next follows.
  proxy.hold();
  next = joined();
  proxy.cutAll();
  await proxy.waitFor((e) => e.kind === 'held' && proxy.events.filter((x) => x.kind === 'held').length >= 2, STEP_MS, 'two held attempts');
  proxy.unhold();
  const info = await within(next, 'the resume');
  assert.equal(info.received, 1, 'the relay had the frame; the token still worked');
  assert.deepEqual(ends, []);
  await within(client.close(), 'the close');
  assert.equal(client.holdsToken, false);
}));
