// Encodings and the credential body: strict base64url, J exactly as the C++
// core prints it, the padding boundary cases of the transcript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64urlDecode, base64urlEncode, hexEncode, utf8Encode } from '../../web/src/bytes.js';
import { credentialJson, credentialJsonFromText, padCredential, unpadCredential, jsonDepth } from '../../web/src/credential.js';
import { computeSas, sasMatches } from '../../web/src/protocol.js';
import { transcript as t, hex } from './support.mjs';

test('base64url round-trips every length and has exactly one accepted encoding', () => {
  for (let n = 0; n < 40; n++) {
    const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + n) & 0xff);
    const text = base64urlEncode(bytes);
    assert.equal(text, Buffer.from(bytes).toString('base64url'));
    assert.deepEqual(base64urlDecode(text), bytes);
  }
  assert.throws(() => base64urlDecode('AAAAA'), /impossible length/);
  assert.throws(() => base64urlDecode('AA=='), /'=' padding/);
  assert.throws(() => base64urlDecode('A+A/'), /outside/);
  assert.throws(() => base64urlDecode('AB'), /not canonical/);
  assert.deepEqual(base64urlDecode('AA'), Uint8Array.of(0));
});

test('J has the keys credential, label in that order, compact, label left out when empty', () => {
  const dec = (b) => new TextDecoder().decode(b);
  assert.equal(dec(credentialJsonFromText(t.credential, t.label)), t.credential_json);
  assert.equal(dec(credentialJsonFromText('tok\n"x"')), '{"credential":"tok\\n\\"x\\""}');
  assert.equal(dec(credentialJson({ z: 1, a: [true, null, 'é'] }, 'phone')), '{"credential":{"a":[true,null,"é"],"z":1},"label":"phone"}');
  assert.equal(dec(credentialJsonFromText(utf8Encode('grant ✓'))), '{"credential":"grant ✓"}');
  assert.throws(() => credentialJsonFromText(Uint8Array.of(0xff)), (e) => e.code === 'bad_credential');
  assert.throws(() => credentialJsonFromText('\ud800'), (e) => e.code === 'bad_credential');
  assert.throws(() => credentialJson(JSON.parse('['.repeat(32) + ']'.repeat(32))), /nests more than 32 levels/);
  assert.equal(jsonDepth('{"a":"[[[[","b":[{}]}'), 3);
});

test('the padding cases of the transcript are reproduced and read back', () => {
  for (const p of t.padding) {
    const padded = padCredential(utf8Encode(p.json));
    assert.equal(padded.length, p.padded_length);
    assert.equal(hexEncode(padded), p.padded_hex);
    const back = unpadCredential(padded);
    assert.equal(back.text, JSON.parse(p.json).credential);
    assert.equal(back.isString, true);
  }
  assert.throws(() => padCredential(new Uint8Array(65537)), (e) => e.code === 'limit_exceeded');
});

test('every invalid_padding case of the transcript is refused', () => {
  for (const c of t.invalid_padding) {
    assert.throws(() => unpadCredential(hex(c.plaintext_hex)), (e) => e.code === 'bad_credential', c.why);
  }
});

test('a non-string credential arrives as compact JSON with sorted keys', () => {
  const back = unpadCredential(padCredential(utf8Encode('{"credential":{"b":1,"a":{"y":[1,2],"x":"s"}},"label":"L"}')));
  assert.deepEqual(back, { bytes: utf8Encode('{"a":{"x":"s","y":[1,2]},"b":1}'), text: '{"a":{"x":"s","y":[1,2]},"b":1}', isString: false, label: 'L' });
});

test('the SAS is six digits with a space, and a typed code matches with or without it', async () => {
  const exporter = { export: async () => hex(t.exports.sas_key) };
  assert.equal(await computeSas(exporter, hex(t.Nr), hex(t.Ns)), t.sas);
  assert.ok(sasMatches(t.sas.replace(' ', ''), t.sas));
  assert.ok(sasMatches(t.sas, t.sas));
  assert.ok(!sasMatches('12345', t.sas));
  assert.ok(!sasMatches(`${t.sas}0`, t.sas));
});
