// How the code machines take an error from a code_protocol.js step: the
// Reason the pairing ends with, or a rethrow for this device's own failure
// (no WebCrypto, a broken platform), which is no protocol outcome.
import { CpaceError } from './cpace.js';
import { isPlatformFailure } from './hpke.js';
import { QrloginError, Reason } from './reason.js';

const STEP_REASONS = new Set([Reason.bad_message, Reason.unexpected_message, Reason.bad_key, Reason.wrong_code]);

export function reasonOfStep(e) {
  if (e instanceof QrloginError && STEP_REASONS.has(e.code)) return e.code;
  if (e instanceof CpaceError && e.code === 'bad_key') return Reason.bad_key;
  if (isPlatformFailure(e) || (e instanceof CpaceError && e.code === 'unsupported')) {
    throw new QrloginError(e.code, e.message);
  }
  if (e instanceof QrloginError && (e.code === 'unsupported' || e.code === 'internal')) throw e;
  return Reason.bad_message;
}
