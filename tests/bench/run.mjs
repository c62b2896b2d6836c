// tests/bench/run [--quick|--full]: the relay benchmarks of
// ../shared/design/benchmarks.md (see docs/benchmarks.md). Runs every scenario
// against qrlogin-relay (--profile bench), the Node `ws` baseline and the raw
// floor in the same run, the relay pinned to one core and the load generator
// to another, and prints `metric` and `ratio` lines. --quick is the smoke test
// (correctness only: every frame checked, zero errors; no speed asserted).
//
// Flags: --quick | --full (default full)
//        --relay BIN --loadgen BIN --floor BIN   use these binaries (no build)
//        --build-dir DIR   release build tree (default build/bench-release)
//        --plot FILE       SVG of pairing latency against offered load
//                          (full mode; default docs/bench-pairing-latency.svg)
//        --json FILE       also write every figure as JSON
//        --only LIST       run only these scenarios (comma-separated: pairing,
//                          sweep, forward_if1, forward, idle, churn, slow, cluster,
//                          wss_idle, wss_pairing)
//        --impls LIST      run only these implementations (qrlogin,ws,floor;
//                          the TLS scenarios: qrlogin,ws,nginx)
//        --relay-old BIN   the TLS scenarios also run this relay binary (row
//                          qrlogin_old: before/after in one run), and so
//                          does every round of the cluster scenario
import { spawn, spawnSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import net from 'node:net';
import { cpus, tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import readline from 'node:readline';

const here = path.dirname(fileURLToPath(import.meta.url));
const root = path.resolve(here, '../..');

const args = process.argv.slice(2);
const opt = { mode: 'full', relay: null, loadgen: null, floor: null, buildDir: path.join(root, 'build/bench-release'),
  plot: path.join(root, 'docs/bench-pairing-latency.svg'), json: null, only: null, impls: null };
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--quick') opt.mode = 'quick';
  else if (a === '--full') opt.mode = 'full';
  else if (a === '--relay') opt.relay = args[++i];
  else if (a === '--loadgen') opt.loadgen = args[++i];
  else if (a === '--floor') opt.floor = args[++i];
  else if (a === '--build-dir') opt.buildDir = path.resolve(args[++i]);
  else if (a === '--plot') opt.plot = path.resolve(args[++i]);
  else if (a === '--json') opt.json = path.resolve(args[++i]);
  else if (a === '--only') opt.only = new Set(args[++i].split(','));
  else if (a === '--impls') opt.impls = args[++i].split(',');
  else if (a === '--relay-old') opt.relayOld = path.resolve(args[++i]);
  else { console.error(`run: unknown flag ${a}`); process.exit(2); }
}
const quick = opt.mode === 'quick';
const started = Date.now();
const log = (...m) => console.error(`[bench ${((Date.now() - started) / 1000).toFixed(1)}s]`, ...m);

// ---- build ---------------------------------------------------------------
if (!opt.relay || !opt.loadgen || !opt.floor) {
  const cfg = ['-S', root, '-B', opt.buildDir, '-G', 'Ninja', '-DCMAKE_BUILD_TYPE=Release', '-DQRLOGIN_TESTS=ON'];
  if (!existsSync(path.join(opt.buildDir, 'CMakeCache.txt'))) {
    log('configuring', opt.buildDir);
    const r = spawnSync('cmake', cfg, { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) process.exit(1);
  }
  log('building qrlogin-relay, qrlogin-bench-loadgen, qrlogin-bench-floor (release)');
  const b = spawnSync('cmake', ['--build', opt.buildDir, '--target', 'qrlogin-relay', 'qrlogin-bench-loadgen', 'qrlogin-bench-floor'],
    { stdio: ['ignore', 'ignore', 'inherit'] });
  if (b.status !== 0) process.exit(1);
  opt.relay ??= path.join(opt.buildDir, 'relay/qrlogin-relay');
  opt.loadgen ??= path.join(opt.buildDir, 'tests/bench/qrlogin-bench-loadgen');
  opt.floor ??= path.join(opt.buildDir, 'tests/bench/qrlogin-bench-floor');
}

const ncpu = cpus().length;
const relayCore = '0';
const genCore = ncpu > 1 ? '1' : '0';
const hasTaskset = spawnSync('taskset', ['-c', '0', 'true']).status === 0;
const pin = (core, cmd) => (hasTaskset ? ['taskset', ['-c', core, ...cmd]] : [cmd[0], cmd.slice(1)]);
const CLK_TCK = Number(spawnSync('getconf', ['CLK_TCK']).stdout?.toString().trim()) || 100;

const IMPLS = {
  qrlogin: () => [opt.relay, '--profile', 'bench', '--listen', '127.0.0.1:0', '--metrics-listen', 'off', '--log-level', 'warn'],
  ws: () => [process.execPath, path.join(here, 'ws-relay/relay.mjs'), '--listen', '127.0.0.1:0', '--max-seconds', '900'],
  floor: () => [opt.floor, '--listen', '127.0.0.1:0', '--max-seconds', '900'],
};
const ORDER = ['qrlogin', 'ws', 'floor'].filter((i) => !opt.impls || opt.impls.includes(i));
// The TLS rows: the relay's own TLS (and the old binary's, --relay-old), Node
// `ws` over https, the relay (plain) behind nginx terminating TLS.
// nginx is optional (scripts/install-deps installs it): without it its row
// is skipped, as the cluster scenario is without Redis.
const hasNginx = spawnSync('nginx', ['-v']).status === 0;
const TLS_ORDER = ['qrlogin', ...(opt.relayOld ? ['qrlogin_old'] : []), 'ws', ...(hasNginx ? ['nginx'] : [])]
  .filter((i) => !opt.impls || opt.impls.includes(i) || (i === 'qrlogin_old' && opt.impls.includes('qrlogin')));
if (!ORDER.length && !TLS_ORDER.length) { console.error('run: --impls names none of qrlogin,ws,floor,nginx'); process.exit(2); }
const SCENARIOS = ['pairing', 'sweep', 'forward_if1', 'forward', 'idle', 'churn', 'slow', 'cluster', 'wss_idle', 'wss_pairing'];
for (const sc of opt.only ?? []) if (!SCENARIOS.includes(sc)) { console.error(`run: unknown scenario ${sc}`); process.exit(2); }
const wanted = (sc) => !opt.only || opt.only.has(sc);

// ---- processes -------------------------------------------------------------
const children = new Set();
function killAll() { for (const c of children) { try { c.kill('SIGKILL'); } catch { /* gone */ } } }
process.on('exit', killAll);
for (const s of ['SIGINT', 'SIGTERM']) process.on(s, () => { killAll(); process.exit(130); });
const watchdog = setTimeout(() => { log('FAIL: the whole run took too long'); killAll(); process.exit(1); },
  (quick ? 150 : 1500) * 1000);
watchdog.unref();

function startServer(impl, command = IMPLS[impl]()) {
  return new Promise((resolve, reject) => {
    const [cmd, argv] = pin(relayCore, command);
    const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
    children.add(child);
    let stderr = '';
    child.stderr.on('data', (d) => { if (stderr.length < 8000) stderr += d; });
    const timer = setTimeout(() => { child.kill('SIGKILL'); reject(new Error(`${impl}: no listening line`)); }, 10000);
    const rl = readline.createInterface({ input: child.stdout });
    rl.on('line', (line) => {
      const m = /"event":"listening".*?"port":(\d+)/.exec(line);
      if (m) { clearTimeout(timer); resolve({ impl, child, pid: child.pid, port: Number(m[1]), stderr: () => stderr }); }
    });
    child.on('exit', (code) => { children.delete(child); clearTimeout(timer); reject(new Error(`${impl} exited (${code}): ${stderr}`)); });
  });
}

async function stopServer(s) {
  if (s.child.exitCode !== null || s.child.signalCode !== null) return;
  const done = new Promise((r) => s.child.once('exit', r));
  s.child.kill('SIGTERM');
  const t = setTimeout(() => s.child.kill('SIGKILL'), 5000);
  await done;
  clearTimeout(t);
}

function cpuSeconds(pid) {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return (Number(f[11]) + Number(f[12])) / CLK_TCK;  // utime + stime (fields 14, 15)
}
function rssKb(pid) {
  const m = /VmRSS:\s+(\d+)/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return m ? Number(m[1]) : 0;
}
function slabKb() {
  const m = /Slab:\s+(\d+)/.exec(readFileSync('/proc/meminfo', 'utf8'));
  return m ? Number(m[1]) : 0;
}
function tcpMemKb() {
  const m = /TCP:.*mem (\d+)/.exec(readFileSync('/proc/net/sockstat', 'utf8'));
  return m ? Number(m[1]) * 4 : 0;
}

// Runs the generator; resolves with its result line. `onReady` gets the
// ready line of the idle scenario and returns a promise; then stdin closes.
// `program`: another generator with the same output (the wss client).
function runGen(port, scenarioArgs, { timeoutS = 120, onReady = null, id = 0, program = null } = {}) {
  return new Promise((resolve) => {
    const base = program ?? [opt.loadgen, '--id', String(id)];
    const [cmd, argv] = pin(genCore, [...base, '--port', String(port), ...scenarioArgs]);
    const child = spawn(cmd, argv, { stdio: ['pipe', 'pipe', 'pipe'] });
    children.add(child);
    let result = null;
    let stderr = '';
    child.stderr.on('data', (d) => { if (stderr.length < 4000) stderr += d; });
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutS * 1000);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      let j;
      try { j = JSON.parse(line); } catch { return; }
      if (j.event === 'ready') {
        (onReady ? onReady(j) : Promise.resolve()).then(() => child.stdin.end());
      } else if (j.event === 'result') result = j;
    });
    child.on('exit', (code) => {
      children.delete(child);
      clearTimeout(timer);
      resolve(result ?? { ok: false, errors: 1, error_kinds: { [`loadgen_exit_${code}`]: 1 }, stderr });
    });
  });
}

// ---- output ----------------------------------------------------------------
const figures = {};  // `${scenario}.${name}` -> { impl: { value, unit } }
const failures = [];
function metric(name, impl, value, unit) {
  if (value === null || value === undefined || Number.isNaN(value)) return;
  (figures[name] ??= {})[impl] = { value, unit };
  const v = Math.abs(value) >= 100 ? value.toFixed(0) : Math.abs(value) >= 1 ? value.toFixed(2) : value.toFixed(3);
  console.log(`metric ${name} ${impl} ${v} ${unit}`);
}
function ratio(name, baseline) {
  const f = figures[name];
  if (!f?.qrlogin || !f?.[baseline] || !f[baseline].value) return;
  console.log(`ratio ${name} qrlogin/${baseline} ${(f.qrlogin.value / f[baseline].value).toFixed(3)}`);
}
function check(impl, scenario, r) {
  if (!r.ok || r.errors) {
    failures.push(`${scenario} ${impl}: ${JSON.stringify(r.error_kinds)}`);
    log(`FAIL ${scenario} ${impl}: ${JSON.stringify(r.error_kinds)}`);
  }
}

// Runs `body(server)` against a fresh server of `impl`; measures the relay's
// CPU time over the body.
async function withServer(impl, body) {
  const s = await startServer(impl);
  try {
    return await body(s);
  } finally {
    await stopServer(s);
  }
}
async function measured(s, fn) {
  const c0 = cpuSeconds(s.pid);
  const t0 = process.hrtime.bigint();
  const r = await fn();
  const wall = Number(process.hrtime.bigint() - t0) / 1e9;
  const cpu = cpuSeconds(s.pid) - c0;
  return { r, cpu, wall, util: (100 * cpu) / wall };
}

// ---- scenarios -------------------------------------------------------------
const P = quick
  ? { pairDur: 1.5, pairConc: 8, latDur: 1, fwdDur: 1, fwdChannels: 8, idleConns: 200, idleProcs: 1, churnWarm: 0.5, churnDur: 1.5, sweep: [],
    clusterDur: 1.5, clusterRounds: 1 }
  : { pairDur: 5, pairConc: 64, latDur: 5, fwdDur: 5, fwdChannels: 64, idleConns: 18000, idleProcs: 2, churnWarm: 3, churnDur: 12,
    sweep: [0.1, 0.25, 0.5, 0.75, 0.9], clusterDur: 5, clusterRounds: 5 };
// The TLS scenarios: fewer connections (each is a full handshake by a Node
// client, the slow side here).
const PT = quick ? { idleConns: 100, pairDur: 1.5, pairConc: 4 } : { idleConns: 2000, pairDur: 5, pairConc: 16 };

const sat = {};

async function scenarioPairing() {
  for (const impl of ORDER) {
    await withServer(impl, async (s) => {
      const m = await measured(s, () => runGen(s.port, ['--scenario', 'pairing', '--concurrency', String(P.pairConc), '--duration', String(P.pairDur)]));
      check(impl, 'pairing', m.r);
      sat[impl] = { pairing: m.r.per_s };
      metric('pairing.pairings_per_s', impl, m.r.per_s, '/s');
      metric('pairing.cpu_us_per_pairing', impl, (1e6 * m.cpu) / Math.max(1, m.r.completed), 'us');
      metric('pairing.relay_cpu_util', impl, m.util, '%');
      // Latency at half of this relay's own saturation rate, open loop.
      const rate = quick ? 100 : Math.max(10, m.r.per_s / 2);
      const l = await measured(s, () => runGen(s.port, ['--scenario', 'pairing', '--rate', rate.toFixed(1), '--duration', String(P.latDur)]));
      check(impl, 'pairing-latency', l.r);
      metric('pairing.half_load_rate', impl, rate, '/s');
      metric('pairing.p50_ms_half_load', impl, l.r.p50_us / 1000, 'ms');
      metric('pairing.p99_ms_half_load', impl, l.r.p99_us / 1000, 'ms');
      metric('pairing.p999_ms_half_load', impl, l.r.p999_us / 1000, 'ms');
      metric('pairing.half_load_relay_cpu_util', impl, l.util, '%');
    });
  }
  for (const n of ['pairings_per_s', 'cpu_us_per_pairing', 'p99_ms_half_load']) { ratio(`pairing.${n}`, 'ws'); ratio(`pairing.${n}`, 'floor'); }
}

const sweepPoints = { qrlogin: [], ws: [] };
async function scenarioSweep() {
  if (!P.sweep.length) return;
  const base = sat.qrlogin?.pairing ?? 1000;
  for (const impl of ['qrlogin', 'ws'].filter((i) => ORDER.includes(i))) {
    await withServer(impl, async (s) => {
      for (const frac of P.sweep) {
        const rate = base * frac;
        const l = await measured(s, () => runGen(s.port, ['--scenario', 'pairing', '--rate', rate.toFixed(1), '--duration', '3']));
        check(impl, `pairing-sweep-${frac}`, l.r);
        sweepPoints[impl].push({ rate, achieved: l.r.completed / 3, p50: l.r.p50_us / 1000, p99: l.r.p99_us / 1000, util: l.util });
        log(`sweep ${impl} ${rate.toFixed(0)}/s p50 ${(l.r.p50_us / 1000).toFixed(2)} ms p99 ${(l.r.p99_us / 1000).toFixed(2)} ms relay ${l.util.toFixed(0)}%`);
      }
    });
  }
  writePlot();
}

async function scenarioForward(inflight) {
  const sc = inflight === 1 ? 'forward_if1' : 'forward';
  for (const impl of ORDER) {
    await withServer(impl, async (s) => {
      const m = await measured(s, () => runGen(s.port, ['--scenario', 'forward', '--channels', String(P.fwdChannels), '--inflight', String(inflight), '--duration', String(P.fwdDur)]));
      check(impl, sc, m.r);
      const frames = m.r.frames_recv;
      metric(`${sc}.frames_per_s`, impl, m.r.per_s, '/s');
      metric(`${sc}.cpu_us_per_frame`, impl, (1e6 * m.cpu) / Math.max(1, frames), 'us');
      metric(`${sc}.frames_per_relay_cpu_s`, impl, frames / Math.max(1e-9, m.cpu), '/s');
      metric(`${sc}.relay_cpu_util`, impl, m.util, '%');
      metric(`${sc}.p99_ms_closed_loop`, impl, m.r.p99_us / 1000, 'ms');
      if (inflight !== 1) {
        const rate = quick ? 2000 : Math.max(100, m.r.per_s / 2);
        const l = await measured(s, () => runGen(s.port, ['--scenario', 'forward', '--channels', String(P.fwdChannels), '--rate', rate.toFixed(0), '--duration', String(P.latDur)]));
        check(impl, 'forward-latency', l.r);
        metric('forward.half_load_rate', impl, rate, '/s');
        metric('forward.p50_ms_half_load', impl, l.r.p50_us / 1000, 'ms');
        metric('forward.p99_ms_half_load', impl, l.r.p99_us / 1000, 'ms');
        metric('forward.p999_ms_half_load', impl, l.r.p999_us / 1000, 'ms');
        metric('forward.half_load_relay_cpu_util', impl, l.util, '%');
      }
    });
  }
  for (const n of ['frames_per_s', 'cpu_us_per_frame', 'frames_per_relay_cpu_s']) { ratio(`${sc}.${n}`, 'ws'); ratio(`${sc}.${n}`, 'floor'); }
  if (inflight !== 1) { ratio('forward.p99_ms_half_load', 'ws'); ratio('forward.p99_ms_half_load', 'floor'); }
}

async function scenarioIdle() {
  for (const impl of ORDER) {
    await withServer(impl, async (s) => {
      await new Promise((r) => setTimeout(r, 300));
      const rss0 = rssKb(s.pid);
      const tcp0 = tcpMemKb();
      const slab0 = slabKb();
      const per = Math.floor(P.idleConns / P.idleProcs);
      let readyCount = 0;
      let release;
      const allReady = new Promise((r) => { release = r; });
      let peak = null;
      const onReady = async () => {
        if (++readyCount === P.idleProcs) {
          await new Promise((r) => setTimeout(r, 500));
          peak = { rss: rssKb(s.pid), tcp: tcpMemKb(), slab: slabKb() };
          release();
        }
        await allReady;
      };
      const t0 = Date.now();
      const rs = await Promise.all(Array.from({ length: P.idleProcs }, (_, i) =>
        runGen(s.port, ['--scenario', 'idle', '--connections', String(per), '--hold', '120'], { onReady, id: 1000 + i, timeoutS: 300 })));
      let conns = 0;
      for (const r of rs) { check(impl, 'idle', r); conns += r.connections ?? 0; }
      if (!peak || conns === 0) return;
      metric('idle.connections', impl, conns, 'conn');
      metric('idle.rss_kb_per_conn', impl, (peak.rss - rss0) / conns, 'KB');
      metric('idle.rss_mb_total', impl, peak.rss / 1024, 'MB');
      // Machine-wide, both loopback ends, others' activity included: context only.
      metric('idle.kernel_tcp_buffers_kb_per_conn', impl, (peak.tcp - tcp0) / conns, 'KB');
      metric('idle.kernel_slab_kb_per_conn', impl, (peak.slab - slab0) / conns, 'KB');
      metric('idle.ramp_s', impl, Math.max(...rs.map((r) => r.ramp_s ?? 0)), 's');
      log(`idle ${impl}: ${conns} connections in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    });
  }
  ratio('idle.rss_kb_per_conn', 'ws');
  ratio('idle.rss_kb_per_conn', 'floor');
}

async function scenarioChurn() {
  for (const impl of ORDER) {
    await withServer(impl, async (s) => {
      const w = await runGen(s.port, ['--scenario', 'churn', '--concurrency', '32', '--duration', String(P.churnWarm)]);
      check(impl, 'churn-warmup', w);
      const before = rssKb(s.pid);
      const m = await measured(s, () => runGen(s.port, ['--scenario', 'churn', '--concurrency', '32', '--duration', String(P.churnDur)], { id: 7 }));
      check(impl, 'churn', m.r);
      await new Promise((r) => setTimeout(r, 300));
      const after = rssKb(s.pid);
      metric('churn.pairings', impl, m.r.completed, 'pairings');
      metric('churn.errors', impl, m.r.errors + w.errors, 'errors');
      metric('churn.rss_before_mb', impl, before / 1024, 'MB');
      metric('churn.rss_after_mb', impl, after / 1024, 'MB');
      metric('churn.rss_growth_pct', impl, (100 * (after - before)) / before, '%');
    });
  }
}

async function scenarioSlow() {
  for (const impl of ORDER) {
    await withServer(impl, async (s) => {
      const rss0 = rssKb(s.pid);
      let peak = rss0;
      const sampler = setInterval(() => { try { peak = Math.max(peak, rssKb(s.pid)); } catch { /* gone */ } }, 20);
      const r = await runGen(s.port, ['--scenario', 'slow', '--duration', '20', '--flood-bytes', String(80 << 20)]);
      clearInterval(sampler);
      peak = Math.max(peak, rssKb(s.pid));
      check(impl, 'slow', r);
      metric('slow.flooded_mb_before_close', impl, r.bytes_sent / 1048576, 'MB');
      metric('slow.rss_growth_mb', impl, (peak - rss0) / 1024, 'MB');
      metric('slow.flooder_closed_too_large', impl, r.code === 'too_large' ? 1 : 0, 'bool');
    });
  }
}

// ---- plot ------------------------------------------------------------------
function writePlot() {
  const series = [
    { impl: 'qrlogin', key: 'p99', color: '#1565c0', dash: '' },
    { impl: 'qrlogin', key: 'p50', color: '#1565c0', dash: '6,4' },
    { impl: 'ws', key: 'p99', color: '#c62828', dash: '' },
    { impl: 'ws', key: 'p50', color: '#c62828', dash: '6,4' },
  ];
  const pts = [...sweepPoints.qrlogin, ...sweepPoints.ws];
  if (!pts.length) return;
  const W = 720, H = 440, L = 70, R = 170, T = 40, B = 60;
  const xmax = Math.max(...pts.map((p) => p.rate)) * 1.05;
  const vals = pts.flatMap((p) => [p.p50, p.p99]).filter((v) => v > 0);
  const ymin = 10 ** Math.floor(Math.log10(Math.min(...vals)));
  const ymax = 10 ** Math.ceil(Math.log10(Math.max(...vals)));
  const x = (v) => L + ((W - L - R) * v) / xmax;
  const y = (v) => T + (H - T - B) * (1 - (Math.log10(Math.max(v, ymin)) - Math.log10(ymin)) / (Math.log10(ymax) - Math.log10(ymin)));
  const out = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif" font-size="12">`);
  out.push(`<rect width="${W}" height="${H}" fill="white"/>`);
  out.push(`<text x="${L}" y="22" font-size="14">Pairing latency against offered load (open loop; loopback, relay and generator on one core each)</text>`);
  for (let d = ymin; d <= ymax * 1.0001; d *= 10) {
    out.push(`<line x1="${L}" x2="${W - R}" y1="${y(d)}" y2="${y(d)}" stroke="#ddd"/>`);
    out.push(`<text x="${L - 6}" y="${y(d) + 4}" text-anchor="end">${d >= 1 ? d : d.toPrecision(1)} ms</text>`);
  }
  const step = 10 ** Math.floor(Math.log10(xmax / 2));
  for (let v = 0; v <= xmax; v += step * (xmax / step > 6 ? 2 : 1)) {
    out.push(`<line x1="${x(v)}" x2="${x(v)}" y1="${T}" y2="${H - B}" stroke="#eee"/>`);
    out.push(`<text x="${x(v)}" y="${H - B + 16}" text-anchor="middle">${Math.round(v)}</text>`);
  }
  out.push(`<text x="${(L + W - R) / 2}" y="${H - 18}" text-anchor="middle">offered load (pairings/s)</text>`);
  out.push(`<rect x="${L}" y="${T}" width="${W - L - R}" height="${H - T - B}" fill="none" stroke="#333"/>`);
  series.forEach((s, i) => {
    const p = sweepPoints[s.impl];
    if (!p.length) return;
    const d = p.map((q, j) => `${j ? 'L' : 'M'}${x(q.rate).toFixed(1)},${y(q[s.key]).toFixed(1)}`).join(' ');
    out.push(`<path d="${d}" fill="none" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`);
    for (const q of p) out.push(`<circle cx="${x(q.rate).toFixed(1)}" cy="${y(q[s.key]).toFixed(1)}" r="3" fill="${s.color}"/>`);
    const ly = T + 16 + i * 18;
    out.push(`<line x1="${W - R + 12}" x2="${W - R + 40}" y1="${ly - 4}" y2="${ly - 4}" stroke="${s.color}" stroke-width="2" stroke-dasharray="${s.dash}"/>`);
    out.push(`<text x="${W - R + 46}" y="${ly}">${s.impl === 'ws' ? 'Node ws' : 'qrlogin'} ${s.key}</text>`);
  });
  out.push('</svg>');
  writeFileSync(opt.plot, `${out.join('\n')}\n`);
  log(`plot written to ${path.relative(root, opt.plot)}`);
}

// ---- cluster ------------------------------------------------------------------
// Two qrlogin nodes on one redis-server (all on the relay's core), receivers
// on node A and senders on node B: the cost of a pairing through the
// cluster, as a ratio to one in-memory node measured here with the same
// load. Skipped (with a line saying so) when redis-server is not installed.
function freePort() {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
  });
}

async function startRedis(dir) {
  const port = await freePort();
  const [cmd, argv] = pin(relayCore, ['redis-server', '--port', String(port), '--bind', '127.0.0.1', '--save', '',
    '--appendonly', 'no', '--dir', dir, '--maxmemory-policy', 'noeviction']);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'] });
  children.add(child);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start')), 10000);
    readline.createInterface({ input: child.stdout }).on('line', (line) => {
      if (/Ready to accept connections/.test(line)) { clearTimeout(timer); resolve(); }
    });
    child.on('exit', (code) => { children.delete(child); clearTimeout(timer); reject(new Error(`redis-server exited (${code})`)); });
  });
  return { child, pid: child.pid, port };
}

// Redis's own count of the scripts and commands it ran (INFO commandstats),
// so the cost per pairing is counted, not guessed.
function redisCommandCounts(port) {
  const out = spawnSync('redis-cli', ['-p', String(port), 'INFO', 'commandstats'], { encoding: 'utf8' });
  const counts = { scripts: 0, commands: 0 };
  if (out.status !== 0) return null;
  for (const m of out.stdout.matchAll(/^cmdstat_([a-z|_-]+):calls=(\d+)/gm)) {
    const calls = Number(m[2]);
    counts.commands += calls;
    if (['fcall', 'evalsha', 'eval'].includes(m[1])) counts.scripts += calls;  // functions, or scripts of older builds
  }
  return counts;
}

// Two nodes of `relay` (the binary; `impl` names it in a failed check) on a
// fresh redis-server, receivers on node A and senders on node B: their
// figures per pairing.
async function clusterRun(relay, impl, load) {
  const dir = mkdtempSync(path.join(tmpdir(), 'qrlogin-bench-'));
  const keyFile = path.join(dir, 'names.key');
  writeFileSync(keyFile, randomBytes(32).toString('base64'), { mode: 0o600 });
  const redis = await startRedis(dir);
  const nodes = [];
  try {
    const nodeCommand = [relay, ...IMPLS.qrlogin().slice(1), '--redis', `redis://127.0.0.1:${redis.port}`, '--redis-key-file', keyFile];
    nodes.push(await startServer('qrlogin', nodeCommand), await startServer('qrlogin', nodeCommand));
    const cpuNodes = () => cpuSeconds(nodes[0].pid) + cpuSeconds(nodes[1].pid);
    const n0 = cpuNodes();
    const r0 = cpuSeconds(redis.pid);
    const c0 = redisCommandCounts(redis.port);
    const r = await runGen(nodes[0].port, [...load, '--sender-port', String(nodes[1].port)]);
    const nodesCpu = cpuNodes() - n0;
    const redisCpu = cpuSeconds(redis.pid) - r0;
    const c1 = redisCommandCounts(redis.port);
    check(impl, 'cluster', r);
    const done = Math.max(1, r.completed);
    const per = (cpu) => (1e6 * cpu) / done;
    return {
      per_s: r.per_s, cpu: per(nodesCpu), redis: per(redisCpu), total: per(nodesCpu + redisCpu), p99: r.p99_us / 1000,
      // Heartbeats and liveness checks count too: they are part of the cost.
      scripts: c0 && c1 ? (c1.scripts - c0.scripts) / done : null,
      calls: c0 && c1 ? (c1.commands - c0.commands) / done : null, // the functions' own calls included
    };
  } finally {
    for (const n of nodes) await stopServer(n);
    await stopServer(redis);
    rmSync(dir, { recursive: true, force: true });
  }
}

// One round: the in-memory node, then the cluster (and the old binary's
// cluster, with --relay-old), back to back, with the same load.
async function clusterRound(load) {
  const single = await withServer('qrlogin', (s) => measured(s, () => runGen(s.port, load)));
  check('single', 'cluster-baseline', single.r);
  const round = {
    single: { per_s: single.r.per_s, cpu: (1e6 * single.cpu) / Math.max(1, single.r.completed), p99: single.r.p99_us / 1000 },
    cluster: await clusterRun(opt.relay, 'qrlogin', load),
  };
  if (opt.relayOld) round.old = await clusterRun(opt.relayOld, 'qrlogin_old', load);
  return round;
}

const median = (xs) => {
  const v = xs.filter((x) => x !== null).sort((a, b) => a - b);
  if (v.length === 0) return null;
  return v.length % 2 ? v[(v.length - 1) / 2] : (v[v.length / 2 - 1] + v[v.length / 2]) / 2;
};

// The machine's noise moves one run's figures by tens of percent (the
// single node's own CPU per pairing, 245-350 us in three runs of one
// afternoon), so full mode runs several rounds and reports each figure's
// median; each ratio is the median of the rounds' own ratios, a cluster
// run against the baseline run just before it.
async function scenarioCluster() {
  if (!ORDER.includes('qrlogin')) return;
  if (spawnSync('redis-server', ['--version']).status !== 0) {
    log('cluster: redis-server is not installed (scripts/install-deps --cluster): skipped');
    return;
  }
  const load = ['--scenario', 'pairing', '--concurrency', String(P.pairConc), '--duration', String(P.clusterDur)];
  const rounds = [];
  for (let i = 0; i < P.clusterRounds; i++) rounds.push(await clusterRound(load));
  const m = (pick) => median(rounds.map(pick));
  const mr = (a, b) => median(rounds.map((x) => a(x) / b(x)));
  log(`cluster: ${rounds.length} rounds; total CPU per pairing, cluster/single, by round: ${rounds.map((x) => (x.cluster.total / x.single.cpu).toFixed(3)).join(', ')}`);
  metric('cluster.pairings_per_s', 'single', m((x) => x.single.per_s), '/s');
  metric('cluster.pairings_per_s', 'qrlogin', m((x) => x.cluster.per_s), '/s');
  metric('cluster.cpu_us_per_pairing', 'single', m((x) => x.single.cpu), 'us');
  metric('cluster.cpu_us_per_pairing', 'qrlogin', m((x) => x.cluster.cpu), 'us');
  metric('cluster.redis_cpu_us_per_pairing', 'qrlogin', m((x) => x.cluster.redis), 'us');
  metric('cluster.redis_scripts_per_pairing', 'qrlogin', m((x) => x.cluster.scripts), '');
  metric('cluster.redis_calls_per_pairing', 'qrlogin', m((x) => x.cluster.calls), '');
  metric('cluster.total_cpu_us_per_pairing', 'single', m((x) => x.single.cpu), 'us');
  metric('cluster.total_cpu_us_per_pairing', 'qrlogin', m((x) => x.cluster.total), 'us');
  metric('cluster.p99_ms', 'single', m((x) => x.single.p99), 'ms');
  metric('cluster.p99_ms', 'qrlogin', m((x) => x.cluster.p99), 'ms');
  for (const [n, a, b] of [
    ['pairings_per_s', (x) => x.cluster.per_s, (x) => x.single.per_s],
    ['cpu_us_per_pairing', (x) => x.cluster.cpu, (x) => x.single.cpu],
    ['total_cpu_us_per_pairing', (x) => x.cluster.total, (x) => x.single.cpu],
    ['p99_ms', (x) => x.cluster.p99, (x) => x.single.p99],
  ])
    console.log(`ratio cluster.${n} qrlogin/single ${mr(a, b).toFixed(3)}`);
  if (!opt.relayOld) return;
  // Before and after in one run: the old binary's cluster in every round.
  metric('cluster.cpu_us_per_pairing', 'qrlogin_old', m((x) => x.old.cpu), 'us');
  metric('cluster.redis_cpu_us_per_pairing', 'qrlogin_old', m((x) => x.old.redis), 'us');
  metric('cluster.redis_scripts_per_pairing', 'qrlogin_old', m((x) => x.old.scripts), '');
  metric('cluster.total_cpu_us_per_pairing', 'qrlogin_old', m((x) => x.old.total), 'us');
  console.log(`ratio cluster.total_cpu_us_per_pairing qrlogin_old/single ${mr((x) => x.old.total, (x) => x.single.cpu).toFixed(3)}`);
  for (const [n, pick] of [['cpu_us_per_pairing', (x) => x.cpu], ['redis_cpu_us_per_pairing', (x) => x.redis],
    ['total_cpu_us_per_pairing', (x) => x.total]])
    console.log(`ratio cluster.${n} qrlogin/qrlogin_old ${mr((x) => pick(x.cluster), (x) => pick(x.old)).toFixed(3)}`);
}

// ---- TLS: wss_idle, wss_pairing ----------------------------------------------
let tlsDir = null;
function tlsFiles() {
  if (!tlsDir) {
    tlsDir = mkdtempSync(path.join(tmpdir(), 'qrlogin-bench-tls-'));
    const r = spawnSync(path.join(root, 'scripts/make-cert'), ['--out', tlsDir, '--days', '2', '--new-ca'],
      { stdio: ['ignore', 'ignore', 'inherit'] });
    if (r.status !== 0) throw new Error('scripts/make-cert failed');
  }
  return { cert: path.join(tlsDir, 'relay-cert.pem'), key: path.join(tlsDir, 'relay-key.pem') };
}
process.on('exit', () => { if (tlsDir) rmSync(tlsDir, { recursive: true, force: true }); });

async function waitConnectable(port, child, seconds) {
  const end = Date.now() + seconds * 1000;
  while (Date.now() < end) {
    if (child.exitCode !== null) throw new Error(`exited (${child.exitCode})`);
    const ok = await new Promise((res) => {
      const c = net.connect(port, '127.0.0.1', () => { c.destroy(); res(true); });
      c.once('error', () => res(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error('not listening');
}

// nginx terminating TLS in front of a plain relay: docs/deploy.md's channel
// location, one worker process (master_process off) on the relay's core.
async function startNginx(dir, upstreamPort, cert, key) {
  const port = await freePort();
  const d = path.join(dir, 'nginx');
  for (const sub of ['', 'tmp']) spawnSync('mkdir', ['-p', path.join(d, sub)]);
  writeFileSync(path.join(d, 'nginx.conf'), `daemon off;
master_process off;
worker_processes 1;
worker_rlimit_nofile 20000;
pid ${d}/nginx.pid;
error_log ${d}/error.log warn;
events { worker_connections 10000; }
http {
  access_log off;
  client_body_temp_path ${d}/tmp/body;
  proxy_temp_path ${d}/tmp/proxy;
  fastcgi_temp_path ${d}/tmp/fastcgi;
  uwsgi_temp_path ${d}/tmp/uwsgi;
  scgi_temp_path ${d}/tmp/scgi;
  map $http_upgrade $connection_upgrade { default upgrade; '' close; }
  server {
    listen 127.0.0.1:${port} ssl;
    server_tokens off;
    ssl_certificate ${cert};
    ssl_certificate_key ${key};
    ssl_protocols TLSv1.2 TLSv1.3;
    ssl_session_tickets off;
    ssl_session_cache off;
    location /v1/channels/ {
      proxy_pass http://127.0.0.1:${upstreamPort};
      proxy_http_version 1.1;
      proxy_set_header Host $host;
      proxy_set_header Upgrade $http_upgrade;
      proxy_set_header Connection $connection_upgrade;
      proxy_buffering off;
      proxy_read_timeout 300s;
      proxy_send_timeout 300s;
    }
  }
}
`);
  const [cmd, argv] = pin(relayCore, ['nginx', '-e', path.join(d, 'error.log'), '-p', d, '-c', path.join(d, 'nginx.conf')]);
  const child = spawn(cmd, argv, { stdio: ['ignore', 'ignore', 'pipe'] });
  children.add(child);
  child.on('exit', () => children.delete(child));
  await waitConnectable(port, child, 10);
  return { impl: 'nginx', child, pid: child.pid, port };
}

// Starts a TLS row; `pids` are every process that serves it (relay, and
// nginx in front).
async function startTls(impl, dir) {
  const { cert, key } = tlsFiles();
  const tlsArgs = ['--tls-cert', cert, '--tls-key', key];
  if (impl === 'qrlogin') { const s = await startServer(impl, [...IMPLS.qrlogin(), ...tlsArgs]); return { port: s.port, parts: [s] }; }
  if (impl === 'qrlogin_old') {
    const s = await startServer(impl, [opt.relayOld, ...IMPLS.qrlogin().slice(1), ...tlsArgs]);
    return { port: s.port, parts: [s] };
  }
  if (impl === 'ws') { const s = await startServer(impl, [...IMPLS.ws(), ...tlsArgs]); return { port: s.port, parts: [s] }; }
  const relay = await startServer('qrlogin');
  try {
    const nginx = await startNginx(dir, relay.port, cert, key);
    return { port: nginx.port, parts: [nginx, relay] };
  } catch (e) {
    await stopServer(relay);
    throw new Error(`nginx: ${e.message} (scripts/install-deps installs it)`);
  }
}
async function withTls(impl, body) {
  const dir = mkdtempSync(path.join(tmpdir(), 'qrlogin-bench-'));
  const t = await startTls(impl, dir);
  try {
    return await body(t);
  } finally {
    for (const p of t.parts) await stopServer(p);
    rmSync(dir, { recursive: true, force: true });
  }
}
const wssClient = [process.execPath, path.join(here, 'wss/client.mjs')];
function tlsRatios(name) {
  const f = figures[name];
  for (const [a, b] of [['qrlogin', 'ws'], ['qrlogin', 'nginx'], ['qrlogin', 'qrlogin_old'], ['nginx', 'ws']]) {
    if (f?.[a] && f?.[b]?.value) console.log(`ratio ${name} ${a}/${b} ${(f[a].value / f[b].value).toFixed(3)}`);
  }
}

async function scenarioWssIdle() {
  if (!hasNginx) log('wss: nginx is not installed (scripts/install-deps): its row is skipped');
  for (const impl of TLS_ORDER) {
    await withTls(impl, async (t) => {
      await new Promise((r) => setTimeout(r, 300));
      const rss0 = t.parts.map((p) => rssKb(p.pid));
      let peak = null;
      const onReady = async () => {
        await new Promise((r) => setTimeout(r, 500));
        peak = t.parts.map((p) => rssKb(p.pid));
      };
      const r = await runGen(t.port, ['--scenario', 'idle', '--connections', String(PT.idleConns), '--hold', '120'],
        { onReady, timeoutS: 300, program: wssClient });
      check(impl, 'wss_idle', r);
      const conns = r.connections ?? 0;
      if (!peak || conns === 0) return;
      const per = t.parts.map((p, i) => (peak[i] - rss0[i]) / conns);
      metric('wss_idle.connections', impl, conns, 'conn');
      metric('wss_idle.rss_kb_per_conn', impl, per.reduce((a, b) => a + b, 0), 'KB');
      if (impl === 'nginx') {
        metric('wss_idle.nginx_rss_kb_per_conn', impl, per[0], 'KB');
        metric('wss_idle.relay_rss_kb_per_conn', impl, per[1], 'KB');
      }
    });
  }
  tlsRatios('wss_idle.rss_kb_per_conn');
}

async function scenarioWssPairing() {
  for (const impl of TLS_ORDER) {
    await withTls(impl, async (t) => {
      const c0 = t.parts.map((p) => cpuSeconds(p.pid));
      const r = await runGen(t.port, ['--scenario', 'pairing', '--concurrency', String(PT.pairConc), '--duration', String(PT.pairDur)],
        { program: wssClient });
      const cpus1 = t.parts.map((p, i) => cpuSeconds(p.pid) - c0[i]);
      const cpu = cpus1.reduce((a, b) => a + b, 0);
      check(impl, 'wss_pairing', r);
      const done = Math.max(1, r.completed ?? 0);
      metric('wss_pairing.pairings_per_s', impl, (r.completed ?? 0) / (r.duration_s || PT.pairDur), '/s');
      metric('wss_pairing.cpu_us_per_pairing', impl, (1e6 * cpu) / done, 'us');
      if (impl === 'nginx') {
        metric('wss_pairing.nginx_cpu_us_per_pairing', impl, (1e6 * cpus1[0]) / done, 'us');
        metric('wss_pairing.relay_cpu_us_per_pairing', impl, (1e6 * cpus1[1]) / done, 'us');
      }
    });
  }
  tlsRatios('wss_pairing.cpu_us_per_pairing');
}

// ---- main ------------------------------------------------------------------
const load0 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
const model = (/model name\s*:\s*(.*)/.exec(readFileSync('/proc/cpuinfo', 'utf8')) ?? [])[1] ?? 'unknown';
const commit = spawnSync('git', ['-C', root, 'rev-parse', '--short', 'HEAD']).stdout?.toString().trim() || 'unknown';
console.log(`# qrlogin relay benchmarks, ${opt.mode} mode, ${new Date().toISOString()}, commit ${commit}, nproc ${ncpu}, ${model}`);
console.log(`# relay on core ${relayCore}, load generator on core ${genCore}${hasTaskset ? '' : ' (taskset missing: not pinned)'}; loadavg at start ${load0}`);
try {
  if (wanted('pairing')) await scenarioPairing();
  if (wanted('sweep')) await scenarioSweep();
  if (wanted('forward_if1')) await scenarioForward(1);
  if (wanted('forward')) await scenarioForward(8);
  if (wanted('idle')) await scenarioIdle();
  if (wanted('churn')) await scenarioChurn();
  if (wanted('slow')) await scenarioSlow();
  if (wanted('cluster')) await scenarioCluster();
  if (wanted('wss_idle')) await scenarioWssIdle();
  if (wanted('wss_pairing')) await scenarioWssPairing();
} catch (e) {
  failures.push(String(e?.stack ?? e));
  log(String(e?.stack ?? e));
}
const load1 = readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
console.log(`# loadavg at end ${load1}; took ${((Date.now() - started) / 1000).toFixed(0)} s`);
if (opt.json) writeFileSync(opt.json, JSON.stringify({ figures, sweep: sweepPoints, failures }, null, 1));
killAll();
if (failures.length) {
  console.log(`# FAILED: ${failures.length} check(s): ${failures.join('; ')}`);
  process.exit(1);
}
console.log('# every frame verified, zero errors');
process.exit(0);
