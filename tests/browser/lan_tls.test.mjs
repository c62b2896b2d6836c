// The LAN path of the README (`scripts/serve --lan`): `scripts/make-cert`,
// the relay on wss and the application on https with the same certificate,
// both opened by a non-local name. Chromium trusts exactly that key (by its
// SPKI hash, as a phone trusts the local CA), so the pages get a secure
// context and the whole login runs over https and wss: the phone signs up,
// the desktop pairs and is logged in with a session of its own.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertAccessible, freePort, gotoPage, launchBrowser, openDesktop, openPhone, startApp, startRelay, tempDir,
  waitForCode, waitForStatus, withCleanup,
} from './harness.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAN_NAME = 'qrlogin-relay.lan';

// base64(SHA-256(SubjectPublicKeyInfo)): what --ignore-certificate-errors-spki-list takes.
function spkiHash(certFile) {
  const pub = execFileSync('openssl', ['x509', '-in', certFile, '-pubkey', '-noout']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  return execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
}

test('over https from a LAN name: make-cert, the relay on wss, the application on https, and a full login', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const certs = path.join(dir, 'tls');
  execFileSync(path.join(REPO, 'scripts/make-cert'), ['--out', certs, LAN_NAME], { stdio: 'pipe' });
  const cert = path.join(certs, 'relay-cert.pem');
  const key = path.join(certs, 'relay-key.pem');
  const tls = ['--tls-cert', cert, '--tls-key', key];

  // As scripts/serve --lan starts them: the relay allows only the
  // application's origin, the application names the relay by its wss:// URL.
  const relayPort = await freePort();
  const appPort = await freePort();
  const relayOrigin = `https://${LAN_NAME}:${relayPort}`;
  const appOrigin = `https://${LAN_NAME}:${appPort}`;
  const relay = await startRelay({
    listen: `127.0.0.1:${relayPort}`,
    origin: relayOrigin,
    args: ['--public-url', relayOrigin, ...tls, '--allowed-origin', appOrigin],
  });
  defer(() => relay.stop());
  const state = tempDir('qrlogin-app-state-');
  defer(state.cleanup);
  const started = await startApp({
    port: appPort, relayUrl: `wss://${LAN_NAME}:${relayPort}`, stateDir: state.dir, args: ['--origin', appOrigin, ...tls],
  });
  defer(() => started.stop());
  const app = { ...started, origin: appOrigin };
  const browser = await launchBrowser([
    `--host-resolver-rules=MAP ${LAN_NAME} 127.0.0.1`, `--ignore-certificate-errors-spki-list=${spkiHash(cert)}`,
  ]);
  defer(() => browser.close());

  const phone = await openPhone(browser, app, 'Alice');
  assert.equal(await phone.evaluate(() => isSecureContext), true);
  assert.equal(new URL(phone.url()).origin, appOrigin);

  const { desktop, link } = await openDesktop(browser, app);
  assert.equal(await desktop.evaluate(() => isSecureContext), true);
  assert.ok(link.startsWith(`${appOrigin}/pair`), link);
  assert.equal(new URL(link).searchParams.get('relay'), `wss://${LAN_NAME}:${relayPort}`, `the link names the wss relay: ${link}`);
  await assertAccessible(desktop);

  await gotoPage(phone, link);
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code, 'both pages show the same code');
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Alice/);
  // A session of its own, over https, with the Secure __Host- cookie https turns on.
  const session = await desktop.evaluate(async () => {
    const response = await fetch('/api/session', { credentials: 'same-origin' });
    return { status: response.status, body: await response.json() };
  });
  assert.equal(session.status, 200);
  assert.equal(session.body.account.name, 'Alice');
  const cookies = await desktop.context().cookies(appOrigin);
  assert.ok(cookies.some((c) => c.name.startsWith('__Host-') && c.secure), JSON.stringify(cookies.map((c) => c.name)));
  desktop.assertClean();
  phone.assertClean();
}));
