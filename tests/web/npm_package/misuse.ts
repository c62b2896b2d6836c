// Wrong uses of the public API: tsc must refuse each line marked
// `// error TSnnnn` with that error, and nothing else
// (tests/web/npm_package.test.mjs).
import { QrloginError, Reason, startCodeReceiver, startCodeSender, startReceiver, startSender } from 'qrlogin';
import { Receiver } from 'qrlogin'; // error TS2305: internals are not exported
import { parseLink } from 'qrlogin/link.js'; // error TS2307: nor importable by path

const onLink = (link: string) => console.log(link);
const onCredential = () => true;
startReceiver({ page: 42, onLink, onCredential }); // error TS2322: page is a URL string
startReceiver({ page: 'https://app.example/pair', onCredential }); // error TS2345: onLink is required
startReceiver({ page: 'https://app.example/pair', onLink }); // error TS2345: onCredential is required
startReceiver({ page: 'https://app.example/pair', onLink, onCredential, autoAccept: 'yes' }); // error TS2322
startReceiver({ page: 'https://app.example/pair', onLink, onCredential: () => 'ok' }); // error TS2322: not an answer
startReceiver({ page: 'https://app.example/pair', onLink, onCredential, onSas: (code: number) => code }); // error TS2322
startSender('link', 'grant', { timeouts: { comparing_codes: '60s' } }); // error TS2322: milliseconds
startSender('link', 'grant', { timeout: 5000 }); // error TS2561: no such option
startSender('link', () => 'grant'); // error TS2345: a function is not a credential
startSender('link', 'grant', { onResult: (accepted: boolean) => accepted }); // error TS2322
const code: number = new QrloginError('bad_link').code; // error TS2322
new QrloginError('no_such_code'); // error TS2345: codes are a closed set
console.log(Reason.not_a_reason); // error TS2339
startSender('link', 'grant').confirm(() => 1); // error TS2345
console.log(Receiver, parseLink, code);
startCodeSender('482 1073 - 315 9065', 'grant', { onVerified: (code: string) => code }); // error TS2322
startCodeReceiver({ onCode: () => {}, onCredential, onAccept: () => 'yes' }); // error TS2322: a boolean answer
