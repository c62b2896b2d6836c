// Without a secure context (plain http from another host) or without
// WebCrypto X25519, both pages say plainly what is wrong and how to fix it.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  assertAccessible, gotoPage, openPage, startSession, waitForStatus, withCleanup,
} from './harness.mjs';

test('plain http from a non-local address: the pages explain https or localhost', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  // A LAN-looking name that resolves to the loopback relay: no secure context.
  const { app, browser } = await startSession(defer, { browserArgs: ['--host-resolver-rules=MAP qrlogin-lan.test 127.0.0.1'] });
  for (const p of ['/', '/pair']) {
    // Chromium itself complains that COOP needs a trustworthy origin: true, and expected here.
    const page = await openPage(browser, { name: p, expectConsole: [/^The Cross-Origin-Opener-Policy header has been ignored, because the URL's origin was untrustworthy/] });
    await gotoPage(page, `http://qrlogin-lan.test:${app.port}${p}`);
    assert.equal(await page.evaluate(() => isSecureContext), false);
    const text = await waitForStatus(page, /plain http/);
    assert.match(text, /https:\/\//);
    assert.match(text, /http:\/\/localhost/);
    assert.match(text, /TLS/);
    assert.equal(await page.getByRole('heading', { name: 'This page cannot run here' }).isVisible(), true);
    assert.equal(await page.locator('#qr-box svg').count(), 0);
    await assertAccessible(page);
    page.assertClean();
  }
}));

test('no WebCrypto X25519: the pages ask for a newer browser', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  for (const p of ['/', '/pair']) {
    const page = await openPage(browser, { name: p });
    await page.addInitScript(() => {
      const original = SubtleCrypto.prototype.generateKey;
      SubtleCrypto.prototype.generateKey = function generateKey(algorithm, ...rest) {
        if (String(algorithm?.name ?? algorithm).toUpperCase() === 'X25519') {
          return Promise.reject(new DOMException('Unrecognized name', 'NotSupportedError'));
        }
        return original.call(this, algorithm, ...rest);
      };
    });
    await gotoPage(page, `${app.origin}${p}`);
    await waitForStatus(page, /lacks the X25519 key exchange/);
    assert.equal(await page.locator('#qr-box svg').count(), 0);
    page.assertClean();
  }
}));
