// The phone page's in-page scanner: Chromium's fake camera plays a y4m video
// that this test makes from the desktop page's QR code, the page decodes it
// (jsQR) and pairs. A QR code whose page is on another origin is refused
// before anything connects.
import test from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import qrcode from 'qrcode-generator';
import {
  PHONE, assertAccessible, gotoPage, launchBrowser, openPage, pngToY4m, signUp, startSession, tempDir,
  waitForCode, waitForLink, waitForStatus, withCleanup,
} from './harness.mjs';

const cameraArgs = (file) => [
  '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream', `--use-file-for-fake-video-capture=${file}`,
];

async function phoneWithCamera(videoFile, app, defer) {
  const browser = await launchBrowser(cameraArgs(videoFile));
  defer(() => browser.close());
  const phone = await openPage(browser, { viewport: PHONE, name: 'phone' });
  await phone.context().grantPermissions(['camera'], { origin: app.origin });
  await gotoPage(phone, `${app.origin}/pair`);
  await signUp(phone, 'Carol');
  const sockets = [];
  phone.on('websocket', (ws) => sockets.push(ws.url()));
  phone.sockets = sockets;
  return phone;
}

test('the phone scans the desktop QR code with its camera and logs in', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app, browser: desktopBrowser } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  const desktop = await openPage(desktopBrowser, { name: 'desktop' });
  await gotoPage(desktop, `${app.origin}/`);
  const link = await waitForLink(desktop);
  const png = path.join(dir, 'qr.png');
  await desktop.locator('#qr-box svg').screenshot({ path: png });
  const video = pngToY4m(png, path.join(dir, 'qr.y4m'));

  const phone = await phoneWithCamera(video, app, defer);
  await assertAccessible(phone);
  await phone.getByRole('button', { name: 'Start the camera' }).click();
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code, 'the scanned link paired with the desktop');
  assert.equal(await phone.locator('#camera').isHidden(), true, 'the camera stops once a code is read');
  assert.equal(await phone.evaluate(() => document.getElementById('camera').srcObject), null);
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Carol/);
  await waitForStatus(phone, /now logged in as Carol/);
  assert.ok(link.includes('#v1.'));
  desktop.assertClean();
  phone.assertClean();
}));

test('a scanned QR code for another origin is refused and nothing connects', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { app } = await startSession(defer);
  const { dir, cleanup } = tempDir();
  defer(cleanup);
  // A valid v1 link whose page is another site: a phishing page relaying a QR code.
  const foreign = `https://login.example.net/pair#v1.${'A'.repeat(42)}E`;
  const qr = qrcode(0, 'M');
  qr.addData(foreign, 'Byte');
  qr.make();
  const gif = path.join(dir, 'foreign.gif');
  writeFileSync(gif, Buffer.from(qr.createDataURL(8, 4).split(',')[1], 'base64'));
  const video = pngToY4m(gif, path.join(dir, 'foreign.y4m'));

  const phone = await phoneWithCamera(video, app, defer);
  await phone.getByRole('button', { name: 'Start the camera' }).click();
  const refusal = await waitForStatus(phone, /Refused: this code is for another site/);
  assert.match(refusal, /https:\/\/login\.example\.net/);
  assert.match(refusal, new RegExp(`Only scan codes shown by 127\\.0\\.0\\.1:${app.port}`));
  assert.equal(await phone.locator('#code-panel').isHidden(), true);
  assert.deepEqual(phone.sockets, [], 'no WebSocket was opened');
  // The same refusal for a pasted link.
  await phone.getByRole('button', { name: 'Stop the camera' }).click();
  await phone.getByLabel('Or paste the login link').fill(foreign.replace('login.', 'other.'));
  await phone.getByRole('button', { name: 'Use this link' }).click();
  await waitForStatus(phone, /Refused: this code is for another site \(https:\/\/other\.example\.net\)/);
  assert.deepEqual(phone.sockets, []);
  await assertAccessible(phone);
  phone.assertClean();
}));
