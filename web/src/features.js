// Feature detection: what qrlogin needs from the platform, with a message a
// person can act on when something is missing.
import { QrloginError } from './reason.js';

const NOT_SECURE = 'qrlogin needs a secure context: open this page over https:// (plain http:// works only on localhost), ' +
  'otherwise the browser hides WebCrypto';
const NO_SUBTLE = 'this browser has no WebCrypto (crypto.subtle): qrlogin cannot run here';
const NO_X25519 = 'this browser has no WebCrypto X25519 (it arrived in Chrome 133, Firefox 130 and Safari 17): please update it';

// Cheap synchronous checks (secure context, crypto.subtle). Throws
// QrloginError('unsupported').
export function assertSecureContext() {
  if (globalThis.isSecureContext === false) throw new QrloginError('unsupported', NOT_SECURE);
  if (!globalThis.crypto?.subtle) throw new QrloginError('unsupported', NO_SUBTLE);
}

// Resolves to { ok: true } or { ok: false, code: 'unsupported', message }.
export async function checkSupport() {
  try {
    assertSecureContext();
    await assertX25519();
    return { ok: true };
  } catch (e) {
    return { ok: false, code: e.code ?? 'unsupported', message: e.message };
  }
}

// Throws QrloginError('unsupported') without WebCrypto X25519.
export async function assertX25519() {
  assertSecureContext();
  try {
    await globalThis.crypto.subtle.generateKey({ name: 'X25519' }, false, ['deriveBits']);
  } catch {
    throw new QrloginError('unsupported', NO_X25519);
  }
}
