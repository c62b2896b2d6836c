// What every browser test shares: the real application (qrlogin-app, which
// serves the pages and the API) and the real qrlogin-relay, each on a free
// loopback port, Debian's Chromium driven by playwright-core (headless,
// nothing downloaded), pages that fail the test on any CSP violation,
// console error or uncaught exception, and small helpers to read the pages'
// state and to talk to the application's API from Node.
//
// Environment (set by tests/browser/CMakeLists.txt):
//   QRLOGIN_APP_BIN    the qrlogin-app binary (required)
//   QRLOGIN_RELAY_BIN  the qrlogin-relay binary (required)
//   QRLOGIN_CLI_BIN    the qrlogin binary (CLI interop tests; optional)
//   QRLOGIN_CHROMIUM   the browser (default /usr/bin/chromium)
//   QRLOGIN_SCREENSHOT_DIR  where the screenshot test writes its PNGs
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { createInterface } from 'node:readline';
import assert from 'node:assert/strict';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);
let chromium;
try {
  ({ chromium } = require('playwright-core'));
} catch {
  throw new Error('playwright-core is not installed: run scripts/install-deps (npm ci)');
}

export const RELAY_BIN = process.env.QRLOGIN_RELAY_BIN ?? '';
export const APP_BIN = process.env.QRLOGIN_APP_BIN ?? '';
// Every account the tests make has this password.
export const PASSWORD = 'correct horse battery staple';
export const CLI_BIN = process.env.QRLOGIN_CLI_BIN ?? '';
export const CHROMIUM = process.env.QRLOGIN_CHROMIUM || '/usr/bin/chromium';
export const PHONE = { width: 390, height: 844 };
export const DESKTOP = { width: 1280, height: 900 };
const STEP_MS = 20_000; // the longest any single wait in a test may take

export function requireRelay() {
  assert.ok(RELAY_BIN && existsSync(RELAY_BIN), 'QRLOGIN_RELAY_BIN must name the built qrlogin-relay');
}

// Starts qrlogin-relay on `listen` (a free port by default) and resolves
// once it printed its port. Short lifetimes so expiry tests take seconds.
// `origin`: where the pages are opened (default http://127.0.0.1:PORT).
// stop() ends it (SIGTERM, then SIGKILL).
export async function startRelay({ lifetime = '60s', grace = '5s', args = [], listen = '127.0.0.1:0', origin } = {}) {
  requireRelay();
  const child = spawn(RELAY_BIN, [
    '--listen', listen, '--metrics-listen', '127.0.0.1:0', '--channel-lifetime', lifetime, '--grace', grace, '--log-level', 'warn', ...args,
  ], { stdio: ['ignore', 'pipe', 'pipe'] });
  const log = [];
  child.stderr.on('data', (d) => log.push(String(d)));
  const port = await listeningPort(child, 'the relay', log);
  return {
    port,
    origin: origin ?? `http://127.0.0.1:${port}`,
    log,
    stop: () => stopChild(child),
  };
}

export async function launchBrowser(extraArgs = []) {
  assert.ok(existsSync(CHROMIUM), `no browser at ${CHROMIUM}: install Debian's chromium (scripts/install-deps)`);
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    timeout: 60_000,
    args: [
      '--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-quic',
      '--disable-features=Translate,OptimizationHints,MediaRouter,DialMediaRouteProvider',
      '--no-default-browser-check', '--metrics-recording-only', '--password-store=basic',
      ...extraArgs,
    ],
  });
}

// A loopback port that was free a moment ago (listen on 0, then close):
// the application's origin must be known before the relay starts, which
// allows only that origin's pages to open its WebSockets.
export function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

// Waits for a child's {"event":"listening","port":N} line.
function listeningPort(child, what, log) {
  const lines = createInterface({ input: child.stdout });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what} did not start:\n${log.join('')}`)), STEP_MS);
    lines.on('line', (line) => {
      log.push(line);
      try {
        const event = JSON.parse(line);
        if (event.event === 'listening') {
          clearTimeout(timer);
          resolve(event.port);
        }
      } catch {
        // not JSON: a log line
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${what} exited (${code}):\n${log.join('')}`));
    });
  });
}

async function stopChild(child) {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 8000);
  await exited;
  clearTimeout(timer);
}

// Starts qrlogin-app on 127.0.0.1:`port` with its database in `stateDir`,
// telling its pages about `relayUrl`. restart() stops it and starts it again
// on the same port and state directory (sessions and devices survive).
export async function startApp({ port, relayUrl = '', stateDir, args = [] }) {
  assert.ok(APP_BIN && existsSync(APP_BIN), 'QRLOGIN_APP_BIN must name the built qrlogin-app');
  const log = [];
  let child;
  const launch = async () => {
    const flags = ['--listen', `127.0.0.1:${port}`, '--state-dir', stateDir, ...args];
    if (relayUrl) flags.push('--relay', relayUrl);
    child = spawn(APP_BIN, flags, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stderr.on('data', (d) => log.push(String(d)));
    await listeningPort(child, 'qrlogin-app', log);
  };
  await launch();
  return {
    port,
    origin: `http://127.0.0.1:${port}`,
    log,
    stop: () => stopChild(child),
    async restart() {
      await stopChild(child);
      await launch();
    },
  };
}

// What most tests start with: the application (serving the pages), the
// relay (allowing only the application's origin), and a browser, all
// stopped by `defer` (from withCleanup) when the test ends, however it ends.
// Pages open on app.origin. `relayUrl(relay)`: what the application tells
// its pages about the relay (default: the relay itself; a proxy in front of
// it in the reconnect tests).
export async function startSession(defer, {
  relay: relayOptions = {}, app: appOptions = {}, browserArgs = [], relayUrl = (r) => `ws://127.0.0.1:${r.port}`,
} = {}) {
  const appPort = await freePort();
  const appOrigin = `http://127.0.0.1:${appPort}`;
  const relay = await startRelay({ ...relayOptions, args: ['--allowed-origin', appOrigin, ...(relayOptions.args ?? [])] });
  defer(() => relay.stop());
  const state = tempDir('qrlogin-app-state-');
  defer(state.cleanup);
  const app = await startApp({ port: appPort, relayUrl: relayUrl(relay), stateDir: state.dir, ...appOptions });
  defer(() => app.stop());
  const browser = await launchBrowser(browserArgs);
  defer(() => browser.close());
  return { relay, app, browser };
}

// The desktop page of `app`, once it shows its first QR code.
export async function openDesktop(browser, app, pageOptions = {}) {
  const desktop = await openPage(browser, { name: 'desktop', ...pageOptions });
  await gotoPage(desktop, `${app.origin}/`);
  return { desktop, link: await waitForLink(desktop) };
}

// A phone-sized page at /pair, signed up as `account` (password PASSWORD).
export async function openPhone(browser, app, account, { name = 'phone' } = {}) {
  const phone = await openPage(browser, { viewport: PHONE, name });
  await gotoPage(phone, `${app.origin}/pair`);
  await signUp(phone, account);
  return phone;
}

// A page in its own context (its own localStorage), guarded: any CSP
// violation, console error or uncaught exception is recorded, and
// assertClean() fails the test with them.
// `expectConsole`: regular expressions of console errors that a test
// provokes on purpose (only the unsupported-browser test uses it).
// `headers`: sent with every request of the context, e.g. X-Forwarded-For
// to an application started with --trust-proxy 127.0.0.1/32 (a page
// "on another network").
export async function openPage(browser, {
  viewport = DESKTOP, reducedMotion = 'no-preference', name = 'page', expectConsole = [], headers = null,
} = {}) {
  const context = await browser.newContext({
    viewport, reducedMotion, serviceWorkers: 'block', ...(headers ? { extraHTTPHeaders: headers } : {}),
  });
  context.setDefaultTimeout(STEP_MS);
  const page = await context.newPage();
  const problems = [];
  await page.addInitScript(() => {
    document.addEventListener('securitypolicyviolation', (e) => {
      console.error(`securitypolicyviolation: ${e.violatedDirective} blocked ${e.blockedURI || '(inline)'}`);
    });
  });
  page.on('console', (message) => {
    if (message.type() !== 'error') return;
    if (expectConsole.some((re) => re.test(message.text()))) return;
    // Chromium logs every non-2xx answer; the API's refusals (401 not
    // logged in, 409 already used, ...) are answers the pages handle.
    if (/^Failed to load resource: the server responded with a status of 4\d\d/.test(message.text()) &&
        new URL(message.location().url || 'about:blank', 'http://x').pathname.startsWith('/api/')) return;
    problems.push(`${name} console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`${name} uncaught: ${error.message}`));
  page.on('crash', () => problems.push(`${name} crashed`));
  page.problems = problems;
  page.assertClean = () => assert.deepEqual(problems, [], `${name} must have no CSP violation or console error`);
  return page;
}

// Opens a page of the relay and waits for its script to have run.
export async function gotoPage(page, url) {
  const response = await page.goto(url, { waitUntil: 'load' });
  // null: only the fragment changed (the page handles that itself).
  if (response) assert.equal(response.status(), 200, `GET ${url}`);
  await page.waitForFunction(() => document.title !== 'qrlogin');
  return response;
}

export const statusText = (page) => page.locator('#status').textContent();

export async function waitForStatus(page, pattern, timeout = STEP_MS) {
  const re = pattern instanceof RegExp ? pattern : new RegExp(pattern);
  try {
    await page.waitForFunction((source) => new RegExp(source.s, source.f).test(document.getElementById('status')?.textContent ?? ''),
      { s: re.source, f: re.flags }, { timeout });
  } catch (e) {
    throw new Error(`status never matched ${re}: it says "${await statusText(page)}"; problems: ${page.problems.join('; ')}`);
  }
  return statusText(page);
}

// The link the desktop shows (also in its "use the link" field).
export async function waitForLink(page, { not } = {}) {
  await page.waitForFunction((old) => {
    const v = document.getElementById('link-field')?.value ?? '';
    return v.includes('#v1.') && v !== old && document.querySelector('#qr-box svg');
  }, not ?? '', { timeout: STEP_MS });
  return page.locator('#link-field').inputValue();
}

// The six digits a page shows, as "123456".
export async function waitForCode(page) {
  await page.locator('#code-panel').waitFor({ state: 'visible' });
  const digits = await page.locator('#code .code-digits').textContent();
  return digits.replace(/\D/g, '');
}

// Signs up (or logs in) on the phone page through its form.
export async function signUp(page, name, { password = PASSWORD, button = 'Sign up' } = {}) {
  await page.getByLabel('Your name').fill(name);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: button, exact: true }).click();
  await page.locator('#account-text').filter({ hasText: `Logged in here as ${name}` }).waitFor();
}
export const logIn = (page, name, options = {}) => signUp(page, name, { ...options, button: 'Log in' });

// The application's API from Node, as a program does it (no Origin, no
// cookie; a Bearer token once `token` is set). Resolves { status, body, headers }.
export async function apiCall(app, method, path, body, { token = '', headers = {} } = {}) {
  const init = { method, headers: { ...headers } };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (token) init.headers.Authorization = `Bearer ${token}`;
  const response = await fetch(`${app.origin}${path}`, init);
  let json = null;
  try {
    json = await response.json();
  } catch {
    json = null;
  }
  return { status: response.status, body: json, headers: response.headers };
}

// A CLI-style account with a device token (signup kind "token").
export async function tokenAccount(app, name) {
  const answer = await apiCall(app, 'POST', '/api/signup', { name, password: PASSWORD, kind: 'token', device_name: `${name}'s CLI` });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.token;
}

// The session of the device token a CLI wrote to `file` (one line of 43
// characters), as the application answers GET /api/session for it.
export async function sessionOfTokenFile(app, file) {
  const token = readFileSync(file, 'utf8').trim();
  assert.equal(token.length, 43);
  const session = await apiCall(app, 'GET', '/api/session', undefined, { token });
  assert.equal(session.status, 200, JSON.stringify(session.body));
  return session.body;
}

// The device of `token`'s account that a pairing added (added_by "qr").
export async function pairedDevice(app, token) {
  const devices = await apiCall(app, 'GET', '/api/devices', undefined, { token });
  const added = devices.body.devices.find((d) => d.added_by === 'qr');
  assert.ok(added, JSON.stringify(devices.body));
  return added;
}

// A real grant for `cid` (the credential JSON {"grant","app"}), minted by a
// token account: what a logged-in sender sends.
export async function mintGrant(app, token, cid) {
  const answer = await apiCall(app, 'POST', '/api/grants', { cid }, { token });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.credential;
}

// Registers `cid` as the new device would (POST /api/pairings), for
// receivers that do not yet do it themselves (the CLI without --app, the
// independent peer); resolves the registration secret.
export async function registerPairing(app, cid) {
  const answer = await apiCall(app, 'POST', '/api/pairings', { cid });
  assert.equal(answer.status, 201, JSON.stringify(answer.body));
  return answer.body.registration_secret;
}

// The accessibility basics every test checks: one aria-live status region,
// a lang, and an accessible name on every visible control.
export async function assertAccessible(page) {
  const facts = await page.evaluate(() => {
    const status = document.getElementById('status');
    const unnamed = [];
    for (const el of document.querySelectorAll('button, input, select, textarea, summary, video, [role="img"]')) {
      if (el.closest('[hidden]') || el.hidden) continue;
      const id = el.id ? `#${el.id}` : el.tagName.toLowerCase();
      if (el.tagName === 'VIDEO') continue; // decorative camera view; the status says what it does
      let name = el.getAttribute('aria-label') || '';
      if (!name && el.labels?.length) name = [...el.labels].map((l) => l.textContent).join(' ');
      if (!name && el.tagName !== 'INPUT') name = el.textContent;
      if (!name.trim()) unnamed.push(id);
    }
    return {
      lang: document.documentElement.lang,
      statusRole: status?.getAttribute('role'),
      statusLive: status?.getAttribute('aria-live'),
      liveRegions: document.querySelectorAll('[aria-live]').length,
      unnamed,
      autofocus: document.querySelectorAll('[autofocus]').length,
    };
  });
  assert.equal(facts.lang, 'en', 'the page sets lang');
  assert.equal(facts.statusRole, 'status');
  assert.equal(facts.statusLive, 'polite');
  assert.equal(facts.liveRegions, 1, 'one aria-live region');
  assert.deepEqual(facts.unnamed, [], 'every visible control has an accessible name');
  assert.equal(facts.autofocus, 0, 'nothing is focused automatically');
}

// What a screen reader gets for the code: digit by digit, and not the grouped digits.
export async function assertCodeSpokenDigitByDigit(page, digits) {
  const snapshot = await page.locator('#code').ariaSnapshot();
  assert.match(snapshot, new RegExp(digits.split('').join(' ')), `the code is read digit by digit: ${snapshot}`);
  assert.doesNotMatch(snapshot, /\d{3} \d{3}/, 'the grouped digits are hidden from screen readers');
}

export async function assertConfirmNotFocused(page) {
  const focused = await page.evaluate(() => document.activeElement?.id ?? '');
  assert.notEqual(focused, 'confirm', 'Confirm is never focused automatically');
}

export function tempDir(prefix = 'qrlogin-browser-') {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  return { dir, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

// Decodes a PNG's QR code with zbarimg (when installed) and with jsQR (from
// ImageMagick's raw RGBA); returns { zbar, jsqr } (zbar is null without zbarimg).
export function decodeQrPng(file) {
  let zbar = null;
  const which = spawnSync('sh', ['-c', 'command -v zbarimg'], { encoding: 'utf8' });
  if (which.status === 0) {
    const out = spawnSync('zbarimg', ['--quiet', '--raw', file], { encoding: 'utf8', timeout: 20_000 });
    assert.equal(out.status, 0, `zbarimg found no QR code: ${out.stderr}`);
    zbar = out.stdout.trim();
  }
  const jsQR = require('jsqr');
  const size = spawnSync('convert', [file, '-format', '%w %h', 'info:'], { encoding: 'utf8', timeout: 20_000 });
  assert.equal(size.status, 0, `ImageMagick convert: ${size.stderr}`);
  const [w, h] = size.stdout.trim().split(' ').map(Number);
  const raw = spawnSync('convert', [file, '-depth', '8', 'rgba:-'], { maxBuffer: 64 << 20, timeout: 20_000 });
  assert.equal(raw.status, 0, 'ImageMagick convert to raw RGBA');
  const found = jsQR(new Uint8ClampedArray(raw.stdout), w, h);
  return { zbar, jsqr: found?.data ?? null };
}

// A y4m video (4:2:0, gray: U and V at 128) of a PNG, centred on white, for
// Chromium's fake camera. Y4M is a text header and raw planes; nothing else needed.
export function pngToY4m(png, out, { width = 640, height = 480, frames = 4, qrSide = 360 } = {}) {
  const raw = spawnSync('convert', [png, '-resize', `${qrSide}x${qrSide}`, '-background', 'white', '-gravity', 'center',
    '-extent', `${width}x${height}`, '-colorspace', 'Gray', '-depth', '8', 'gray:-'], { maxBuffer: 64 << 20, timeout: 20_000 });
  assert.equal(raw.status, 0, `ImageMagick convert: ${raw.stderr}`);
  assert.equal(raw.stdout.length, width * height);
  const chroma = Buffer.alloc((width / 2) * (height / 2) * 2, 128);
  const parts = [Buffer.from(`YUV4MPEG2 W${width} H${height} F10:1 Ip A1:1 C420jpeg\n`)];
  for (let i = 0; i < frames; i += 1) parts.push(Buffer.from('FRAME\n'), raw.stdout, chroma);
  writeFileSync(out, Buffer.concat(parts));
  return out;
}

// Runs `fn` with resources that are always released: relays stopped,
// browsers closed, temp dirs removed, even when the test fails.
export async function withCleanup(fn) {
  const cleanups = [];
  const defer = (f) => cleanups.push(f);
  try {
    return await fn(defer);
  } finally {
    for (const f of cleanups.reverse()) {
      try {
        await f();
      } catch {
        // keep releasing the rest
      }
    }
  }
}

// Runs the CLI with --json; events() resolves the first event of a type.
const shellQuoted = (arg) => `'${String(arg).replaceAll("'", "'\\''")}'`;

export function runCli(args, defer, { terminal = false } = {}) {
  assert.ok(CLI_BIN && existsSync(CLI_BIN), 'QRLOGIN_CLI_BIN must name the built qrlogin CLI');
  const argv = [CLI_BIN, ...args, '--json'];
  // `terminal`: the CLI runs at a pseudo-terminal (util-linux `script`),
  // where a person answers (receive --code accepts a login only there).
  // Its events and messages then arrive together on script's output, and
  // what is answered is echoed there too.
  const child = terminal
    ? spawn('script', ['-qefc', argv.map(shellQuoted).join(' '), '/dev/null'], { stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn(argv[0], argv.slice(1), { stdio: ['pipe', 'pipe', 'pipe'] });
  const events = [];
  const waiters = [];
  const stderr = [];
  child.stderr.on('data', (d) => stderr.push(String(d)));
  createInterface({ input: child.stdout }).on('line', (line) => {
    if (terminal) stderr.push(`${line}\n`);
    let event;
    try {
      event = JSON.parse(line);
    } catch {
      return;
    }
    events.push(event);
    for (const w of [...waiters]) {
      if (w.type === event.event) {
        waiters.splice(waiters.indexOf(w), 1);
        w.resolve(event);
      }
    }
  });
  const exited = new Promise((resolve) => child.on('exit', (code) => resolve(code)));
  defer(async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGKILL');
      await exited;
    }
  });
  return {
    child,
    exited,
    stderr,
    events,
    event(type, timeout = 20_000) {
      const found = events.find((e) => e.event === type);
      if (found) return Promise.resolve(found);
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no "${type}" event from the CLI; got ${JSON.stringify(events)}; stderr: ${stderr.join('')}`)), timeout);
        waiters.push({ type, resolve: (e) => { clearTimeout(timer); resolve(e); } });
      });
    },
    answer(text) {
      child.stdin.write(`${text}\n`);
    },
  };
}

// Screenshots for the docs, written only when QRLOGIN_SCREENSHOT_DIR is set.
// `upTo`: the shot goes from the top of the page down to this element's end.
export async function shoot(page, name, { upTo = '' } = {}) {
  const dir = process.env.QRLOGIN_SCREENSHOT_DIR || '';
  if (!dir) return;
  mkdirSync(dir, { recursive: true });
  const options = { path: path.join(dir, name), animations: 'disabled', caret: 'hide' };
  if (upTo) {
    const bottom = await page.locator(upTo).evaluate((el) => el.getBoundingClientRect().bottom + window.scrollY + 16);
    const width = page.viewportSize().width;
    Object.assign(options, { fullPage: true, clip: { x: 0, y: 0, width, height: Math.ceil(bottom) } });
  }
  await page.screenshot(options);
}

// Tabs until the element with this id has focus (keyboard only).
export async function tabTo(page, id, max = 40) {
  for (let i = 0; i < max; i += 1) {
    await page.keyboard.press('Tab');
    if (await page.evaluate((want) => document.activeElement?.id === want, id)) return;
  }
  throw new Error(`#${id} cannot be reached with Tab`);
}

// The API as the page's own browser context sees it (its cookie, its
// Origin), with `headers` added.
export const fetchIn = (page, method, url, body, headers = {}) => page.evaluate(async ({ method: m, url: u, body: b, headers: h }) => {
  const init = { method: m, credentials: 'same-origin', headers: { ...h } };
  if (b !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(b);
  }
  const response = await fetch(u, init);
  return { status: response.status, body: await response.json().catch(() => null) };
}, { method, url, body, headers });
