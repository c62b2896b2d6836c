// The LAN path of the README: `scripts/make-cert`, the relay with its own
// TLS, and the pages opened by a non-local name over https. Chromium trusts
// exactly the relay's key (by its SPKI hash, as a phone trusts the local
// CA), so the pages get a secure context and the whole login runs over
// https and wss.
import test from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  assertAccessible, gotoPage, openDesktop, openPhone, startSession, tempDir, waitForCode, waitForStatus, withCleanup,
} from './harness.mjs';

const REPO = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const LAN_NAME = 'qrlogin-relay.lan';

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

// base64(SHA-256(SubjectPublicKeyInfo)): what --ignore-certificate-errors-spki-list takes.
function spkiHash(certFile) {
  const pub = execFileSync('openssl', ['x509', '-in', certFile, '-pubkey', '-noout']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  return execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');
}

test('over https from a LAN name: make-cert, the relay\'s TLS, and a full login', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const certs = path.join(dir, 'tls');
  execFileSync(path.join(REPO, 'scripts/make-cert'), ['--out', certs, LAN_NAME], { stdio: 'pipe' });
  const cert = path.join(certs, 'relay-cert.pem');
  const key = path.join(certs, 'relay-key.pem');

  const port = await freePort();
  const origin = `https://${LAN_NAME}:${port}`;
  const { relay, browser } = await startSession(defer, {
    relay: {
      listen: `127.0.0.1:${port}`,
      origin,
      args: ['--public-url', origin, '--tls-cert', cert, '--tls-key', key],
    },
    browserArgs: [`--host-resolver-rules=MAP ${LAN_NAME} 127.0.0.1`, `--ignore-certificate-errors-spki-list=${spkiHash(cert)}`],
  });

  const { desktop, link } = await openDesktop(browser, relay);
  assert.equal(await desktop.evaluate(() => isSecureContext), true);
  assert.ok(link.startsWith(`${origin}/pair#v1.`), link);
  await assertAccessible(desktop);

  const phone = await openPhone(browser, relay, 'Alice');
  assert.equal(await phone.evaluate(() => isSecureContext), true);
  await gotoPage(phone, link);
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code, 'both pages show the same code');
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Alice/);
  desktop.assertClean();
  phone.assertClean();
}));
