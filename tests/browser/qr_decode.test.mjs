// The desktop's QR code, from a screenshot, decoded by real decoders (zbarimg
// when installed, and jsQR) equals the link, at desktop and phone sizes.
import test from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import {
  DESKTOP, PHONE, decodeQrPng, gotoPage, openPage, startSession, tempDir, waitForLink, withCleanup,
} from './harness.mjs';

test('the QR code on the screen decodes to the link', { timeout: 90_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  for (const [name, viewport] of [['desktop', DESKTOP], ['narrow', PHONE]]) {
    const page = await openPage(browser, { viewport, name });
    await gotoPage(page, `${app.origin}/`);
    const link = await waitForLink(page);
    // The whole visible page, as a camera would see the screen.
    const shot = path.join(dir, `${name}.png`);
    await page.screenshot({ path: shot });
    const decoded = decodeQrPng(shot);
    assert.equal(decoded.jsqr, link, `jsQR reads the ${name} screenshot`);
    if (decoded.zbar !== null) assert.equal(decoded.zbar, link, `zbarimg reads the ${name} screenshot`);
    else console.log('# zbarimg is not installed: checked with jsQR only');
    page.assertClean();
  }
}));
