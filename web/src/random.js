// Random bytes: random(n) -> Uint8Array of n bytes, from WebCrypto.
export function systemRandom(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}

// Not part of the API. The pairing machines and HPKE's SetupBaseS draw from
// systemRandom, unless an options object carries a function under this
// symbol: the tests' way to fix every random value (the transcript vector)
// and to see when each is drawn (tests/web/support.mjs). A symbol, not a
// named option, so that no application passes it by accident (spreading
// its own options, a stray `random: ...`) and qrlogin.js, the public
// module, passes nothing of the kind.
export const INJECTED_RANDOM = Symbol('qrlogin: injected randomness (tests only)');

export function randomOf(options) {
  return options?.[INJECTED_RANDOM] ?? systemRandom;
}

// Not part of the API: the key schedule's intermediate values go to the
// object given under this symbol (the RFC 9180 vector tests).
export const KEY_SCHEDULE_TRACE = Symbol('qrlogin: key schedule trace (tests only)');
