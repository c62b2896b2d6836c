// The package README's examples, as an integrator writes them in
// TypeScript: must compile against the installed package's declarations
// (tests/web/npm_package.test.mjs runs tsc --noEmit on it).
import {
  checkSupport, DEFAULT_TIMEOUTS, linkChannelId, QrloginError, Reason, startReceiver, startSender,
} from 'qrlogin';
import { DEFAULT_CODE_TIMEOUTS, spentNameplatesIn, startCodeReceiver, startCodeSender } from 'qrlogin';
import type { CodeReceiverHandle, CodeSenderHandle, ShownCode } from 'qrlogin';
import type {
  CredentialAnswer, PairingStatus, QrloginErrorCode, ReceivedCredential, ReceiverHandle, SenderHandle,
} from 'qrlogin';

declare function showQrCode(link: string, expiresInMs: number): void;
declare function showCode(code: string): void;
declare function logInWith(grant: string): Promise<boolean>;
declare function mintGrant(cid: string): Promise<{ grant: string; scopes: string[] }>;
declare const sameButton: HTMLButtonElement;
declare const differentButton: HTMLButtonElement;

// Feature detection first.
const support = await checkSupport();
if (!support.ok) console.error(support.code, support.message);

// The desktop: show a QR code, receive the credential.
const receiver: ReceiverHandle = startReceiver({
  page: 'https://app.example/pair',
  relay: 'wss://relay.example',
  onLink: (link, { expiresInMs, cid }) => {
    showQrCode(link, expiresInMs);
    console.log('register', cid);
  },
  onSas: (code) => showCode(code),
  onCredential: async ({ text, isString, label }: ReceivedCredential): Promise<CredentialAnswer> => {
    console.log(isString, label);
    return (await logInWith(text)) ? true : { accepted: false, reason: 'the grant was refused' };
  },
  onStatus: (s: PairingStatus) => {
    if (s.status === 'failed') console.error(s.error.code, s.error.detail);
    else if (s.status === 'done') console.log(s.accepted, s.reason ?? '');
    else console.log(s.status);
  },
  timeouts: { ...DEFAULT_TIMEOUTS, comparing_codes: 60_000 },
  WebSocket,
});
sameButton.onclick = () => void receiver.confirm();
differentButton.onclick = () => void receiver.reject();
void receiver.typed('123456');
receiver.done.then(
  (outcome) => {
    if (outcome.accepted) console.log('logged in');
    else console.log('refused:', outcome.reason);
  },
  (error: unknown) => {
    if (error instanceof QrloginError) {
      const code: QrloginErrorCode = error.code;
      if (code === Reason.intrusion || code === 'expired') console.log('start again for a new QR code');
    }
  });

// A callback may accept by returning nothing, or refuse without a reason.
startReceiver({ page: 'http://localhost:8080/pair', onLink: () => {}, onCredential: () => {} });
startReceiver({ page: 'http://localhost:8080/pair', onLink: () => {}, onCredential: () => ({ accepted: false }) });

// The phone: scan, compare, send; the grant is minted only at confirmation.
const link = location.href;
history.replaceState(null, '', location.pathname + location.search);
const cid: string = await linkChannelId(link);
const sender: SenderHandle = startSender(link, null, {
  label: 'Alice’s phone',
  onSas: (code) => showCode(code),
  onResult: ({ accepted, reason }) => console.log(accepted ? 'Done' : `Refused: ${reason}`),
});
sameButton.onclick = async () => sender.confirm(await mintGrant(cid));
differentButton.onclick = () => sender.reject();
void sender.typed('123 456', 'a-grant');
try {
  const { accepted } = await sender.done;
  console.log(accepted);
} catch (e) {
  if (e instanceof QrloginError) console.error(e.code, e.message, e.detail);
}

// A credential given at the start: a string, or any JSON value.
startSender(link, 'token', { allowOtherOrigin: true }).cancel();
startSender(link, { grant: 'g-1', scopes: ['read'], note: undefined });
startSender(link, [1, 'two', { three: null }]);
startSender(link).confirm('late');

// Pairing by a typed code (no camera): the new device shows a code...
declare function showTypedCode(code: ShownCode, failures: number): void;
declare function askPerson(question: string): Promise<boolean>;
const cancelCodes = new AbortController();
const codeReceiver: CodeReceiverHandle = startCodeReceiver({
  page: 'https://app.example/pair',
  onCode: (shown, { failures, previous }) => {
    showTypedCode(shown, failures);
    if (previous) console.warn(previous.code);
  },
  onVerified: () => console.log('a device entered the code'),
  onAccept: ({ label }) => askPerson(`Log in from ${label || 'another device'}?`),
  onCredential: async (c: ReceivedCredential) => logInWith(c.text),
  onStatus: (s) => { if (s.status === 'attempt_failed') console.warn(s.error.code, s.failures); },
  signal: cancelCodes.signal,
  timeouts: { ...DEFAULT_CODE_TIMEOUTS, asking: 120_000 },
});
codeReceiver.done.catch((e: QrloginError) => {
  if (e.code === 'too_many_attempts') console.error(e.message);
});

// ...and the logged-in device takes what its person typed.
try {
  const typedSender: CodeSenderHandle = startCodeSender('482 1073 - 315 9065', null, {
    page: 'https://app.example/pair',
    label: "Alice's phone",
    spent: spentNameplatesIn(sessionStorage),
    onVerified: async () => {
      if (await askPerson('Send your login to the new device?')) void typedSender.confirm(await mintGrant('cid'));
      else void typedSender.reject();
    },
  });
  await typedSender.done;
} catch (e) {
  if (e instanceof QrloginError && (e.code === 'code_check' || e.code === 'code_in_use')) console.error(e.message);
}
