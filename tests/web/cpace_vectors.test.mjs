// draft-irtf-cfrg-cpace-21's vectors for CPACE-RISTR255-SHA512 (Appendix
// B.3 and its testvectors.json, tests/vectors/external/
// cpace-ristretto255-sha512.json) and its string utilities (A.1), through
// web/src/cpace.js.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { hexDecode as hex, hexEncode, utf8Encode } from '../../web/src/bytes.js';
import {
  calculateGenerator, CpaceError, cpaceKeys, DSI, DSI_ISK, generatorString, intermediateSessionKey, lvCat, prependLen,
  scalarMult, scalarMultVfy, sha512, transcriptIr,
} from '../../web/src/cpace.js';

const vectors = JSON.parse(readFileSync(new URL('../vectors/external/cpace-ristretto255-sha512.json', import.meta.url), 'utf8'));
const r = vectors.ristretto255;
const gen = r.generator;

test('the file is the draft -21 copy', () => {
  assert.equal(vectors.source.tag, 'draft-irtf-cfrg-cpace-21');
});

test('A.1: prepend_len, lv_cat and transcript_ir', () => {
  for (const c of vectors.prepend_len) assert.equal(hexEncode(prependLen(hex(c.input))), c.output);
  for (const c of vectors.lv_cat) assert.equal(hexEncode(lvCat(...c.inputs.map(hex))), c.output);
  for (const c of vectors.transcript_ir) assert.equal(hexEncode(transcriptIr(hex(c.Ya), hex(c.ADa), hex(c.Yb), hex(c.ADb))), c.output);
  assert.equal(hexEncode(prependLen(new Uint8Array(300))).slice(0, 4), 'ac02', 'LEB128 beyond two 7-bit groups');
});

test('B.3.1: generator string, its hash and the generator g', async () => {
  assert.equal(gen.H, 'SHA-512');
  assert.equal(gen.s_in_bytes, 128);
  assert.equal(hexEncode(DSI), gen.DSI);
  const genStr = generatorString(hex(gen.PRS), hex(gen.CI), hex(gen.sid));
  assert.equal(hexEncode(genStr), gen.generator_string);
  assert.equal(genStr.length - (1 + DSI.length) - (1 + hex(gen.PRS).length) - 1 - (hex(gen.CI).length + 1) - (hex(gen.sid).length + 1),
    gen.zpad_length);
  const trace = {};
  const g = await calculateGenerator(hex(gen.PRS), hex(gen.CI), hex(gen.sid), trace);
  assert.equal(hexEncode(trace.genHash), gen.hash);
  assert.equal(hexEncode(g.toBytes()), gen.g);
});

test('B.3.2-B.3.6: Ya, Yb, K from both sides, ISK (initiator-responder) and sid_output', async () => {
  const g = await calculateGenerator(hex(gen.PRS), hex(gen.CI), hex(gen.sid));
  assert.equal(hexEncode(scalarMult(hex(r.ya), g)), r.Ya);
  assert.equal(hexEncode(scalarMult(hex(r.yb), g)), r.Yb);
  assert.equal(hexEncode(scalarMultVfy(hex(r.ya), hex(r.Yb))), r.K);
  assert.equal(hexEncode(scalarMultVfy(hex(r.yb), hex(r.Ya))), r.K);
  const ir = transcriptIr(hex(r.Ya), hex(r.ADa), hex(r.Yb), hex(r.ADb));
  assert.equal(hexEncode(ir), r.transcript_ir);
  assert.equal(hexEncode(lvCat(DSI_ISK, hex(gen.sid), hex(r.K))) + r.transcript_ir, r.isk_input_ir);
  const isk = await intermediateSessionKey(hex(gen.sid), hex(r.K), hex(r.Ya), hex(r.ADa), hex(r.Yb), hex(r.ADb));
  assert.equal(hexEncode(isk), r.ISK_IR);
  assert.equal(hexEncode(await sha512(utf8Encode('CPaceSidOutput'), ir)), r.sid_output_ir);
  const A = { Y: hex(r.Ya), AD: hex(r.ADa) };
  const B = { Y: hex(r.Yb), AD: hex(r.ADb) };
  for (const [y, peer] of [[r.ya, r.Yb], [r.yb, r.Ya]]) {
    const trace = {};
    const keys = await cpaceKeys(hex(y), hex(gen.sid), A, B, hex(peer), trace);
    assert.equal(hexEncode(keys.isk), r.ISK_IR);
    assert.equal(hexEncode(trace.K), r.K);
  }
});

test('testvectors.json G_Coffee25519 agrees with the text', () => {
  const j = vectors.testvectors_json.G_Coffee25519;
  for (const key of ['g', 'ya', 'Ya', 'yb', 'Yb', 'K', 'ISK_IR']) assert.equal(j[key], key === 'g' ? gen.g : r[key], key);
});

test('B.3.10: scalar_mult and scalar_mult_vfy on a valid point', () => {
  const c = r.scalar_mult_valid;
  assert.equal(hexEncode(scalarMultVfy(hex(c.s), hex(c.X))), c.scalar_mult_vfy);
  assert.equal(c.scalar_mult, c.scalar_mult_vfy);
  const p = vectors.testvectors_json.G_Coffee25519_points.Valid;
  assert.equal(hexEncode(scalarMultVfy(hex(p.s), hex(p.X))), p['G.scalar_mult_vfy(s,X)']);
});

test('B.3.11: scalar_mult_vfy refuses Y_i1 (not an encoding) and Y_i2 (the identity) as bad_key', () => {
  const points = vectors.testvectors_json.G_Coffee25519_points;
  const invalid = [...r.scalar_mult_vfy_invalid, points['Invalid Y1'], points['Invalid Y2']];
  assert.equal(invalid.length, 4);
  for (const y of invalid) {
    assert.throws(() => scalarMultVfy(hex(r.scalar_mult_valid.s), hex(y)), (e) => e instanceof CpaceError && e.code === 'bad_key', y);
  }
  // Not canonical: the field element p + 1 (the encoding of 1, plus p), and a set top bit.
  const nonCanonical = hex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f');
  assert.throws(() => scalarMultVfy(hex(r.ya), nonCanonical), (e) => e.code === 'bad_key');
  const topBit = hex(r.Yb);
  topBit[31] |= 0x80;
  assert.throws(() => scalarMultVfy(hex(r.ya), topBit), (e) => e.code === 'bad_key');
  assert.throws(() => scalarMultVfy(hex(r.ya), hex(r.Yb).subarray(0, 31)), (e) => e.code === 'bad_key');
});
