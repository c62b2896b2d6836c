// The npm package of the browser library (web/src/package.json) as an
// integrator gets it: `npm pack` holds exactly the public module, what it
// imports, its declarations and README; installed from the tarball into a
// scratch project (offline: together with its one dependency, @noble/curves,
// and that one's @noble/hashes, packed from this checkout's node_modules,
// the versions the lockfile pins) it is imported by name
// and pairs with the real CLI through the real relay; its declarations
// match what the module exports and pass `tsc --noEmit` on the README's
// examples in TypeScript, and refuse wrong uses.
import test, { after, before } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { cpSync, lstatSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { createRequire } from 'node:module';
import WebSocket from 'ws';
import { runCli, startRelay, tempDir, withCleanup } from '../browser/harness.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const packageDir = path.join(root, 'web/src');
const fixtures = path.join(root, 'tests/web/npm_package');
const manifest = JSON.parse(readFileSync(path.join(packageDir, 'package.json'), 'utf8'));
const require = createRequire(import.meta.url);
const STEP_MS = 120_000;

// The version every artifact carries: project(qrlogin VERSION x.y.z) in CMakeLists.txt.
function projectVersion() {
  const cmake = readFileSync(path.join(root, 'CMakeLists.txt'), 'utf8');
  const match = /project\(\s*qrlogin\s+VERSION\s+([0-9]+\.[0-9]+\.[0-9]+)/.exec(cmake);
  assert.ok(match, 'CMakeLists.txt has project(qrlogin VERSION x.y.z)');
  return match[1];
}

// The one runtime dependency, and the subpaths of it the package may import.
const DEPENDENCY = '@noble/curves';
const dependencyVersion = () => JSON.parse(readFileSync(path.join(root, 'node_modules', DEPENDENCY, 'package.json'), 'utf8')).version;

// The package's modules: qrlogin.js and, transitively, every module it
// imports. Each must be relative and stay inside the package (nothing from
// ../), or a module of its declared dependency (collected in `external`).
function moduleClosure(entry, external = new Set()) {
  const seen = new Set();
  const pending = [entry];
  while (pending.length) {
    const file = pending.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    const text = readFileSync(path.join(packageDir, file), 'utf8');
    const specifiers = [
      ...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm),
      ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm),
      ...text.matchAll(/\bimport\(\s*['"]([^'"]+)['"]/g),
    ].map((m) => m[1]);
    for (const specifier of specifiers) {
      if (specifier.startsWith(`${DEPENDENCY}/`)) {
        external.add(specifier);
        continue;
      }
      assert.match(specifier, /^\.\/[a-z_]+\.js$/, `${file} imports ${specifier}: the package's modules import only each other`);
      pending.push(specifier.slice(2));
    }
  }
  return [...seen].sort();
}

function npm(args, cwd, scratch) {
  const run = spawnSync('npm', args, {
    cwd,
    encoding: 'utf8',
    timeout: STEP_MS,
    // A cache of its own: nothing read from or left in the user's, and no network.
    env: { ...process.env, npm_config_cache: path.join(scratch, 'npm-cache'), npm_config_update_notifier: 'false',
      npm_config_audit: 'false', npm_config_fund: 'false' },
  });
  assert.equal(run.status, 0, `npm ${args.join(' ')}: ${run.error ?? ''}${run.stderr}`);
  return run.stdout;
}

let scratch;
let tarball;
let consumer; // the scratch project the tarball is installed into
let installed; // its node_modules/qrlogin

before(() => {
  scratch = tempDir('qrlogin-npm-');
  const packed = JSON.parse(npm(['pack', packageDir, '--pack-destination', scratch.dir, '--json', '--ignore-scripts'],
    scratch.dir, scratch.dir));
  tarball = path.join(scratch.dir, packed[0].filename);
  consumer = path.join(scratch.dir, 'consumer');
  cpSync(fixtures, consumer, { recursive: true });
  writeFileSync(path.join(consumer, 'package.json'), JSON.stringify({ name: 'consumer', private: true, type: 'module' }));
  // The dependency and its own, packed from node_modules: the install stays offline.
  const deps = ['@noble/curves', '@noble/hashes'].map((name) => {
    const [dep] = JSON.parse(npm(['pack', path.join(root, 'node_modules', name), '--pack-destination', scratch.dir, '--json',
      '--ignore-scripts'], scratch.dir, scratch.dir));
    return path.join(scratch.dir, dep.filename);
  });
  npm(['install', '--offline', '--ignore-scripts', '--no-package-lock', tarball, ...deps], consumer, scratch.dir);
  installed = path.join(consumer, 'node_modules/qrlogin');
});

after(() => scratch?.cleanup());

test('the manifest: version of the project, ES module, one export, @noble/curves its one dependency', () => {
  assert.equal(manifest.version, projectVersion(), 'web/src/package.json version = PROJECT_VERSION');
  assert.equal(manifest.name, 'qrlogin');
  assert.equal(manifest.type, 'module');
  assert.equal(manifest.sideEffects, false);
  assert.deepEqual(Object.keys(manifest.exports), ['.'], 'only the public entry is exported');
  assert.deepEqual(manifest.exports['.'], { types: './qrlogin.d.ts', default: './qrlogin.js' });
  // Pinned exactly, to the version this checkout's lockfile installs and tests.
  assert.deepEqual(manifest.dependencies, { [DEPENDENCY]: dependencyVersion() });
  const lock = JSON.parse(readFileSync(path.join(root, 'package-lock.json'), 'utf8'));
  assert.equal(lock.packages[`node_modules/${DEPENDENCY}`].version, dependencyVersion());
  assert.equal(manifest.peerDependencies, undefined);
  assert.ok(manifest.engines?.node, 'engines.node');
  // The install lines the READMEs give name this version's tarball.
  for (const readme of ['README.md', 'web/src/README.md']) {
    const named = [...readFileSync(path.join(root, readme), 'utf8').matchAll(/qrlogin-(\d+\.\d+\.\d+)\.tgz/g)];
    assert.ok(named.length > 0, `${readme} shows how to install the tarball`);
    for (const [, version] of named) assert.equal(version, projectVersion(), `${readme} names qrlogin-${version}.tgz`);
  }
});

test('npm pack: the tarball holds exactly the public module, its imports, declarations and README', () => {
  const listing = spawnSync('tar', ['-tzf', tarball], { encoding: 'utf8' });
  assert.equal(listing.status, 0, listing.stderr);
  const files = listing.stdout.trim().split('\n').map((f) => f.replace(/^package\//, '')).sort();
  const external = new Set();
  const expected = [...moduleClosure('qrlogin.js', external), 'package.json', 'README.md', 'qrlogin.d.ts'].sort();
  assert.deepEqual(files, expected);
  assert.deepEqual([...external], ['@noble/curves/ed25519.js'], 'ristretto255 from the declared dependency, nothing else');
  // What the example pages use beside the library is not in it.
  const left = readdirSync(packageDir).filter((f) => f.endsWith('.js') && !files.includes(f));
  assert.deepEqual(left.sort(), ['qr_render.js', 'qr_scan.js']);
  const packedManifest = JSON.parse(readFileSync(path.join(installed, 'package.json'), 'utf8'));
  assert.equal(packedManifest.version, projectVersion());
});

test('installed from the tarball, it is imported by name and only its public entry can be', async () => {
  assert.ok(lstatSync(installed).isDirectory() && !lstatSync(installed).isSymbolicLink(), 'a copy, not a link to web/src');
  writeFileSync(path.join(consumer, 'entry.mjs'),
    "export * from 'qrlogin';\nexport const resolved = import.meta.resolve('qrlogin');\n");
  writeFileSync(path.join(consumer, 'deep.mjs'), "export * from 'qrlogin/receiver.js';\n");
  const lib = await import(pathToFileURL(path.join(consumer, 'entry.mjs')));
  assert.equal(lib.resolved, pathToFileURL(path.join(installed, 'qrlogin.js')).href);
  assert.deepEqual(Object.keys(lib).filter((k) => k !== 'resolved').sort(),
    ['DEFAULT_CODE_TIMEOUTS', 'DEFAULT_TIMEOUTS', 'QrloginError', 'Reason', 'checkSupport', 'linkChannelId',
      'spentNameplatesIn', 'startCodeReceiver', 'startCodeSender', 'startReceiver', 'startSender']);
  assert.ok(lstatSync(path.join(consumer, 'node_modules', DEPENDENCY)).isDirectory(), 'the dependency was installed beside it');
  await assert.rejects(import(pathToFileURL(path.join(consumer, 'deep.mjs'))), { code: 'ERR_PACKAGE_PATH_NOT_EXPORTED' });
  assert.deepEqual(await lib.checkSupport(), { ok: true });
});

// The installed package's public functions, as the scratch project sees them.
const installedLibrary = () => import(pathToFileURL(path.join(consumer, 'entry.mjs')));

test('installed package receives from `qrlogin send` through the relay', { timeout: STEP_MS }, () => withCleanup(async (defer) => {
  const { startReceiver } = await installedLibrary();
  const relay = await startRelay();
  defer(() => relay.stop());
  const file = path.join(scratch.dir, 'grant');
  writeFileSync(file, 'grant-from-the-cli \u2713');
  let resolveLink, resolveCode, resolveCredential;
  const link = new Promise((r) => { resolveLink = r; });
  const code = new Promise((r) => { resolveCode = r; });
  const credential = new Promise((r) => { resolveCredential = r; });
  const pairing = startReceiver({
    page: `${relay.origin}/pair`,
    WebSocket,
    onLink: resolveLink,
    onSas: resolveCode,
    onCredential: (c) => { resolveCredential(c); return true; },
  });
  defer(() => pairing.cancel());
  const cli = runCli(['send', await link, '--credential-file', file, '--timeout', '30'], defer);
  const sas = await cli.event('sas');
  assert.equal(await code, sas.sas, 'both sides show the same code');
  cli.answer('y');
  await pairing.typed(sas.sas.replace(' ', ''));
  assert.deepEqual(await pairing.done, { accepted: true });
  const got = await credential;
  assert.equal(got.text, 'grant-from-the-cli \u2713');
  assert.equal(got.isString, true);
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
}));

test('installed package sends to `qrlogin receive` through the relay', { timeout: STEP_MS }, () => withCleanup(async (defer) => {
  const { startSender, QrloginError } = await installedLibrary();
  const relay = await startRelay();
  defer(() => relay.stop());
  const out = path.join(scratch.dir, 'received');
  const cli = runCli(['receive', '--relay', `ws://127.0.0.1:${relay.port}`, '--out', out, '--qr', 'none',
    '--yes', '--timeout', '30'], defer);
  const { link } = await cli.event('link');
  assert.throws(() => startSender(`${link}x`, 'g'), (e) => e instanceof QrloginError && e.code === 'bad_link');
  let resolveCode, resolveResult;
  const code = new Promise((r) => { resolveCode = r; });
  const result = new Promise((r) => { resolveResult = r; });
  const pairing = startSender(link, null, {
    label: 'npm package',
    WebSocket,
    allowOtherOrigin: true, // Node has no page origin to compare with
    onSas: resolveCode,
    onResult: resolveResult,
  });
  defer(() => pairing.cancel());
  assert.equal((await cli.event('sas')).sas, await code);
  await pairing.confirm({ grant: 'g-1', scopes: ['read'] });
  assert.deepEqual(await result, { accepted: true, reason: '' });
  assert.deepEqual(await pairing.done, { accepted: true });
  assert.equal(await cli.exited, 0, cli.stderr.join(''));
  assert.deepEqual(JSON.parse(readFileSync(out, 'utf8')), { grant: 'g-1', scopes: ['read'] });
}));

// The names and codes qrlogin.d.ts declares, read by the TypeScript compiler.
function declared() {
  const ts = require('typescript');
  const file = path.join(installed, 'qrlogin.d.ts');
  const program = ts.createProgram([file], { noEmit: true, target: ts.ScriptTarget.ES2022, lib: ['lib.es2022.d.ts'], types: [] });
  const checker = program.getTypeChecker();
  const exports = checker.getExportsOfModule(checker.getSymbolAtLocation(program.getSourceFile(file)));
  const byName = (name) => exports.find((s) => s.name === name);
  const literals = (name) => checker.getDeclaredTypeOfSymbol(byName(name)).types.map((t) => t.value).sort();
  const keys = (name) => checker.getTypeOfSymbol(byName(name)).getProperties().map((p) => p.name).sort();
  return {
    values: exports.filter((s) => s.flags & ts.SymbolFlags.Value).map((s) => s.name).sort(),
    reasonCodes: literals('ReasonCode'),
    errorCodes: literals('QrloginErrorCode'),
    reasonKeys: keys('Reason'),
    timeoutKeys: keys('DEFAULT_TIMEOUTS'),
    codeTimeoutKeys: keys('DEFAULT_CODE_TIMEOUTS'),
  };
}

test('qrlogin.d.ts declares what qrlogin.js exports, with its codes', async () => {
  const lib = await installedLibrary();
  const d = declared();
  assert.deepEqual(d.values, Object.keys(lib).filter((k) => k !== 'resolved').sort());
  assert.deepEqual(d.reasonKeys, Object.keys(lib.Reason).sort());
  assert.deepEqual(d.reasonCodes, Object.values(lib.Reason).sort());
  assert.deepEqual(d.timeoutKeys, Object.keys(lib.DEFAULT_TIMEOUTS).sort());
  assert.deepEqual(d.codeTimeoutKeys, Object.keys(lib.DEFAULT_CODE_TIMEOUTS).sort());
  // Every code the package's modules make a QrloginError with is declared.
  for (const file of moduleClosure('qrlogin.js')) {
    const text = readFileSync(path.join(packageDir, file), 'utf8');
    for (const [, code] of text.matchAll(/QrloginError\('([a-z_]+)'/g)) {
      assert.ok(d.errorCodes.includes(code), `${file}: QrloginError('${code}') is in QrloginErrorCode`);
    }
  }
  assert.deepEqual(d.errorCodes.filter((c) => !d.reasonCodes.includes(c)).sort(),
    ['bad_link', 'code_chars', 'code_check', 'code_length', 'code_spent', 'internal', 'limit_exceeded', 'unavailable', 'unsupported']);
});

// `// error TSnnnn` at the end of a line of misuse.ts: tsc must report that
// code on that line.
function expectedErrors(file) {
  return readFileSync(file, 'utf8').split('\n').flatMap((line, i) => {
    const m = /\/\/ error (TS\d+)/.exec(line);
    return m ? [`${path.basename(file)}:${i + 1}: ${m[1]}`] : [];
  });
}

test('tsc --noEmit: the README examples compile against the installed declarations; wrong uses do not', { timeout: STEP_MS }, () => {
  const tsc = path.join(root, 'node_modules/typescript/bin/tsc');
  const run = spawnSync(process.execPath, [tsc, '--noEmit', '--pretty', 'false', '-p', 'tsconfig.json'],
    { cwd: consumer, encoding: 'utf8', timeout: STEP_MS });
  assert.notEqual(run.status, null, `tsc did not finish: ${run.error}`);
  const reported = [...run.stdout.matchAll(/^(\S+?)\((\d+),\d+\): error (TS\d+)/gm)].map((m) => `${m[1]}:${m[2]}: ${m[3]}`);
  assert.deepEqual(reported.filter((e) => !e.startsWith('misuse.ts:')), [],
    `example.ts and the declarations compile cleanly:\n${run.stdout}`);
  assert.deepEqual(reported.filter((e) => e.startsWith('misuse.ts:')), expectedErrors(path.join(fixtures, 'misuse.ts')),
    `each wrong use fails, and only those:\n${run.stdout}`);
});
