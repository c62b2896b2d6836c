// node tests/bench/redis-scripts/append_cost.mjs [--appends N] [--runs R]
//
// What one frame costs Redis: the cluster's append script (relay/redis/lua,
// with its prelude, exactly as the relay loads it) run N times on one open
// channel, with a subscriber for the wake-ups, through `redis-cli --pipe`.
// Prints Redis's own usec_per_call (INFO commandstats) for each run and the
// lowest, and the same for an empty script measured in the same run (the
// baseline: what any EVALSHA costs on this machine now). Starts its own
// redis-server on a free loopback port and stops it; bounded by N and R.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const lua = path.resolve(here, '../../../relay/redis/lua');
const opt = { appends: 20000, runs: 3 };
for (let i = 2; i < process.argv.length; i++) {
  const a = process.argv[i];
  if (a === '--appends') opt.appends = Number(process.argv[++i]);
  else if (a === '--runs') opt.runs = Number(process.argv[++i]);
  else { console.error(`unknown flag ${a}`); process.exit(2); }
}
if (!(opt.appends > 0 && opt.appends <= 1e6 && opt.runs > 0 && opt.runs <= 20)) {
  console.error('--appends 1..1000000, --runs 1..20');
  process.exit(2);
}

const freePort = () => new Promise((resolve, reject) => {
  const srv = net.createServer();
  srv.on('error', reject);
  srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => resolve(port)); });
});

const port = await freePort();
const dir = mkdtempSync(path.join(tmpdir(), 'qrlogin-append-cost-'));
const server = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
  '--dir', dir], { stdio: 'ignore' });
const stop = () => { stopped = true; server.kill('SIGTERM'); rmSync(dir, { recursive: true, force: true }); };
let stopped = false;
process.on('exit', () => { if (!stopped) stop(); });

const cli = (args, input) => {
  const r = spawnSync('redis-cli', ['-p', String(port), ...args], { input, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (r.status !== 0) throw new Error(`redis-cli ${args[0]}: ${r.stderr}`);
  return r.stdout;
};
for (let i = 0; ; i++) {
  if (spawnSync('redis-cli', ['-p', String(port), 'PING'], { encoding: 'utf8' }).stdout.trim() === 'PONG') break;
  if (i > 100) throw new Error('redis-server did not start');
  await new Promise((r) => setTimeout(r, 50));
}

const script = (name) => `${readFileSync(path.join(lua, 'channel_common.lua'), 'utf8')}\n${readFileSync(path.join(lua, name), 'utf8')}`;
// As the relay loads it: the code lookups' prelude between (relay/redis/channel_store.cpp).
const join = cli(['SCRIPT', 'LOAD', script('channel_join.lua').replace(/^(?=-- join:)/m, `${readFileSync(path.join(lua, 'code_lookups.lua'), 'utf8')}\n`)]).trim();
const append = cli(['SCRIPT', 'LOAD', script('channel_append.lua')]).trim();
const empty = cli(['SCRIPT', 'LOAD', 'return 1']).trim();

const keys = ['b:{h}:ch', 'b:{h}:used', 'b:{h}:fr', 'b:{h}:fs', 'b:{global}:open'];
const admission = ['b:{global}:cids', 'b:{global}:rate', 'b:{global}:a:x'];
const limits = ['600000', '10000', '100000', '1000000000', '1000000000000'];
const resp = (args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;

function usecPerCall() {
  const m = cli(['INFO', 'commandstats']).match(/^cmdstat_evalsha:calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/m);
  if (!m) throw new Error('no evalsha in INFO commandstats');
  return { calls: Number(m[1]), perCall: Number(m[2]) };
}

function measure(commands) {
  cli(['CONFIG', 'RESETSTAT']);
  const out = spawnSync('redis-cli', ['-p', String(port), '--pipe'], { input: commands, encoding: 'utf8', maxBuffer: 1 << 26 });
  if (!/errors: 0,/.test(out.stdout)) throw new Error(`redis-cli --pipe: ${out.stdout}${out.stderr}`);
  return usecPerCall();
}

const frame = 'x'.repeat(40);
const results = { append: [], empty: [] };
for (let run = 0; run < opt.runs; run++) {
  cli(['FLUSHALL']);
  const opened = cli(['EVALSHA', join, '8', ...keys, ...admission, 'h', 'b:wake:', 'nodeA', 'r', '1', 'tokR', ...limits,
    '1000000', '1000000', '1000', '1000', '1000', '1000']);
  if (!/^ok/.test(opened)) throw new Error(`the receiver's join: ${opened}`);
  const joined = cli(['EVALSHA', join, '5', ...keys, 'h', 'b:wake:', 'nodeB', 's', '2', 'tokS', ...limits]);
  if (!/^ok/.test(joined)) throw new Error(`the sender's join: ${joined}`);
  // The sender's node listens, as in the relay: every append publishes to it.
  const subscriber = spawn('redis-cli', ['-p', String(port), 'SUBSCRIBE', 'b:wake:nodeB'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200));
  let appends = '';
  for (let i = 0; i < opt.appends; i++)
    appends += resp(['EVALSHA', append, '5', ...keys, 'h', 'b:wake:', 'nodeA', 'r', '1', String(i), frame, '0']);
  const a = measure(appends);
  subscriber.kill();
  if (a.calls !== opt.appends) throw new Error(`ran ${a.calls} appends, not ${opt.appends}`);
  results.append.push(a.perCall);
  results.empty.push(measure(resp(["EVALSHA", empty, "0"]).repeat(opt.appends)).perCall);
}
const low = (xs) => Math.min(...xs);
console.log(`metric redis.append_usec_per_call ${low(results.append).toFixed(2)} us (runs: ${results.append.join(', ')})`);
console.log(`metric redis.empty_script_usec_per_call ${low(results.empty).toFixed(2)} us (runs: ${results.empty.join(', ')})`);
console.log(`ratio redis.append/empty_script ${(low(results.append) / low(results.empty)).toFixed(1)}`);
stop();
process.exit(0);
