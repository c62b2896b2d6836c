// The typed code of the code mode (protocol-code.md, "The code"): 7 digits
// of nameplate N (finds the channel, public), 6 of password P (the secret),
// and a Damm check digit C; how it is drawn, shown, spoken and read back
// from what a person typed; the code channel's id; and the application's
// origin that the code's key is bound to.
import { base64urlEncode, concat, utf8Encode } from './bytes.js';
import { randomOf } from './random.js';

export const NAMEPLATE_DIGITS = 7;
export const PASSWORD_DIGITS = 6;
export const CODE_DIGITS = NAMEPLATE_DIGITS + PASSWORD_DIGITS + 1; // 14
// u = uint32-be(4 random bytes) is drawn again while u >= the bound: the
// largest multiple of 10^7 (10^6) below 2^32, so u mod 10^7 is uniform.
export const NAMEPLATE_BOUND = 4_290_000_000;
export const PASSWORD_BOUND = 4_294_000_000;
const LABEL_CODE_CHANNEL = 'qrlogin/v1 code channel';
const CID_RAW_BYTES = 16;

export const DAMM_TABLE = Object.freeze([
  '0317598642', '7092154863', '4206871359', '1750983426', '6123045978',
  '3674209581', '5869720134', '8945362017', '9438617205', '2581436790',
].map((row) => Object.freeze([...row].map(Number))));

export class CodeEntryError extends Error {
  // code: code_chars (a character that is neither a digit nor a separator)
  // | code_length (not 14 digits) | code_check (the check digit fails: a typo).
  constructor(code, message) {
    super(message);
    this.name = 'CodeEntryError';
    this.code = code;
  }
}

// The Damm check digit of a string of ASCII digits: 0 for a valid code.
export function dammDigit(digits) {
  let c = 0;
  for (const d of digits) c = DAMM_TABLE[c][d.charCodeAt(0) - 48];
  return c;
}

// One uniform number below 10^digits from 4-byte big-endian draws, drawn
// again at or above `bound`. Returns the digits, leading zeros kept.
export function drawDigits(random, digits, bound) {
  for (;;) {
    const b = random(4);
    const u = ((b[0] << 24) >>> 0) + (b[1] << 16) + (b[2] << 8) + b[3];
    b.fill(0);
    if (u < bound) return String(u % 10 ** digits).padStart(digits, '0');
  }
}

// A fresh code: { nameplate, password, code } (strings of ASCII digits).
export function drawCode(internal) {
  const random = randomOf(internal);
  const nameplate = drawDigits(random, NAMEPLATE_DIGITS, NAMEPLATE_BOUND);
  const password = drawDigits(random, PASSWORD_DIGITS, PASSWORD_BOUND);
  return codeOf(nameplate, password);
}

export function codeOf(nameplate, password) {
  const np = nameplate + password;
  return { nameplate, password, code: np + String(dammDigit(np)) };
}

// "482 1073 - 315 9065": the four groups, as the code is shown.
export function codeDisplay(code) {
  return `${code.slice(0, 3)} ${code.slice(3, 7)} - ${code.slice(7, 10)} ${code.slice(10)}`;
}

// "4 8 2, 1 0 7 3, 3 1 5, 9 0 6 5": one word per digit, a pause per group;
// the aria-label and what speech synthesis says.
export function codeSpoken(code) {
  return [code.slice(0, 3), code.slice(3, 7), code.slice(7, 10), code.slice(10)]
    .map((group) => [...group].join(' ')).join(', ');
}

// What typing or pasting a code may add around its digits: spaces of every
// width, line breaks, dashes and minus signs, and the invisible formatting
// characters that copy and paste carry.
function isSeparator(point) {
  return point === 0x20 || point === 0x09 || point === 0x0d || point === 0x0a || point === 0xa0 ||
    (point >= 0x2000 && point <= 0x200a) || point === 0x202f || point === 0x3000 ||
    point === 0x2d || (point >= 0x2010 && point <= 0x2015) || point === 0x2212 || point === 0xff0d ||
    point === 0xad || (point >= 0x200b && point <= 0x200f) || (point >= 0x202a && point <= 0x202e) ||
    point === 0x2060 || (point >= 0x2066 && point <= 0x2069) || point === 0xfeff;
}

// The digit 0-9 of an ASCII, fullwidth, Arabic-Indic or Extended
// Arabic-Indic digit, or -1.
function digitValue(point) {
  for (const zero of [0x30, 0xff10, 0x0660, 0x06f0]) {
    if (point >= zero && point <= zero + 9) return point - zero;
  }
  return -1;
}

// What a person typed, as { nameplate, password, code }; throws a
// CodeEntryError when it is not a valid code. Nothing is sent for any of
// these errors: the check costs the person no guess.
export function parseTypedCode(text) {
  let digits = '';
  for (const character of String(text)) {
    const point = character.codePointAt(0);
    if (isSeparator(point)) continue;
    const d = digitValue(point);
    if (d < 0) throw new CodeEntryError('code_chars', 'a code has only digits: check what you typed');
    digits += String(d);
  }
  if (digits.length !== CODE_DIGITS) {
    throw new CodeEntryError('code_length', `a code has 14 digits; this has ${digits.length}`);
  }
  if (dammDigit(digits) !== 0) throw new CodeEntryError('code_check', 'this code has a typo');
  return { nameplate: digits.slice(0, NAMEPLATE_DIGITS), password: digits.slice(NAMEPLATE_DIGITS, CODE_DIGITS - 1), code: digits };
}

// cid_raw = SHA-256("qrlogin/v1 code channel" || N)[0..16), N as 7 ASCII
// digits; text is base64url without padding.
export async function codeChannelId(nameplate) {
  if (!/^[0-9]{7}$/.test(nameplate)) throw new RangeError('a nameplate is 7 ASCII digits');
  const digest = new Uint8Array(await globalThis.crypto.subtle.digest('SHA-256',
    concat(utf8Encode(LABEL_CODE_CHANNEL), utf8Encode(nameplate))));
  const raw = digest.slice(0, CID_RAW_BYTES);
  return { raw, text: base64urlEncode(raw) };
}

export class OriginError extends Error {
  constructor(message) {
    super(message);
    this.name = 'OriginError';
    this.code = 'bad_url';
  }
}

// "app": the ASCII serialization of the page URL's origin (RFC 6454 §6.2,
// WHATWG URL), which browsers give as location.origin: lower-case scheme
// and host, IDNA A-labels, no default port, no path, no trailing slash.
// https://LOGIN.Example.com:443/pair?x gives https://login.example.com.
export function appOrigin(pageUrl) {
  let url;
  try {
    url = new URL(pageUrl);
  } catch {
    throw new OriginError(`not a URL: ${JSON.stringify(String(pageUrl))}`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new OriginError(`the page must be an http or https URL, not ${url.protocol}`);
  }
  return url.origin;
}
