#!/usr/bin/env node
// Extracts cpace-ristretto255-sha512.json from draft-irtf-cfrg-cpace at tag
// draft-irtf-cfrg-cpace-21 (https://github.com/cfrg/draft-irtf-cfrg-cpace):
//
//   git -C <clone> show draft-irtf-cfrg-cpace-21:draft-irtf-cfrg-cpace.md > draft.md
//   git -C <clone> show draft-irtf-cfrg-cpace-21:testvectors.json > testvectors.json
//   node tests/vectors/external/extract-cpace-vectors.mjs draft.md testvectors.json \
//     > tests/vectors/external/cpace-ristretto255-sha512.json
//
// It copies values only: from the draft's base64 "test-vectors" JSON blocks
// (appendix A.1.2, A.1.4, A.3.5; B.3.1, B.3.9, B.3.11), two hex values
// printed in B.3.5's text, and testvectors.json's G_Coffee25519 and
// G_Coffee25519_points. Nothing is computed here; the tests do that.
import { readFileSync } from 'node:fs';

const [draftPath, jsonPath] = process.argv.slice(2);
if (!draftPath || !jsonPath) {
  console.error('usage: extract-cpace-vectors.mjs draft-irtf-cfrg-cpace.md testvectors.json');
  process.exit(2);
}
const draft = readFileSync(draftPath, 'utf8').split('\n');
const published = JSON.parse(readFileSync(jsonPath, 'utf8'));

// Each heading with the lines under it, up to the next heading.
const sections = [];
for (const line of draft) {
  const m = /^(#+)\s+(.*)$/.exec(line);
  if (m && !line.startsWith(' #')) sections.push({ level: m[1].length, title: m[2].trim(), lines: [] });
  else if (sections.length) sections[sections.length - 1].lines.push(line);
}

// The section titled `title` inside the section titled `parent` (the
// draft repeats its titles once per group), at `level` if given.
function section(parent, title, level) {
  const start = sections.findIndex((s) => s.title === parent);
  if (start < 0) throw new Error(`no section "${parent}"`);
  for (let i = start + 1; i < sections.length && sections[i].level > sections[start].level; ++i) {
    if (sections[i].title === title && (!level || sections[i].level === level)) return { index: i, ...sections[i] };
  }
  throw new Error(`no section "${title}" under "${parent}"`);
}

// The base64 JSON block of a section, or of the first subsection holding one.
function jsonBlock(parent, title, level) {
  const s = section(parent, title, level);
  for (let i = s.index; i < sections.length; ++i) {
    if (i > s.index && sections[i].level <= s.level) break;
    const b64 = sections[i].lines.filter((l) => l.startsWith(' #')).map((l) => l.slice(2)).join('');
    if (b64) return JSON.parse(Buffer.from(b64, 'base64').toString('utf8'));
  }
  throw new Error(`no test-vectors block under "${title}"`);
}

// A hex value printed in a section's text after `label` ("label: (length: n bytes)").
function textHex(parent, title, label) {
  const { lines } = section(parent, title);
  const at = lines.findIndex((l) => l.trim().startsWith(label + ':') || l.trim() === label);
  if (at < 0) throw new Error(`no "${label}" in "${title}"`);
  let hex = '';
  for (let i = at + 1; i < lines.length; ++i) {
    const t = lines[i].trim();
    if (/^\(length: \d+ bytes\)$/.test(t)) continue;
    if (!/^[0-9a-f]+$/.test(t)) break;
    hex += t;
  }
  if (!hex) throw new Error(`no hex after "${label}"`);
  return hex;
}

const lower = (hex) => hex.toLowerCase();
const ascii = (text) => Buffer.from(text, 'latin1').toString('hex');

// The draft names its inputs as Python expressions: b'...' or bytes(range(n)).
function pyBytes(expr) {
  let m = /^b'([^']*)'$/.exec(expr);
  if (m) return ascii(m[1]);
  m = /^bytes\(range\((\d+)\)\)$/.exec(expr);
  if (m) return Buffer.from([...Array(Number(m[1])).keys()]).toString('hex');
  throw new Error(`cannot read the input ${expr}`);
}
function call(name, key) {
  const m = new RegExp(`^${name}\\((.*)\\)$`).exec(key);
  return m ? m[1].split(',').map(pyBytes) : null;
}

const utilities = 'Definition and test vectors for string utility functions';
const prependLen = Object.entries(jsonBlock(utilities, 'prepend\\_len test vectors'))
  .filter(([k]) => k.startsWith('prepend_len('))
  .map(([k, v]) => ({ input: call('prepend_len', k)[0], output: lower(v) }));
const lvCat = Object.entries(jsonBlock(utilities, 'Testvector for lv\\_cat()'))
  .filter(([k]) => k.startsWith('lv_cat('))
  .map(([k, v]) => ({ inputs: call('lv_cat', k), output: lower(v) }));
const transcriptIr = Object.entries(jsonBlock('Definitions and test vector ordered concatenation',
  'Test vectors transcript\\_ir function'))
  .filter(([k]) => k.startsWith('transcript_ir('))
  .map(([k, v]) => {
    const [Ya, ADa, Yb, ADb] = call('transcript_ir', k);
    return { Ya, ADa, Yb, ADb, output: lower(v) };
  });

const group = 'Test vector for CPace using group ristretto255 and hash SHA-512';
const gen = jsonBlock(group, 'Test vectors for calculate\\_generator with group ristretto255');
const run = jsonBlock(group, 'Testvectors as JSON file encoded as BASE64', 3);  // B.3.9
const points = jsonBlock(group, 'Invalid inputs for scalar\\_mult\\_vfy');
const isk = 'Test vector for ISK calculation initiator/responder';

const lowerAll = (obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) =>
  [k, typeof v === 'string' ? lower(v) : lowerAll(v)]));

const out = {
  description: 'CPace test vectors for CPACE-RISTR255-SHA512 and the string utilities, copied from ' +
    'draft-irtf-cfrg-cpace-21 (IETF Trust; see README.md) by extract-cpace-vectors.mjs; do not edit',
  source: {
    repository: 'https://github.com/cfrg/draft-irtf-cfrg-cpace',
    tag: 'draft-irtf-cfrg-cpace-21',
    files: ['draft-irtf-cfrg-cpace.md', 'testvectors.json'],
  },
  prepend_len: prependLen,       // A.1.2
  lv_cat: lvCat,                 // A.1.4
  transcript_ir: transcriptIr,   // A.3.5
  ristretto255: {
    generator: {                 // B.3.1
      H: gen.H,
      s_in_bytes: gen['H.s_in_bytes'],
      DSI: lower(gen.DSI),
      PRS: lower(gen.PRS),
      zpad_length: gen['ZPAD length'],
      CI: lower(gen.CI),
      sid: lower(gen.sid),
      generator_string: lower(gen['generator_string(G.DSI,PRS,CI,sid,H.s_in_bytes)']),
      hash: lower(gen['hash result']),
      g: lower(gen['encoded generator g']),
    },
    ya: lower(run.ya), ADa: lower(run.ADa), Ya: lower(run.Ya),       // B.3.2
    yb: lower(run.yb), ADb: lower(run.ADb), Yb: lower(run.Yb),       // B.3.3
    K: lower(run.K),                                                 // B.3.4
    transcript_ir: textHex(group, isk, 'transcript_ir(Ya,ADa,Yb,ADb)'),       // B.3.5
    isk_input_ir: textHex(group, isk, 'lv_cat(DSI,sid,K)||transcript_ir(Ya,ADa,Yb,ADb)'),
    ISK_IR: lower(run.ISK_IR),
    ISK_SY: lower(run.ISK_SY),                                       // B.3.6
    sid_output_ir: lower(run.sid_output_ir),                         // B.3.7
    sid_output_oc: lower(run.sid_output_oc),
    scalar_mult_valid: {                                             // B.3.10
      s: lower(points.Valid.s),
      X: lower(points.Valid.X),
      scalar_mult: lower(points.Valid['G.scalar_mult(s,decode(X))']),
      scalar_mult_vfy: lower(points.Valid['G.scalar_mult_vfy(s,X)']),
    },
    scalar_mult_vfy_invalid: [lower(points['Invalid Y1']), lower(points['Invalid Y2'])],  // B.3.11
  },
  testvectors_json: {
    G_Coffee25519: lowerAll(published.G_Coffee25519),
    G_Coffee25519_points: lowerAll(published.G_Coffee25519_points),
  },
};
process.stdout.write(JSON.stringify(out, null, 1) + '\n');
