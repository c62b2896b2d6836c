// What the typed-code tests share: a wrong code no typo check catches, and
// a storage for a sender's spent nameplates that lives as long as a test.
import { dammDigit } from '../../web/src/code.js';

// The same nameplate with another password and a valid check digit: it
// passes the sender's local check and reaches the receiver as a wrong
// code. `shown`: the code's digits, or its display form.
export function wrongCodeFor(shown) {
  const digits = shown.replace(/\D/g, '');
  const password = String((Number(digits.slice(7, 13)) + 1) % 1_000_000).padStart(6, '0');
  const np = digits.slice(0, 7) + password;
  return np + String(dammDigit(np));
}

// sessionStorage's interface, in memory.
export function memoryStorage() {
  const items = new Map();
  return { getItem: (k) => items.get(k) ?? null, setItem: (k, v) => items.set(k, String(v)) };
}
