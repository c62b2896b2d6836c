// The run command's launcher (scripts/serve, which scripts/run calls after
// building): the relay and the application start side by side on the given
// loopback ports, the application tells clients the relay, the relay lets
// the application's pages in and serves none itself, and Ctrl-C (or either
// process ending) stops both.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, existsSync } from 'node:fs';
import { createServer, connect } from 'node:net';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import path from 'node:path';

const RELAY_BIN = process.env.QRLOGIN_RELAY_BIN ?? '';
const APP_BIN = process.env.QRLOGIN_APP_BIN ?? '';
const CID = 'C4Bufhe1J4mM3QwMlhVsgA';

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

function portOpen(port) {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => { socket.destroy(); resolve(true); });
    socket.once('error', () => resolve(false));
  });
}

// A WebSocket upgrade to the relay with `origin`: 101 or the refusal's status.
function upgradeStatus(port, origin) {
  return new Promise((resolve, reject) => {
    const req = request({
      host: '127.0.0.1', port, path: `/v1/channels/${CID}?role=receiver`,
      headers: {
        Connection: 'Upgrade', Upgrade: 'websocket', Origin: origin,
        'Sec-WebSocket-Version': '13', 'Sec-WebSocket-Key': 'dGhlIHNhbXBsZSBub25jZQ==',
        'Sec-WebSocket-Protocol': 'qrlogin.v1',
      },
    });
    req.on('upgrade', (res, socket) => { socket.destroy(); resolve(res.statusCode); });
    req.on('response', (res) => { res.resume(); resolve(res.statusCode); });
    req.on('error', reject);
    req.end();
  });
}

// Runs scripts/serve; resolves once it printed where to go.
async function serve(args) {
  assert.ok(existsSync(RELAY_BIN) && existsSync(APP_BIN), 'QRLOGIN_RELAY_BIN and QRLOGIN_APP_BIN must name the built binaries');
  const child = spawn('bash', ['scripts/serve', '--relay-bin', RELAY_BIN, '--app-bin', APP_BIN, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d) => { output += d; });
  child.stderr.on('data', (d) => { output += d; });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    const timer = setInterval(() => {
      if (output.includes('Stop both with Ctrl-C')) { clearInterval(timer); resolve(); }
    }, 50);
    exited.then(() => { clearInterval(timer); reject(new Error(`serve exited early:\n${output}`)); });
  });
  ready.catch(() => {}); // a test that expects the early exit awaits `exited` instead
  return { child, exited, ready, output: () => output };
}

test('serve starts the relay and the application, wired to each other, and Ctrl-C stops both', async (t) => {
  const dir = mkdtempSync(path.join(tmpdir(), 'qrlogin-serve-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const [relayPort, appPort] = [await freePort(), await freePort()];
  const run = await serve(['--relay-port', String(relayPort), '--app-port', String(appPort),
    '--state-dir', path.join(dir, 'state'), '--log-level', 'warn', '--metrics-listen', '127.0.0.1:0']);
  t.after(() => run.child.kill('SIGKILL'));
  await run.ready;
  const appUrl = `http://127.0.0.1:${appPort}`;
  assert.match(run.output(), new RegExp(`open +${appUrl}/ `), 'it prints the application\'s URL');

  const config = await (await fetch(`${appUrl}/api/config`)).json();
  assert.equal(config.relay, `ws://127.0.0.1:${relayPort}`, 'the application tells clients the relay');
  assert.equal(config.origin, appUrl);
  assert.equal((await fetch(`http://127.0.0.1:${relayPort}/healthz`)).status, 200);
  assert.equal((await fetch(`http://127.0.0.1:${relayPort}/`)).status, 404, 'the relay serves no page');
  assert.equal(await upgradeStatus(relayPort, appUrl), 101, 'the application\'s pages may open a channel');
  assert.equal(await upgradeStatus(relayPort, 'http://evil.example'), 403, 'another origin may not');
  assert.ok(existsSync(path.join(dir, 'state', 'app.sqlite3')), 'the application keeps its database in --state-dir');

  run.child.kill('SIGINT');
  const { code } = await run.exited;
  assert.equal(code, 0);
  assert.equal(await portOpen(relayPort), false, 'the relay stopped');
  assert.equal(await portOpen(appPort), false, 'the application stopped');
});

test('when one of the two cannot start, serve stops the other and fails', async (t) => {
  const [relayPort, appPort] = [await freePort(), await freePort()];
  const run = await serve(['--relay-port', String(relayPort), '--app-port', String(appPort),
    '--metrics-listen', '127.0.0.1:0', '--app', '--in-memory', '--no-such-flag']);
  t.after(() => run.child.kill('SIGKILL'));
  const { code } = await run.exited;
  assert.notEqual(code, 0);
  assert.match(run.output(), /unknown argument --no-such-flag/);
  assert.equal(await portOpen(relayPort), false, 'the relay was stopped too');
});
