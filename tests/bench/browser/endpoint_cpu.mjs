// What a pairing costs each endpoint in Chromium (docs/benchmarks.md,
// "Endpoint CPU: a QR pairing against a typed-code pairing"), beside the
// C++ figures of tests/bench/endpoint/endpoint_cpu.cpp: complete pairings
// in one page with the machines of web/src (endpoint_cpu_page.mjs), QR and
// code alternating in R rounds, medians, code/QR per side.
//
//   node tests/bench/browser/endpoint_cpu.mjs [--quick] [--pairings N] [--rounds R]
//
// Figures per pairing: each side's time inside its awaited calls
// (performance.now(), in a cross-origin isolated page: 5 us steps; wall
// time, so a loaded machine inflates it), and the CPU of a batch, both
// sides together, from the DevTools protocol's Performance.getMetrics: the
// renderer process's (ProcessTime, in 10 ms ticks, WebCrypto's threads
// included) and its main thread's (ThreadTime). Playwright serves the page
// from the files the application embeds (web/src, and the @noble packages
// of node_modules, which web/app vendors unchanged): no build is needed.
// Prints `metric`, `ratio` and `note` lines (../shared/design/benchmarks.md)
// and exits non-zero when a pairing fails or a figure is not a positive
// number; --quick (20 pairings) is the smoke test.
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../../browser/harness.mjs';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
// Never contacted: Playwright answers every request to it. Loopback, so
// the page is a secure context (WebCrypto).
const ORIGIN = 'http://127.0.0.1:9';
const SERVED = [
  ['/bench/', path.join(ROOT, 'tests/bench/browser/')],
  ['/src/', path.join(ROOT, 'web/src/')],
  ['/vendor/@noble/', path.join(ROOT, 'node_modules/@noble/')],
];
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8' };
// Cross-origin isolation gives performance.now() 5 us steps instead of 100 us.
const ISOLATION = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };

const WARM_UP_PAIRINGS = 300; // of each kind, before the measured rounds

function parseArgs(argv) {
  const options = { pairings: 200, rounds: 5, quick: false };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    // 20: enough CPU per batch to pass ProcessTime's 10 ms ticks.
    if (arg === '--quick') Object.assign(options, { pairings: 20, rounds: 1, quick: true });
    else if (arg === '--pairings' && i + 1 < argv.length) options.pairings = Math.max(1, Number.parseInt(argv[++i], 10) || 1);
    else if (arg === '--rounds' && i + 1 < argv.length) options.rounds = Math.max(1, Number.parseInt(argv[++i], 10) || 1);
    else {
      process.stderr.write('usage: node tests/bench/browser/endpoint_cpu.mjs [--quick] [--pairings N] [--rounds R]\n');
      process.exit(2);
    }
  }
  return options;
}

async function serveFiles(route) {
  const { pathname } = new URL(route.request().url());
  const served = SERVED.find(([prefix]) => pathname.startsWith(prefix));
  const file = served && path.join(served[1], pathname.slice(served[0].length));
  if (!file || !file.startsWith(served[1])) return route.fulfill({ status: 404, body: '' });
  try {
    const body = await readFile(file);
    return route.fulfill({ status: 200, body, headers: { 'Content-Type': TYPES[path.extname(file)] ?? 'application/octet-stream', ...ISOLATION } });
  } catch {
    return route.fulfill({ status: 404, body: '' });
  }
}

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

async function rendererMetrics(cdp) {
  const { metrics } = await cdp.send('Performance.getMetrics');
  const byName = Object.fromEntries(metrics.map((m) => [m.name, m.value]));
  return { processMs: byName.ProcessTime * 1000, threadMs: byName.ThreadTime * 1000 };
}

// One batch of `count` pairings of `kind`, per pairing in microseconds.
async function measure(page, cdp, kind, count) {
  const before = await rendererMetrics(cdp);
  const sides = await page.evaluate(({ k, n }) => globalThis.endpointBench.batch(k, n), { k: kind, n: count });
  const after = await rendererMetrics(cdp);
  const per = (ms) => (ms * 1000) / count;
  return {
    receiver: per(sides.receiverMs),
    sender: per(sides.senderMs),
    process: per(after.processMs - before.processMs),
    thread: per(after.threadMs - before.threadMs),
  };
}

async function main() {
  const { pairings, rounds, quick } = parseArgs(process.argv.slice(2));
  const browser = await launchBrowser();
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (e) => problems.push(e.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    await page.route(`${ORIGIN}/**`, serveFiles);
    await page.goto(`${ORIGIN}/bench/endpoint_cpu.html`);
    await page.waitForFunction(() => globalThis.endpointBench, null, { timeout: 20_000 })
      .catch(() => { throw new Error(`the bench page did not load: ${problems.join('; ')}`); });
    const clock = await page.evaluate(() => globalThis.endpointBench.clock);
    if (!clock.secureContext) throw new Error('the bench page is not a secure context');
    const cdp = await page.context().newCDPSession(page);
    await cdp.send('Performance.enable', { timeDomain: 'threadTicks' });

    // Warm up: the modules compiled, WebCrypto's threads started, and V8
    // done optimising @noble/curves' BigInt arithmetic, which takes a few
    // hundred code pairings (the first rounds ran up to half slower).
    const warm = quick ? 2 : Math.max(WARM_UP_PAIRINGS, Math.floor(pairings / 10));
    await measure(page, cdp, 'qr', warm);
    await measure(page, cdp, 'code', warm);
    const rows = { qr: [], code: [] };
    for (let round = 0; round < rounds; round += 1) {
      rows.qr.push(await measure(page, cdp, 'qr', pairings));
      rows.code.push(await measure(page, cdp, 'code', pairings));
    }
    const figure = (kind, key) => median(rows[kind].map((r) => r[key]));
    const lines = [];
    const bad = [];
    for (const [key, name] of [['receiver', 'wall_us_per_pairing_receiver'], ['sender', 'wall_us_per_pairing_sender'],
      ['process', 'renderer_cpu_us_per_pairing_both'], ['thread', 'main_thread_cpu_us_per_pairing_both']]) {
      for (const kind of ['qr', 'code']) {
        const value = figure(kind, key);
        if (!(Number.isFinite(value) && value > 0)) bad.push(`${name} ${kind} = ${value}`);
        lines.push(`metric endpoint_browser.${name} ${kind} ${value.toFixed(1)} us`);
      }
      lines.push(`ratio endpoint_browser.${name} code/qr ${(figure('code', key) / figure('qr', key)).toFixed(3)}`);
    }
    lines.push(`note ${pairings} pairings of each kind per round, ${rounds} rounds, after ${warm} of each; medians; web/src machines in one `
      + `Chromium ${browser.version()} page; crossOriginIsolated ${clock.crossOriginIsolated}${quick ? '; --quick' : ''}`);
    process.stdout.write(`${lines.join('\n')}\n`);
    if (problems.length) bad.push(`page errors: ${problems.join('; ')}`);
    if (bad.length) {
      process.stderr.write(`endpoint_cpu browser bench: not sane: ${bad.join('; ')}\n`);
      process.exitCode = 1;
    }
  } finally {
    await browser.close();
  }
}

main().catch((e) => {
  process.stderr.write(`endpoint_cpu browser bench: ${e.stack ?? e}\n`);
  process.exit(1);
});
