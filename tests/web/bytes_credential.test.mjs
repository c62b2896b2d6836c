// Encodings and the credential body: strict base64url, J exactly as the C++
// core prints it, the padding boundary cases of the transcript.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { base64urlDecode, base64urlEncode, hexEncode, utf8Encode } from '../../web/src/bytes.js';
import { credentialJson, credentialJsonFromText, padCredential, unpadCredential } from '../../web/src/credential.js';
import { parseStrictJson } from '../../web/src/strict_json.js';
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
  assert.throws(() => credentialJson({ n: Infinity }), (e) => e.code === 'bad_credential' && /not finite/.test(e.message));
  assert.throws(() => credentialJson([NaN]), (e) => e.code === 'bad_credential');
  assert.equal(new TextDecoder().decode(credentialJson({ a: '[[[[' })), '{"credential":{"a":"[[[["}}');
});

test('JSON.parse alone lets through what the JSON rule refuses', () => {
  assert.equal(JSON.parse('{"a":1e400}').a, Infinity);
  assert.equal(JSON.parse('{"a":"\\ud800"}').a, '\ud800');
  assert.equal(JSON.parse('{"a":1,"a":2}').a, 2);
  const strict = (text) => {
    try {
      parseStrictJson(utf8Encode(text), 'the text');
      return 'accepted';
    } catch (e) {
      return e.message;
    }
  };
  assert.equal(strict('{"a":1e400}'), "the text's JSON has a number too large for a double");
  assert.equal(strict('{"a":"\\ud800"}'), "the text's JSON has a lone surrogate escape (\\uD800 to \\uDFFF without its pair)");
  assert.equal(strict('{"a":{"x":1,"x":2}}'), 'the text\'s JSON has the member name "x" twice');
  assert.equal(strict(`{"${'k'.repeat(60)}":1,"${'k'.repeat(60)}":2}`), "the text's JSON has the same member name twice in one object");
  assert.equal(strict('['.repeat(33) + ']'.repeat(33)), "the text's JSON nests more than 32 levels deep");
  assert.equal(strict('['.repeat(65536)), "the text's JSON nests more than 32 levels deep");
  assert.equal(strict('\ufeff{}'), 'the text starts with a byte order mark (U+FEFF)');
  assert.equal(strict('{}\u0000'), 'the text is not valid JSON');
  assert.equal(strict('{'), 'the text is not valid JSON');
  assert.equal(strict('['.repeat(32) + ']'.repeat(32)), 'accepted');
  assert.equal(strict('{"a":{"x":1},"b":{"x":1},"x":[{"x":0}]}'), 'accepted');
  assert.equal(strict(' {"a":[1.5e3,-0,true,false,null,"\\u00e9\\/\\n"]} '), 'accepted');
});

test("the transcript's credential JSON cases are delivered or refused with its message", () => {
  const rule = t.credential_json_rule;
  for (const c of rule.valid) {
    const back = unpadCredential(hex(c.plaintext_hex));
    assert.equal(back.text, c.delivered, c.why);
    assert.equal(back.isString, c.is_string, c.why);
  }
  for (const c of rule.invalid) {
    assert.throws(() => unpadCredential(hex(c.plaintext_hex)), (e) => e.code === 'bad_credential' && e.message === c.message, c.why);
  }
  assert.ok(rule.invalid.length >= 19);
  console.log(`cases: credential JSON rule ${rule.valid.length} valid delivered, ${rule.invalid.length} invalid refused`);
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
