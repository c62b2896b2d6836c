// The dashboard and the alert rules against a live relay: the dashboard JSON
// parses, every metric a dashboard query or an alert names is one a running
// relay exports (so a renamed metric cannot leave a panel empty or an alert
// silent), every exported metric is on the dashboard and in docs/relay.md,
// and every alert has a promtool unit test. promtool itself checks and tests
// the rules (ctest promtool_*). Needs QRLOGIN_RELAY_BIN.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

const here = new URL('.', import.meta.url);
const read = (name) => readFileSync(new URL(name, here), 'utf8');
const dashboardText = read('grafana-qrlogin-relay.json');
const rulesText = read('qrlogin-relay.rules.yml');
const rulesTestText = read('qrlogin-relay.rules.test.yml');
const relayDoc = readFileSync(new URL('../../docs/relay.md', here), 'utf8');

// Series Prometheus makes itself for every target, not the relay.
const SCRAPE_SERIES = new Set(['up']);
const PROMQL_WORDS = new Set(['and', 'or', 'unless', 'bool', 'offset', 'by', 'without', 'on', 'ignoring',
  'group_left', 'group_right', 'inf', 'nan', 'Inf', 'NaN']);

// The metric names a PromQL expression selects: identifiers that are not
// functions, keywords, label names or values, durations or Grafana variables.
function metricNames(expr) {
  const s = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""')
    .replace(/\{[^}]*\}/g, '')
    .replace(/\[[^\]]*\]/g, '')
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, '')
    .replace(/\$\w+/g, '');
  const names = new Set();
  for (const m of s.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)) {
    const before = s[m.index - 1] ?? '';
    if (/[0-9.]/.test(before)) continue; // the exponent of a number (1e3)
    if (s.slice(m.index + m[0].length).trimStart().startsWith('(')) continue; // a function or an aggregation
    if (PROMQL_WORDS.has(m[0])) continue;
    names.add(m[0]);
  }
  return names;
}

function dashboardQueries(dashboard) {
  const queries = [];
  const walk = (node) => {
    if (Array.isArray(node)) return node.forEach(walk);
    if (node === null || typeof node !== 'object') return;
    if (typeof node.expr === 'string') queries.push(node.expr);
    for (const value of Object.values(node)) walk(value);
  };
  walk(dashboard.panels);
  for (const variable of dashboard.templating?.list ?? []) {
    const q = typeof variable.query === 'string' ? variable.query : variable.query?.query;
    const labelValues = /^label_values\(\s*([^,]+),/.exec(q ?? '');
    if (labelValues) queries.push(labelValues[1]);
    else if (q) queries.push(q);
  }
  return queries;
}

// The expr of each rule: inline, or a block scalar (expr: |) of the lines
// indented below it.
function ruleQueries(yaml) {
  const lines = yaml.split('\n');
  const queries = [];
  for (let i = 0; i < lines.length; i++) {
    const m = /^(\s*)expr:\s*(.*)$/.exec(lines[i]);
    if (!m) continue;
    if (m[2] !== '|' && m[2] !== '>') {
      queries.push(m[2]);
      continue;
    }
    const block = [];
    while (i + 1 < lines.length && (lines[i + 1].trim() === '' || lines[i + 1].search(/\S/) > m[1].length)) block.push(lines[++i]);
    queries.push(block.join('\n'));
  }
  return queries;
}

// The relay in cluster mode, so that the Redis series exist too; its Redis is
// a closed loopback port (not fatal: the node answers unavailable).
let exported; // name -> type
let scratch;
before(async () => {
  const relayBin = process.env.QRLOGIN_RELAY_BIN;
  assert.ok(relayBin, 'set QRLOGIN_RELAY_BIN to the qrlogin-relay program');
  scratch = mkdtempSync(join(tmpdir(), 'qrlogin-observability-'));
  const keyFile = join(scratch, 'redis-key');
  writeFileSync(keyFile, 'observability-test-key-0123456789\n', { mode: 0o600 });
  const relay = spawn(relayBin, ['--listen', '127.0.0.1:0', '--metrics-listen', '127.0.0.1:0',
    '--redis', 'redis://127.0.0.1:1', '--redis-key-file', keyFile], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const metricsPort = await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the relay printed no listening line within 20 s')), 20000);
      relay.once('exit', (code) => reject(new Error(`the relay exited with ${code} before listening`)));
      createInterface({ input: relay.stdout }).on('line', (line) => {
        if (!line.includes('"listening"')) return;
        clearTimeout(timer);
        resolve(JSON.parse(line).metrics_port);
      });
    });
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`, { signal: AbortSignal.timeout(10000) });
    assert.equal(response.status, 200);
    const text = await response.text();
    exported = new Map();
    for (const m of text.matchAll(/^# TYPE (\S+) (\S+)$/gm)) exported.set(m[1], m[2]);
    for (const m of text.matchAll(/^([A-Za-z_:][A-Za-z0-9_:]*)[{ ]/gm)) if (!exported.has(m[1])) exported.set(m[1], 'untyped');
  } finally {
    const exited = new Promise((resolve) => relay.exitCode !== null ? resolve() : relay.once('exit', resolve));
    relay.kill('SIGTERM');
    await exited;
  }
});
after(() => scratch && rmSync(scratch, { recursive: true, force: true }));

function isExported(name) {
  if (exported.has(name) || SCRAPE_SERIES.has(name)) return true;
  const base = name.replace(/_(bucket|sum|count)$/, '');
  return base !== name && ['histogram', 'summary'].includes(exported.get(base));
}

test('the relay exports its metrics, the Redis ones too in cluster mode', () => {
  assert.ok(exported.has('qrlogin_relay_connections'), [...exported.keys()].join(' '));
  assert.ok(exported.has('qrlogin_relay_redis_up'));
});

test('metricNames finds the metrics of an expression and nothing else', () => {
  assert.deepEqual([...metricNames('sum by (code) (rate(a_total{code=~"x|y", instance=~"$instance"}[$__rate_interval])) / on (instance) b > 0.8 * 1e3 and up{job="j"} == 0')],
    ['a_total', 'b', 'up']);
});

test('the dashboard is JSON that Grafana can import, with a query in every panel', () => {
  const dashboard = JSON.parse(dashboardText);
  assert.equal(dashboard.uid, 'qrlogin-relay');
  assert.ok(dashboard.__inputs.some((input) => input.pluginId === 'prometheus'));
  const panels = dashboard.panels.filter((panel) => panel.type !== 'row');
  assert.ok(panels.length >= 10, `${panels.length} panels`);
  for (const panel of panels) assert.ok(panel.targets?.length && panel.targets.every((t) => t.expr), `panel "${panel.title}" has no query`);
  const ids = dashboard.panels.map((panel) => panel.id);
  assert.equal(new Set(ids).size, ids.length, 'panel ids repeat');
});

test('every metric a dashboard query names is one the relay exports', () => {
  const queries = dashboardQueries(JSON.parse(dashboardText));
  const unknown = new Set(queries.flatMap((q) => [...metricNames(q)]).filter((name) => !isExported(name)));
  assert.deepEqual([...unknown], [], `the dashboard names metrics the relay does not export: ${[...unknown].join(', ')}`);
});

test('every metric an alert rule names is one the relay exports', () => {
  const queries = ruleQueries(rulesText);
  assert.ok(queries.length >= 10, `${queries.length} rule expressions found`);
  const unknown = new Set(queries.flatMap((q) => [...metricNames(q)]).filter((name) => !isExported(name)));
  assert.deepEqual([...unknown], [], `the alert rules name metrics the relay does not export: ${[...unknown].join(', ')}`);
});

test('every metric the relay exports is on the dashboard and in docs/relay.md', () => {
  const onDashboard = new Set(dashboardQueries(JSON.parse(dashboardText)).flatMap((q) => [...metricNames(q)]));
  const missing = [...exported.keys()].filter((name) => !onDashboard.has(name));
  assert.deepEqual(missing, [], `exported but on no dashboard panel: ${missing.join(', ')}`);
  const undocumented = [...exported.keys()].filter((name) => !relayDoc.includes(name));
  assert.deepEqual(undocumented, [], `exported but not in docs/relay.md: ${undocumented.join(', ')}`);
  const documented = new Set(relayDoc.match(/\bqrlogin_relay_[a-z_]+/g));
  const stale = [...documented].filter((name) => !isExported(name));
  assert.deepEqual(stale, [], `docs/relay.md names metrics the relay does not export: ${stale.join(', ')}`);
});

test('every alert has a promtool unit test', () => {
  const alerts = new Set([...rulesText.matchAll(/^\s*- alert: (\S+)$/gm)].map((m) => m[1]));
  const tested = new Set([...rulesTestText.matchAll(/^\s*alertname: (\S+)$/gm)].map((m) => m[1]));
  const untested = [...alerts].filter((name) => !tested.has(name));
  assert.deepEqual(untested, [], `alerts without a test in qrlogin-relay.rules.test.yml: ${untested.join(', ')}`);
  const unknown = [...tested].filter((name) => !alerts.has(name));
  assert.deepEqual(unknown, [], `tests of alerts that do not exist: ${unknown.join(', ')}`);
});
