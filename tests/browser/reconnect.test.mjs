// The phone loses its connection while the codes are compared: its page says
// it is reconnecting, puts the code back once the library has resumed, and
// the login completes. Both pages reach the relay through the cutting proxy
// of the web tests (tests/web/cut_proxy.mjs), whose address is the relay's
// public URL.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, PHONE, assertAccessible, createAccount, gotoPage, launchBrowser, openPage, startRelay, waitForCode,
  waitForLink, waitForStatus, withCleanup,
} from './harness.mjs';
import { startCutProxy } from '../web/cut_proxy.mjs';

test('the phone page says it is reconnecting, and the login completes after the resume', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  let relayPort = 0;
  const proxy = await startCutProxy(() => relayPort);
  defer(() => proxy.close());
  const origin = `http://127.0.0.1:${proxy.port}`;
  const relay = await startRelay({ grace: '30s', args: ['--public-url', origin] });
  relayPort = relay.port;
  defer(() => relay.stop());
  const browser = await launchBrowser();
  defer(() => browser.close());

  const desktop = await openPage(browser, { viewport: DESKTOP, name: 'desktop' });
  await gotoPage(desktop, `${origin}/`);
  const link = await waitForLink(desktop);
  assert.ok(link.startsWith(`${origin}/pair#v1.`), link);

  // Chromium reports each refused WebSocket attempt on the console.
  const phone = await openPage(browser, { viewport: PHONE, name: 'phone', expectConsole: [/WebSocket connection to .* failed/] });
  await gotoPage(phone, `${origin}/pair`);
  await createAccount(phone, 'Alice');
  await phone.goto(link);
  await phone.waitForFunction(() => document.title !== 'qrlogin');
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code);
  await waitForStatus(phone, /Compare the code/);

  // The phone's network is gone: its socket is reset, and so is every attempt.
  proxy.block();
  proxy.cutAll({ match: ({ target }) => target.includes('role=sender') });
  await waitForStatus(phone, /Connection lost \u2014 reconnecting\u2026/);
  await assertAccessible(phone);
  await waitForStatus(desktop, /Your phone lost its connection/);
  await proxy.waitFor((e) => e.kind === 'refused', 20_000, 'a refused attempt');

  proxy.unblock();
  // Resumed: the code to compare is back in the status, and nothing was lost.
  await waitForStatus(phone, /Compare the code/);
  await waitForStatus(desktop, /Your phone is back/);
  await phone.getByRole('button', { name: 'Confirm', exact: true }).click();
  await desktop.getByRole('button', { name: 'Confirm', exact: true }).click();
  await waitForStatus(desktop, /Logged in as Alice/);
  await waitForStatus(phone, /now logged in as Alice/);
  const resumes = proxy.connections().filter((c) => c.resume);
  assert.ok(resumes.length >= 1 && resumes.every((c) => c.target.includes('role=sender')), 'only the phone resumed');
  desktop.assertClean();
  phone.assertClean();
}));
