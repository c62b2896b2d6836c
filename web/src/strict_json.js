// The one JSON rule for every JSON body qrlogin reads (the credential's J,
// the RESULT and ABORT status messages; docs/protocol.md "The JSON rule"):
// RFC 8259 JSON in valid UTF-8, with no byte order mark, no lone surrogate
// escape, every number a finite IEEE 754 double, no member name twice in one
// object, and arrays and objects nested at most 32 levels deep. The same
// rule, in the same order and with the same messages, as
// crypto/pairing/strict_json.cpp. JSON.parse alone accepts lone surrogates,
// repeated names (the last wins) and 1e400 (as Infinity), so the text is
// scanned first, without recursion, and parsed only when it passed.
import { utf8DecodeStrict, utf8Encode } from './bytes.js';
import { MAX_JSON_DEPTH } from './constants.js';

const MAX_NAME_IN_MESSAGE = 40;
const SHORT_ESCAPES = { '"': '"', '\\': '\\', '/': '/', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t' };
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LONE_SURROGATE = 'has a lone surrogate escape (\\uD800 to \\uDFFF without its pair)';
const isWhitespace = (c) => c === ' ' || c === '\t' || c === '\n' || c === '\r';

class Refused extends Error {}

function twiceMessage(name) {
  const quoted = JSON.stringify(name);
  if (utf8Encode(quoted).length > MAX_NAME_IN_MESSAGE) return 'has the same member name twice in one object';
  return `has the member name ${quoted} twice`;
}

// Throws Refused with what follows the subject in the message.
function scan(text) {
  let i = 0;
  const open = []; // per open container: a Set of names (object) or null (array)
  const syntax = () => new Refused('is not valid JSON');
  const skipWhitespace = () => {
    while (i < text.length && isWhitespace(text[i])) i++;
  };
  const hex4 = () => {
    const digits = text.slice(i, i + 4);
    if (!/^[0-9a-fA-F]{4}$/.test(digits)) throw syntax();
    i += 4;
    return parseInt(digits, 16);
  };
  // A string at text[i] === '"'; returns its value.
  const readString = () => {
    i++;
    let value = '';
    for (;;) {
      if (i >= text.length) throw syntax();
      const c = text[i];
      const code = text.charCodeAt(i);
      if (c === '"') {
        i++;
        return value;
      }
      if (code < 0x20) throw syntax();
      if (c !== '\\') {
        value += c;
        i++;
        continue;
      }
      const e = text[i + 1];
      i += 2;
      if (Object.hasOwn(SHORT_ESCAPES, e ?? '')) {
        value += SHORT_ESCAPES[e];
      } else if (e === 'u') {
        const unit = hex4();
        if (unit >= 0xdc00 && unit <= 0xdfff) throw new Refused(LONE_SURROGATE);
        if (unit >= 0xd800 && unit <= 0xdbff) {
          if (text[i] !== '\\' || text[i + 1] !== 'u') throw new Refused(LONE_SURROGATE);
          i += 2;
          const low = hex4();
          if (low < 0xdc00 || low > 0xdfff) throw new Refused(LONE_SURROGATE);
          value += String.fromCharCode(unit, low);
        } else {
          value += String.fromCharCode(unit);
        }
      } else {
        throw syntax();
      }
    }
  };
  const readName = (names) => {
    if (text[i] !== '"') throw syntax();
    const name = readString();
    if (names.has(name)) throw new Refused(twiceMessage(name));
    names.add(name);
    skipWhitespace();
    if (text[i] !== ':') throw syntax();
    i++;
    skipWhitespace();
  };

  skipWhitespace();
  for (;;) {
    // A value starts at text[i].
    const c = text[i];
    if (c === '{' || c === '[') {
      if (open.length === MAX_JSON_DEPTH) throw new Refused(`nests more than ${MAX_JSON_DEPTH} levels deep`);
      i++;
      skipWhitespace();
      const names = c === '{' ? new Set() : null;
      open.push(names);
      if (text[i] !== (names ? '}' : ']')) {
        if (names) readName(names);
        continue;
      }
      i++;
      open.pop();
    } else if (c === '"') {
      readString();
    } else if (c === '-' || (c >= '0' && c <= '9')) {
      NUMBER.lastIndex = i;
      const match = NUMBER.exec(text);
      if (!match) throw syntax();
      i += match[0].length;
      if (!Number.isFinite(Number(match[0]))) throw new Refused('has a number too large for a double');
    } else if (text.startsWith('true', i)) {
      i += 4;
    } else if (text.startsWith('false', i)) {
      i += 5;
    } else if (text.startsWith('null', i)) {
      i += 4;
    } else {
      throw syntax();
    }
    // After a value: the next member or element, or the end of containers.
    for (;;) {
      skipWhitespace();
      if (open.length === 0) {
        if (i !== text.length) throw syntax();
        return;
      }
      const names = open[open.length - 1];
      if (text[i] === ',') {
        i++;
        skipWhitespace();
        if (names) readName(names);
        break;
      }
      if (text[i] !== (names ? '}' : ']')) throw syntax();
      i++;
      open.pop();
    }
  }
}

const messageFor = (subject, problem) => (problem.startsWith('is ') ? `${subject} ${problem}` : `${subject}'s JSON ${problem}`);

// The text the UTF-8 `bytes` hold, checked against the rule. Throws a
// SyntaxError whose message starts with `subject` ("the credential", "the
// status message").
export function checkStrictJson(bytes, subject) {
  let text;
  try {
    text = utf8DecodeStrict(bytes); // keeps a byte order mark, to refuse it
  } catch {
    throw new SyntaxError(`${subject} is not valid UTF-8`);
  }
  if (text.charCodeAt(0) === 0xfeff) throw new SyntaxError(`${subject} starts with a byte order mark (U+FEFF)`);
  try {
    scan(text);
  } catch (e) {
    if (e instanceof Refused) throw new SyntaxError(messageFor(subject, e.message));
    throw e;
  }
  return text;
}

// The value the UTF-8 `bytes` hold; throws as checkStrictJson.
export function parseStrictJson(bytes, subject) {
  return JSON.parse(checkStrictJson(bytes, subject));
}
