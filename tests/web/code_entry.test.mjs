// The typed code (web/src/code.js) on its own: Damm, drawing, the shown and
// spoken forms, what typing and pasting may add, and the three local errors.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  appOrigin, codeDisplay, codeOf, codeSpoken, dammDigit, drawCode, NAMEPLATE_BOUND, parseTypedCode, PASSWORD_BOUND,
} from '../../web/src/code.js';
import { drawingFrom, scriptedRandom } from './support.mjs';

const EXAMPLE = '48210733159065';
const errorOf = (text) => {
  try {
    return parseTypedCode(text).code;
  } catch (e) {
    return e.code;
  }
};
const u32 = (n) => n.toString(16).padStart(8, '0');

test('the example: N 4821073, P 315906 gives check digit 5, its display and spoken form', () => {
  assert.deepEqual(codeOf('4821073', '315906'), { nameplate: '4821073', password: '315906', code: EXAMPLE });
  assert.equal(dammDigit(EXAMPLE), 0);
  assert.equal(codeDisplay(EXAMPLE), '482 1073 - 315 9065');
  assert.equal(codeSpoken(EXAMPLE), '4 8 2, 1 0 7 3, 3 1 5, 9 0 6 5');
});

test('every separator and digit script of the contract is read; the shown form reads back', () => {
  const separators = [' ', '\t', '\r', '\n', '\u00a0', '\u2000', '\u2005', '\u200a', '\u202f', '\u3000', '-', '\u2010', '\u2013',
    '\u2015', '\u2212', '\uff0d', '\u00ad', '\u200b', '\u200f', '\u202a', '\u202e', '\u2060', '\u2066', '\u2069', '\ufeff'];
  for (const s of separators) assert.equal(errorOf(EXAMPLE.split('').join(s)), EXAMPLE, `U+${s.codePointAt(0).toString(16)}`);
  for (const zero of [0xff10, 0x0660, 0x06f0]) {
    const typed = [...EXAMPLE].map((d) => String.fromCodePoint(zero + Number(d))).join('');
    assert.equal(errorOf(typed), EXAMPLE, `digits from U+${zero.toString(16)}`);
  }
  assert.equal(errorOf(codeDisplay(EXAMPLE)), EXAMPLE);
  assert.equal(errorOf(codeSpoken(EXAMPLE)), 'code_chars', 'the comma of the spoken form is not a separator');
});

test('a letter, another script or a symbol is code_chars; 13 and 15 digits are code_length', () => {
  for (const bad of [`${EXAMPLE}a`, `4821O73315906 5`, `${EXAMPLE}.`, `+${EXAMPLE}`, `${EXAMPLE.slice(0, 13)}\u0967`, '😀']) {
    assert.equal(errorOf(bad), 'code_chars', bad);
  }
  assert.equal(errorOf(EXAMPLE.slice(0, 13)), 'code_length');
  assert.equal(errorOf(`${EXAMPLE}0`), 'code_length');
  assert.equal(errorOf(''), 'code_length');
});

test('every one-digit substitution and adjacent transposition of the example is code_check', () => {
  let n = 0;
  for (let i = 0; i < 14; i++) {
    for (let d = 0; d < 10; d++) {
      if (String(d) === EXAMPLE[i]) continue;
      assert.equal(errorOf(EXAMPLE.slice(0, i) + d + EXAMPLE.slice(i + 1)), 'code_check', `${i} -> ${d}`);
      n++;
    }
  }
  assert.equal(n, 126);
  for (let i = 0; i < 13; i++) {
    if (EXAMPLE[i] === EXAMPLE[i + 1]) continue;
    const swapped = EXAMPLE.slice(0, i) + EXAMPLE[i + 1] + EXAMPLE[i] + EXAMPLE.slice(i + 2);
    assert.equal(errorOf(swapped), 'code_check', `swap ${i}`);
  }
  assert.throws(() => parseTypedCode('48210733159066'), { name: 'CodeEntryError', code: 'code_check', message: 'this code has a typo' });
});

test('draws: u at a bound is drawn again, u just below it is taken, leading zeros are kept', () => {
  const random = scriptedRandom(u32(NAMEPLATE_BOUND), u32(NAMEPLATE_BOUND - 1), u32(PASSWORD_BOUND), u32(0xffffffff), u32(PASSWORD_BOUND - 1));
  const code = drawCode(drawingFrom(random));
  assert.equal(random.remaining(), 0);
  assert.equal(code.nameplate, String((NAMEPLATE_BOUND - 1) % 1e7).padStart(7, '0'));
  assert.equal(code.password, String((PASSWORD_BOUND - 1) % 1e6).padStart(6, '0'));
  assert.equal(code.nameplate, '9999999');
  assert.equal(code.password, '999999');
  const small = drawCode(drawingFrom(scriptedRandom(u32(5), u32(42))));
  assert.deepEqual([small.nameplate, small.password], ['0000005', '000042']);
  assert.equal(dammDigit(small.code), 0);
  const fresh = drawCode();
  assert.match(fresh.code, /^[0-9]{14}$/);
  assert.equal(parseTypedCode(fresh.code).code, fresh.code);
});

test('app: the origin serialization of the page URL', () => {
  assert.equal(appOrigin('https://login.example.com'), 'https://login.example.com');
  assert.equal(appOrigin('https://LOGIN.Example.com:443/pair?x'), 'https://login.example.com');
  assert.equal(appOrigin('http://127.0.0.1:8080/pair'), 'http://127.0.0.1:8080');
  assert.equal(appOrigin('HTTP://Example.com:80/'), 'http://example.com');
  assert.equal(appOrigin('https://bücher.example/pair'), 'https://xn--bcher-kva.example');
  assert.equal(appOrigin('https://[::1]:8443/'), 'https://[::1]:8443');
  for (const bad of ['file:///tmp/x', 'not a url', 'data:text/html,x', 'ws://example.com/']) {
    assert.throws(() => appOrigin(bad), (e) => e.code === 'bad_url', bad);
  }
});
