// Randomness is injected (random(n) -> Uint8Array of n bytes), so tests can
// fix every random value and check when each is drawn. This is the default.
export function systemRandom(n) {
  return globalThis.crypto.getRandomValues(new Uint8Array(n));
}
