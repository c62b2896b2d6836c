// Issue 24's independent check: tests/vectors/code-v1.json recomputed with
// tests/independent/qrlogin_code.mjs (@noble/curves, @noble/hashes,
// @hpke/core, WebCrypto's AES-GCM), importing nothing from web/src: every
// value derived from the inputs, every frame, the origin cases, the Damm
// table, each ASCII code-entry case that is valid or fails the check digit,
// the draws, and the bad elements of the failure cases.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import {
  bytes, ciOf, DAMM, damm, hex, multVfy, origin, transcriptOf,
} from '../independent/qrlogin_code.mjs';

const v = JSON.parse(readFileSync(new URL('../vectors/code-v1.json', import.meta.url), 'utf8'));
let checked = 0;
const same = (actual, expected, what) => {
  assert.deepEqual(actual, expected, what);
  checked += 1;
};

test('every value and frame derived from the inputs', async () => {
  const mine = await transcriptOf(v.inputs);
  for (const [key, value] of Object.entries(mine)) {
    if (typeof value === 'string') same(value, v[key], key);
    else if (Array.isArray(value)) value.forEach((f, n) => same(f, v[key][n], `${key}[${n}] ${f.type}`));
    else for (const [k, x] of Object.entries(value)) same(x, v[key][k], `${key}.${k}`);
  }
  same(v.frames.length, mine.frames.length, 'the number of frames');
  same(v.cid, 'Sxh5uVdBYiZ9LptVN6V3Kg', 'the contract\'s example cid');
});

test('the origin cases and their CI', () => {
  for (const o of v.origins) {
    same(origin(o.page_url), o.app, o.page_url);
    same(hex(ciOf(o.app, bytes(v.cid_raw))), o.ci, `CI for ${o.app}`);
  }
});

test('the Damm table, and every code-entry case that is 14 digits after dropping separators', () => {
  same(v.entry.damm_table, DAMM, 'the Damm table');
  for (const c of v.entry.cases) {
    if (c.result === 'code_check' || /^[0-9]{14}$/.test(c.result)) {
      const digits = c.input.replace(/[^0-9]/g, '');
      if (digits.length !== 14 || /[^0-9 \-]/.test(c.input)) continue; // other scripts and separators: web/src's tests
      same(damm(digits) === 0 ? digits : 'code_check', c.result, JSON.stringify(c.input));
    }
  }
});

test('every draw: taken below its bound (4,290,000,000 for N, 4,294,000,000 for P), as u mod 10^digits', () => {
  const rule = { nameplate: [4_290_000_000, 7], password: [4_294_000_000, 6] };
  for (const d of v.entry.draws) {
    const [bound, digits] = rule[d.what];
    const u = Buffer.from(d.bytes, 'hex').readUInt32BE(0);
    same(d.accepted, u < bound, `${d.what} ${d.bytes} taken`);
    if (d.accepted) same(d.value, String(u % 10 ** digits).padStart(digits, '0'), `${d.what} ${d.bytes}`);
  }
});

test('the failure frames that carry a bad element are refused by scalar_mult_vfy', () => {
  for (const c of v.failures.filter((f) => f.expect === 'bad_key')) {
    const frame = bytes(c.frame);
    if (frame[0] === 8 && frame.length === 129 && /Yb/.test(c.name)) same(multVfy(bytes(v.inputs.ya), frame.subarray(1, 33)), null, c.name);
    if (frame[0] === 7 && frame.length === 81 && /Ya/.test(c.name)) same(multVfy(bytes(v.inputs.yb), frame.subarray(17, 49)), null, c.name);
  }
});

test('report: how many values were checked', () => {
  assert.ok(checked > 40, `checked ${checked}`);
  console.log(`independent code transcript: ${checked} values checked`);
});
