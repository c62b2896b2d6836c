// The pages are served by the application (qrlogin-app, never the relay)
// under strict security headers: CSP without inline code and with
// connect-src naming the relay the application was given, no framing,
// no referrer, camera only for this origin, correct types, no caching of HTML.
// In the browser, the CSP also stops framing and inline script.
import test from 'node:test';
import assert from 'node:assert/strict';
import {
  freePort, gotoPage, openPage, startApp, startSession, tempDir, withCleanup,
} from './harness.mjs';

// qrlogin-app alone, telling its pages about `relayUrl`.
async function appAlone(defer, relayUrl) {
  const state = tempDir('qrlogin-app-state-');
  defer(state.cleanup);
  const app = await startApp({ port: await freePort(), relayUrl, stateDir: state.dir });
  defer(() => app.stop());
  return app;
}

const directives = (csp) => Object.fromEntries(csp.split(';').map((d) => d.trim()).filter(Boolean)
  .map((d) => { const [name, ...values] = d.split(/\s+/); return [name, values]; }));

test('pages, scripts and vendored packages carry the right headers', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const app = await appAlone(defer, 'ws://127.0.0.1:9');
  const get = async (p) => {
    const response = await fetch(`${app.origin}${p}`);
    return { status: response.status, headers: response.headers, body: await response.text() };
  };

  for (const p of ['/', '/pair']) {
    const { status, headers, body } = await get(p);
    assert.equal(status, 200, p);
    assert.equal(headers.get('content-type'), 'text/html; charset=utf-8');
    assert.equal(headers.get('cache-control'), 'no-store');
    assert.equal(headers.get('referrer-policy'), 'no-referrer');
    assert.equal(headers.get('x-content-type-options'), 'nosniff');
    assert.match(headers.get('permissions-policy'), /(^|, )camera=\(self\)(,|$)/);
    const csp = directives(headers.get('content-security-policy'));
    assert.deepEqual(csp['default-src'], ["'none'"]);
    // 'self', and the import map by its hash (tests/web/vendor_import_map.test.mjs).
    assert.equal(csp['script-src'].length, 2);
    assert.equal(csp['script-src'][0], "'self'");
    assert.match(csp['script-src'][1], /^'sha256-[A-Za-z0-9+/]{43}='$/);
    assert.deepEqual(csp['style-src'], ["'self'"]);
    assert.deepEqual(csp['frame-ancestors'], ["'none'"]);
    assert.deepEqual(csp['base-uri'], ["'none'"]);
    assert.deepEqual(csp['form-action'], ["'none'"]);
    assert.deepEqual(csp['object-src'], ["'none'"]);
    assert.deepEqual(csp['connect-src'], ["'self'", 'ws://127.0.0.1:9']);
    assert.equal(headers.get('cross-origin-opener-policy'), 'same-origin');
    assert.equal(headers.get('cross-origin-resource-policy'), 'same-origin');
    assert.ok(csp['img-src'], 'img-src is set');
    assert.deepEqual(csp['require-trusted-types-for'], ["'script'"]);
    for (const values of Object.values(csp)) {
      assert.ok(!values.some((v) => /unsafe|\*/.test(v)), `no unsafe-* or wildcard: ${values}`);
    }
    // No inline code: every <script> has a src but the import map (JSON, allowed by its hash),
    // no style attributes or <style>, no on* handlers.
    assert.doesNotMatch(body.replace(/<script type="importmap">[^<]*<\/script>/, ''), /<script(?![^>]*\bsrc=)[^>]*>/i);
    assert.equal(body.match(/<script type="importmap">/g)?.length, 1);
    assert.doesNotMatch(body, /<style|\sstyle=|\son[a-z]+=/i);
    assert.match(body, /<html lang="en">/);
  }

  const types = {
    '/src/qrlogin.js': 'text/javascript; charset=utf-8',
    '/src/qr_render.js': 'text/javascript; charset=utf-8',
    '/pages/desktop.js': 'text/javascript; charset=utf-8',
    '/pages/strings.js': 'text/javascript; charset=utf-8',
    '/pages/pages.css': 'text/css; charset=utf-8',
    '/pages/icon.svg': 'image/svg+xml',
    '/vendor/qrcode.mjs': 'text/javascript; charset=utf-8',
    '/vendor/jsQR.js': 'text/javascript; charset=utf-8',
    '/src/cpace.js': 'text/javascript; charset=utf-8',
    '/vendor/@noble/curves/ed25519.js': 'text/javascript; charset=utf-8',
    '/vendor/@noble/curves/abstract/edwards.js': 'text/javascript; charset=utf-8',
    '/vendor/@noble/hashes/sha2.js': 'text/javascript; charset=utf-8',
  };
  for (const [p, type] of Object.entries(types)) {
    const { status, headers } = await get(p);
    assert.equal(status, 200, p);
    assert.equal(headers.get('content-type'), type, p);
    assert.equal(headers.get('x-content-type-options'), 'nosniff', p);
    assert.match(headers.get('cache-control'), /^max-age=\d+$/, p);
    assert.ok(Number(headers.get('cache-control').split('=')[1]) <= 300, `a short cache for ${p}`);
  }

  const config = await get('/api/config');
  assert.equal(config.status, 200);
  assert.equal(config.headers.get('cache-control'), 'no-store');
  assert.equal(JSON.parse(config.body).relay, 'ws://127.0.0.1:9');
  assert.equal((await get('/nope.js')).status, 404);
  assert.equal((await get('/app/api.cpp')).status, 404, 'the application\'s C++ is not served');
}));

test('connect-src names the relay given by --relay (its origin only)', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const app = await appAlone(defer, 'wss://qr.example.org:8443/some/path');
  const response = await fetch(`${app.origin}/`);
  const csp = directives(response.headers.get('content-security-policy'));
  assert.deepEqual(csp['connect-src'], ["'self'", 'wss://qr.example.org:8443']);
  const config = await (await fetch(`${app.origin}/api/config`)).json();
  assert.equal(config.relay, 'wss://qr.example.org:8443/some/path');
}));

test('in the browser the CSP blocks framing and inline script', { timeout: 60_000 }, () => withCleanup(async (defer) => {
  const { app, browser } = await startSession(defer);
  const page = await openPage(browser, { name: 'desktop' });
  await gotoPage(page, `${app.origin}/`);
  const blocked = await page.evaluate(() => new Promise((resolve) => {
    const seen = [];
    document.addEventListener('securitypolicyviolation', (e) => seen.push(e.effectiveDirective));
    const s = document.createElement('script');
    try {
      s.textContent = 'window.__inline = 1';
    } catch (e) {
      seen.push(`trusted-types: ${e.name}`);
    }
    document.head.append(s);
    setTimeout(() => resolve({ seen, ran: window.__inline === 1 }), 300);
  }));
  assert.equal(blocked.ran, false, 'inline script does not run');
  assert.ok(blocked.seen.length > 0, 'the CSP reported the attempt');
  // Framed by another origin (http://localhost:PORT, same application, no
  // CSP on /healthz): refused by frame-ancestors.
  const framer = await openPage(browser, { name: 'framer' });
  await framer.goto(`http://localhost:${app.port}/healthz`);
  await framer.evaluate((src) => {
    const frame = document.createElement('iframe');
    frame.src = src;
    document.body.append(frame);
  }, `${app.origin}/`);
  await framer.waitForTimeout(1000);
  const frame = framer.frames().find((f) => f.url().startsWith(app.origin));
  const framedTitle = frame ? await frame.evaluate(() => document.title).catch(() => '') : '';
  assert.notEqual(framedTitle, 'qrlogin \u2014 log in with your phone', 'the page does not render in a frame');
  assert.ok(framer.problems.some((p) => /frame-ancestors/.test(p)), `refused by frame-ancestors: ${framer.problems}`);
}));
