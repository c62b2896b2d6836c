// The phone loses its connection while the codes are compared: its page says
// it is reconnecting, puts the code back once the library has resumed, and
// the login completes; or, when the relay stays out of reach until the
// code's lifetime is over, it says the connection was lost. Both pages reach
// the relay through the cutting proxy of the web tests
// (tests/web/cut_proxy.mjs), the relay URL the application gives its pages.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  DESKTOP, PHONE, assertAccessible, gotoPage, openPage, signUp, startSession, waitForCode,
  waitForLink, waitForStatus, withCleanup,
} from './harness.mjs';
import { startCutProxy } from '../web/cut_proxy.mjs';

// The desktop and the phone, both through the cutting proxy, comparing the
// same code.
async function comparingCodes(defer, { lifetime, grace }) {
  let relayPort = 0;
  const proxy = await startCutProxy(() => relayPort);
  defer(() => proxy.close());
  const { relay, app, browser } = await startSession(defer, {
    relay: { lifetime, grace }, relayUrl: () => `ws://127.0.0.1:${proxy.port}`,
  });
  relayPort = relay.port;
  const origin = app.origin;

  const desktop = await openPage(browser, { viewport: DESKTOP, name: 'desktop' });
  await gotoPage(desktop, `${origin}/`);
  const link = await waitForLink(desktop);
  assert.ok(link.startsWith(`${origin}/pair?relay=${encodeURIComponent(`ws://127.0.0.1:${proxy.port}`)}#v1.`), link);

  // Chromium reports each refused WebSocket attempt on the console.
  const phone = await openPage(browser, { viewport: PHONE, name: 'phone', expectConsole: [/WebSocket connection to .* failed/] });
  await gotoPage(phone, `${origin}/pair`);
  await signUp(phone, 'Alice');
  await phone.goto(link);
  await phone.waitForFunction(() => document.title !== 'qrlogin');
  const code = await waitForCode(phone);
  assert.equal(await waitForCode(desktop), code);
  await waitForStatus(phone, /Compare the code/);
  return { proxy, desktop, phone };
}

// The phone's network is gone: its socket is reset, and so is every attempt.
async function phoneOffline(proxy, phone) {
  proxy.block();
  proxy.cutAll({ match: ({ target }) => target.includes('role=sender') });
  await waitForStatus(phone, /Connection lost \u2014 reconnecting\u2026/);
}

test('the phone page says it is reconnecting, and the login completes after the resume', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { proxy, desktop, phone } = await comparingCodes(defer, { lifetime: '60s', grace: '30s' });
  await phoneOffline(proxy, phone);
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

// As the CLI: only the relay can say that a code expired.
test('a phone that cannot reach the relay again before the code\'s lifetime ends says the connection was lost', { timeout: 120_000 }, () => withCleanup(async (defer) => {
  const { proxy, desktop, phone } = await comparingCodes(defer, { lifetime: '20s', grace: '30s' });
  await phoneOffline(proxy, phone);
  await waitForStatus(phone, /The connection to the relay was lost, so nothing was sent\. Check this phone\u2019s network/, 30_000);
  assert.doesNotMatch(await waitForStatus(phone, /./), /expired/);
  // The desktop stayed connected: the relay told it the code expired.
  await waitForStatus(desktop, /expired/, 30_000);
  desktop.assertClean();
  phone.assertClean();
}));
