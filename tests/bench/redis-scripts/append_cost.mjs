// node tests/bench/redis-scripts/append_cost.mjs [--appends N] [--runs R]
//
// What one frame costs Redis: the cluster's append function (relay/redis/lua,
// in its library, assembled as the relay assembles it) run N times on one
// open channel, with a subscriber for the wake-ups, through `redis-cli
// --pipe`. Prints Redis's own usec_per_call (INFO commandstats) for each run
// and the lowest, and the same for an empty function measured in the same
// run (the baseline: what any FCALL costs on this machine now). Starts its
// own redis-server on a free loopback port and stops it; bounded by N and R.
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

// The channel functions as one library, assembled as the relay assembles
// it (relay/redis/channel_store.cpp, ChannelStore::library).
const read = (name) => readFileSync(path.join(lua, name), 'utf8');
const ops = ['join', 'resume', 'append', 'poll', 'leave', 'evict'];
const library = ['#!lua name=qrl_bench', read('channel_common.lua'), read('code_lookups.lua'),
  ...ops.map((op) => `redis.register_function('qrl_bench_${op}', function(KEYS, ARGV)\nbind(KEYS, ARGV)\n${read(`channel_${op}.lua`)}\nend)`)].join('\n');
cli(['FUNCTION', 'LOAD', 'REPLACE', library]);
const join = 'qrl_bench_join';
const append = 'qrl_bench_append';
cli(['FUNCTION', 'LOAD', 'REPLACE', "#!lua name=qrl_empty\nredis.register_function('qrl_empty', function() return 1 end)"]);
const empty = 'qrl_empty';

const keys = ['b:{h}:st', 'b:{h}:used', 'b:{h}:fr', 'b:{h}:fs', 'b:{global}:open'];
const admission = ['b:{global}:cids', 'b:{global}:rate', 'b:{global}:a:x'];
const limits = ['600000', '10000', '100000', '1000000000', '1000000000000'];
const resp = (args) => `*${args.length}\r\n${args.map((a) => `$${Buffer.byteLength(String(a))}\r\n${a}\r\n`).join('')}`;

function usecPerCall() {
  const m = cli(['INFO', 'commandstats']).match(/^cmdstat_fcall:calls=(\d+),usec=\d+,usec_per_call=([\d.]+)/m);
  if (!m) throw new Error('no fcall in INFO commandstats');
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
  const opened = cli(['FCALL', join, '8', ...keys, ...admission, 'h', 'b:wake:', 'nodeA', 'r', '1', 'tokR', ...limits,
    '1000000', '1000000', '1000', '1000', '1000', '1000']);
  if (!/^ok/.test(opened)) throw new Error(`the receiver's join: ${opened}`);
  const joined = cli(['FCALL', join, '5', ...keys, 'h', 'b:wake:', 'nodeB', 's', '2', 'tokS', ...limits]);
  if (!/^ok/.test(joined)) throw new Error(`the sender's join: ${joined}`);
  // The sender's node listens, as in the relay: every append publishes to it.
  const subscriber = spawn('redis-cli', ['-p', String(port), 'SUBSCRIBE', 'b:wake:nodeB'], { stdio: 'ignore' });
  await new Promise((r) => setTimeout(r, 200));
  let appends = '';
  for (let i = 0; i < opt.appends; i++)
    appends += resp(['FCALL', append, '5', ...keys, 'h', 'b:wake:', 'nodeA', 'r', '1', String(i), frame, '0']);
  const a = measure(appends);
  subscriber.kill();
  if (a.calls !== opt.appends) throw new Error(`ran ${a.calls} appends, not ${opt.appends}`);
  results.append.push(a.perCall);
  results.empty.push(measure(resp(["FCALL", empty, "0"]).repeat(opt.appends)).perCall);
}
const low = (xs) => Math.min(...xs);
console.log(`metric redis.append_usec_per_call ${low(results.append).toFixed(2)} us (runs: ${results.append.join(', ')})`);
console.log(`metric redis.empty_function_usec_per_call ${low(results.empty).toFixed(2)} us (runs: ${results.empty.join(', ')})`);
console.log(`ratio redis.append/empty_function ${(low(results.append) / low(results.empty)).toFixed(1)}`);
stop();
process.exit(0);
