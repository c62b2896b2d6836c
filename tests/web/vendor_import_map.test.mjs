// The pages reach @noble/curves (web/src/cpace.js imports it by its bare
// name) through an import map that qrlogin-app serves inline, allowed by
// its hash in the pages' CSP, and through the package files
// web/app/CMakeLists.txt vendors under /vendor/. Checked without a build:
// the map in both pages, its hash in web/app/pages.cpp, and the vendored
// list against the import closure of the installed packages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));
const read = (rel) => readFileSync(path.join(root, rel), 'utf8');
const IMPORT_MAP = /<script type="importmap">([^<]*)<\/script>/g;

// Every import of a module, resolved: relative ones against the module,
// bare ones (a package name) as they are.
function importsOf(file, text) {
  return [...text.matchAll(/^\s*(?:import|export)\b[^;]*?\bfrom\s*['"]([^'"]+)['"]/gm),
    ...text.matchAll(/^\s*import\s*['"]([^'"]+)['"]/gm)]
    .map((m) => m[1])
    .map((s) => (s.startsWith('.') ? path.posix.normalize(path.posix.join(path.posix.dirname(file), s)) : s));
}

const pages = ['web/pages/index.html', 'web/pages/pair.html'];
const mapText = () => {
  const texts = pages.map((p) => [...read(p).matchAll(IMPORT_MAP)].map((m) => m[1]));
  for (const [n, t] of texts.entries()) assert.equal(t.length, 1, `${pages[n]} has one import map`);
  assert.equal(texts[0][0], texts[1][0], 'both pages have the same import map');
  return texts[0][0];
};

test('both pages map @noble/curves and @noble/hashes to /vendor/, before any module script', () => {
  assert.deepEqual(JSON.parse(mapText()), {
    imports: { '@noble/curves/': '/vendor/@noble/curves/', '@noble/hashes/': '/vendor/@noble/hashes/' },
  });
  for (const p of pages) {
    const html = read(p);
    assert.ok(html.indexOf('type="importmap"') < html.indexOf('type="module"'), `${p}: the map comes first`);
  }
});

test("the pages' CSP allows the import map by its hash, and nothing else inline", () => {
  const hash = createHash('sha256').update(mapText()).digest('base64');
  const cpp = read('web/app/pages.cpp');
  assert.match(cpp, new RegExp(`script-src 'self' 'sha256-${hash.replace(/[+/]/g, '\\$&')}'; `));
  assert.equal(cpp.match(/'sha256-/g).length, 1);
  assert.ok(read('tests/app/pages_test.cpp').includes(`'sha256-${hash}'`), 'the C++ page test expects the same hash');
});

test('the vendored files are exactly what @noble/curves/ed25519.js imports, transitively', () => {
  const cmake = read('web/app/CMakeLists.txt');
  const listed = /set\(qrlogin_app_vendor_trees\s+([^)]*)\)/.exec(cmake)[1].split(/\s+/).filter(Boolean).sort();
  const seen = new Set();
  const pending = ['@noble/curves/ed25519.js'];
  while (pending.length) {
    const file = pending.pop();
    if (seen.has(file)) continue;
    seen.add(file);
    pending.push(...importsOf(file, read(`node_modules/${file}`)));
  }
  assert.deepEqual(listed, [...seen].sort());
});

test("web/src's only bare import is @noble/curves/ed25519.js, which the map resolves", () => {
  const bare = new Set();
  for (const f of readdirSync(path.join(root, 'web/src')).filter((n) => n.endsWith('.js'))) {
    for (const s of importsOf(`web/src/${f}`, read(`web/src/${f}`))) if (!s.startsWith('web/') && !s.startsWith('.')) bare.add(s);
  }
  assert.deepEqual([...bare], ['@noble/curves/ed25519.js']);
  const { imports } = JSON.parse(mapText());
  for (const s of bare) assert.ok(Object.keys(imports).some((prefix) => s.startsWith(prefix)), s);
});

test('the lock file pins @noble/curves 2.4.0 and the @noble/hashes it needs', () => {
  const lock = JSON.parse(read('package-lock.json'));
  const manifest = JSON.parse(read('package.json'));
  assert.equal(manifest.dependencies['@noble/curves'], '2.4.0');
  assert.equal(lock.packages['node_modules/@noble/curves'].version, '2.4.0');
  const needs = lock.packages['node_modules/@noble/curves'].dependencies['@noble/hashes'];
  assert.equal(manifest.dependencies['@noble/hashes'], needs);
  assert.equal(lock.packages['node_modules/@noble/hashes'].version, needs);
});
