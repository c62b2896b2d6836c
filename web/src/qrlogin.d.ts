// Type declarations for qrlogin's public API (qrlogin.js). Written by hand
// and checked by tests/web/npm_package.test.mjs: tsc compiles an example
// against them, refuses wrong uses, and the names and codes declared here
// are compared with what qrlogin.js exports at run time. docs/js-api.md
// describes the behaviour.

/** Why a pairing ended: stable codes, the same as the C++ core's and the CLI's `--json`. */
export type ReasonCode =
  | 'sas_mismatch'
  | 'user_cancelled'
  | 'timeout'
  | 'possible_attack'
  | 'bad_commit'
  | 'bad_message'
  | 'unexpected_message'
  | 'bad_key'
  | 'bad_credential'
  | 'intrusion'
  | 'peer_aborted'
  | 'rejected'
  | 'expired'
  | 'network'
  | 'invalid_event'
  | 'wrong_code'
  | 'code_in_use'
  | 'too_many_attempts';

/**
 * Every code a QrloginError can carry: a ReasonCode for a pairing that
 * ended, or, before a pairing starts, `bad_link` (a link that is not a valid
 * v1 link, or one for another origin), `limit_exceeded` (a credential over
 * 65536 bytes of JSON), `unsupported` (no secure context or no WebCrypto
 * X25519, or a relay without code channels), `internal` (this device's own
 * WebCrypto failed; the message says how); in code mode also the
 * CodeEntryErrorCodes, `code_spent` (this page already tried this code) and
 * `unavailable` (the relay could not give the receiver a code channel).
 */
export type QrloginErrorCode =
  | ReasonCode
  | 'bad_link'
  | 'limit_exceeded'
  | 'unsupported'
  | 'internal'
  | CodeEntryErrorCode
  | 'code_spent'
  | 'unavailable';

/**
 * startCodeSender's refusals of what the person typed, before anything is
 * sent (no guess spent): `code_chars` (a character that is neither a digit
 * nor a separator), `code_length` (not 14 digits), `code_check` (the check
 * digit fails: a typo).
 */
export type CodeEntryErrorCode = 'code_chars' | 'code_length' | 'code_check';

/** The reason codes by name: `Reason.intrusion === 'intrusion'`. */
export declare const Reason: { readonly [K in ReasonCode]: K };

/** The error `done` rejects with, `onStatus` reports, and the start functions throw. */
export declare class QrloginError extends Error {
  constructor(code: QrloginErrorCode, message?: string, detail?: string);
  readonly name: 'QrloginError';
  /** Stable, for programs: branch on this. */
  code: QrloginErrorCode;
  /**
   * The precise cause, or '': the peer's reason for `peer_aborted`, the
   * receiver's reason for `rejected`, the link's own code for `bad_link`
   * (`no_key`, `relay_duplicate`, ...), `relay: <code>` for relay errors,
   * the precise reason when a failure after the codes were shown reads
   * `possible_attack`.
   */
  detail: string;
}

/**
 * The short authentication string both screens show, six digits as
 * "123 456". The people compare it; `typed()` takes it with or without the space.
 */
export type Sas = string;

/** The steps that have a timer of their own, in milliseconds. */
export type TimeoutStep = 'waiting_for_reveal' | 'waiting_for_ready' | 'comparing_codes' | 'waiting_for_result';
export type Timeouts = { readonly [K in TimeoutStep]?: number };
/** 30 s for the machines' steps, 180 s where people compare the codes. */
export declare const DEFAULT_TIMEOUTS: { readonly [K in TimeoutStep]: number };

/** Progress and endings, as `onStatus` receives them. */
export type PairingStatus =
  | {
      status:
        | 'connecting'
        | 'waiting_for_peer'
        | 'peer_joined'
        | 'peer_left'
        | 'peer_back'
        | 'reconnecting'
        | 'resumed'
        | 'comparing_codes'
        | 'delivering';
    }
  | { status: 'done'; accepted: boolean; reason?: string }
  | { status: 'failed'; error: QrloginError };

/**
 * A WebSocket constructor: the page's own (the default, globalThis.WebSocket)
 * or, in Node 20, `WebSocket` from the `ws` package (which is also given
 * `{ maxPayload }` as a third argument, so it refuses an oversized message
 * before holding it).
 */
export type WebSocketConstructor = new (
  url: string,
  protocols: string[],
  options: { maxPayload: number },
) => object;

/** A JSON value, as a credential may be (objects are sent with sorted keys, compact). */
export type JsonValue =
  | string
  | number
  | boolean
  | null
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue | undefined };

/** What arrived at the receiver. */
export interface ReceivedCredential {
  /** A string credential's exact text; any other value as compact JSON. */
  text: string;
  /** True when the sender sent a string (a token, a file's content). */
  isString: boolean;
  /** The sender's name for itself (untrusted, for display), or ''. */
  label: string;
}

/**
 * onCredential's answer: true (or nothing) accepts; false, or
 * `{ accepted: false, reason }`, refuses and tells the sender why.
 */
export type CredentialAnswer = boolean | void | { accepted: true } | { accepted: false; reason?: string };

export interface ReceiverOptions {
  /** The sender page's URL the link (and so the QR code) points at: https://, or http:// on localhost. */
  page: string;
  /** The relay's wss:// URL (ws:// on localhost); default: derived from `page`. */
  relay?: string;
  /**
   * Show `link` as a QR code. Called once the relay holds the channel, which
   * expires `expiresInMs` later. `cid`: the channel id (base64url, 22
   * characters), e.g. to register with the application first.
   */
  onLink: (link: string, info: { expiresInMs: number; cid: string }) => void;
  /** Show the code for the people to compare; then call confirm(), typed() or reject(). */
  onSas?: (code: Sas) => void;
  /** Store the credential. Called only after this side confirmed (or at once with autoAccept). */
  onCredential: (credential: ReceivedCredential) => CredentialAnswer | Promise<CredentialAnswer>;
  onStatus?: (status: PairingStatus) => void;
  /**
   * Skip this side's confirmation. Risk: whoever holds the QR code can push
   * their own credential into this device (login CSRF). Default false.
   */
  autoAccept?: boolean;
  /** Default: globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** Per-step timers; a step left out has none (the channel's lifetime still bounds it). Default DEFAULT_TIMEOUTS. */
  timeouts?: Timeouts;
}

export interface SenderOptions {
  /** This device's name, shown by the receiver. */
  label?: string;
  /** Show the code; the person then calls confirm() or reject(). */
  onSas?: (code: Sas) => void;
  /** The receiver's answer; its reason is the receiver's text (untrusted). */
  onResult?: (result: { accepted: boolean; reason: string }) => void;
  onStatus?: (status: PairingStatus) => void;
  /** Accept a link whose page is on another origin than this page. Default false. */
  allowOtherOrigin?: boolean;
  /** Default: globalThis.WebSocket. */
  WebSocket?: WebSocketConstructor;
  /** Per-step timers; a step left out has none (the channel's lifetime still bounds it). Default DEFAULT_TIMEOUTS. */
  timeouts?: Timeouts;
}

/** A credential to send: a string travels as exactly that text, any other JSON value as compact JSON. */
export type Credential = string | JsonValue;

/**
 * A pairing in progress. The methods may be called before it connected;
 * each settles once the event was handled.
 */
export interface PairingHandle<Outcome> {
  /** This side's person says the codes match. */
  confirm(): Promise<void>;
  /** This side's person says they differ: ends with `sas_mismatch`. */
  reject(): Promise<void>;
  /** The person typed the other screen's code: matches, or ends with `sas_mismatch`. */
  typed(digits: string): Promise<void>;
  /** Ends the pairing with `user_cancelled`. */
  cancel(): Promise<void>;
  /** Resolves when the pairing succeeded; rejects with a QrloginError. */
  readonly done: Promise<Outcome>;
}

/** The receiver's `done`: refused when onCredential refused. */
export type ReceiverOutcome = { accepted: true } | { accepted: false; reason: string };

export type ReceiverHandle = PairingHandle<ReceiverOutcome>;

export interface SenderHandle extends PairingHandle<{ accepted: true }> {
  /** The codes match; `credential`: the credential if the sender started with null. */
  confirm(credential?: Credential | null): Promise<void>;
  typed(digits: string, credential?: Credential | null): Promise<void>;
}

/**
 * Starts the device that shows the QR code and receives the credential.
 * Throws QrloginError('unsupported') without a secure context, TypeError
 * without onLink or onCredential.
 */
export declare function startReceiver(options: ReceiverOptions): ReceiverHandle;

/**
 * Starts the device that is logged in and sends its credential. `link`:
 * the QR code's text. `credential`: null (or undefined) to give it only at
 * confirm()/typed(), once the person compared the codes. Throws
 * QrloginError: `bad_link`, `limit_exceeded`, `bad_credential`, `unsupported`.
 */
export declare function startSender(
  link: string,
  credential?: Credential | null,
  options?: SenderOptions,
): SenderHandle;

/** The link's channel id (base64url, 22 characters); rejects with QrloginError('bad_link'). */
export declare function linkChannelId(link: string): Promise<string>;

/** Whether this browser can pair: a secure context with WebCrypto X25519. */
export declare function checkSupport(): Promise<{ ok: true } | { ok: false; code: 'unsupported'; message: string }>;

// ---- Pairing by a typed code (no camera) ----

/** A code as the receiver shows it. */
export interface ShownCode {
  /** The 14 digits, e.g. "48210733159065". */
  digits: string;
  /** Grouped for the eye: "482 1073 - 315 9065". */
  display: string;
  /** One word per digit, a pause per group: the accessible label and what speech synthesis reads. */
  spoken: string;
}

/** The steps of the code mode that have a timer of their own, in milliseconds. */
export type CodeTimeoutStep =
  | 'waiting_for_sender'
  | 'waiting_for_pake_r'
  | 'waiting_for_confirm'
  | 'confirming'
  | 'waiting_for_credential'
  | 'asking'
  | 'waiting_for_result';
export type CodeTimeouts = { readonly [K in CodeTimeoutStep]?: number };
/** 30 s for the key exchange's steps (the receiver's only once a sender joined), 180 s where people act. */
export declare const DEFAULT_CODE_TIMEOUTS: { readonly [K in CodeTimeoutStep]: number };

/** Progress and endings of a code pairing, as `onStatus` receives them. */
export type CodePairingStatus =
  | PairingStatus
  | { status: 'code_verified' | 'asking' }
  | { status: 'attempt_failed'; error: QrloginError; failures: number };

/** An AbortSignal (the DOM's or Node's): aborting it cancels the pairing. */
export interface AbortSignalLike {
  readonly aborted: boolean;
  addEventListener(type: 'abort', listener: () => void, options?: { once?: boolean }): void;
}

export interface CodeReceiverOptions {
  /** The application's page URL; its origin is bound into the code's key. Default: location.href. */
  page?: string;
  /** The relay's wss:// URL (ws:// on localhost); default: derived from `page`. */
  relay?: string;
  /**
   * Show this code. Called again with a fresh code after every failed
   * attempt (`previous`: its error) and when an unused code expires
   * (`previous`: null). `failures`: failed attempts so far (the third stops).
   */
  onCode: (code: ShownCode, info: { expiresInMs: number; failures: number; previous: QrloginError | null }) => void;
  /** A sender proved it has the code; its credential follows. */
  onVerified?: () => void;
  /** Ask the person, as a deliberate act, whether to accept a login from `label` (untrusted). */
  onAccept: (request: { label: string }) => boolean | Promise<boolean>;
  /** Store the credential, once the person accepted. */
  onCredential: (credential: ReceivedCredential) => CredentialAnswer | Promise<CredentialAnswer>;
  onStatus?: (status: CodePairingStatus) => void;
  /** Cancels, as cancel() does. */
  signal?: AbortSignalLike;
  WebSocket?: WebSocketConstructor;
  /** Default DEFAULT_CODE_TIMEOUTS. */
  timeouts?: CodeTimeouts;
}

export interface CodeReceiverHandle {
  /** Ends with `user_cancelled` (not a failed attempt). */
  cancel(): Promise<void>;
  /** Resolves when a code paired; rejects with a QrloginError (`too_many_attempts`, `unavailable`, ...). */
  readonly done: Promise<ReceiverOutcome>;
}

/** Where a sender remembers the codes it spent (only their public nameplates). */
export interface SpentNameplates {
  has(nameplate: string): boolean;
  add(nameplate: string, untilMs: number): void;
}

export interface CodeSenderOptions {
  /** The application's page URL; its origin is bound into the code's key. Default: location.href. */
  page?: string;
  relay?: string;
  /** This device's name, shown by the receiver when it asks its person. */
  label?: string;
  /** The new device proved it shows this code: ask the person to confirm(), or reject(). */
  onVerified?: () => void;
  onResult?: (result: { accepted: boolean; reason: string }) => void;
  onStatus?: (status: CodePairingStatus) => void;
  signal?: AbortSignalLike;
  /** Default: this page's memory; spentNameplatesIn(sessionStorage) survives a reload. */
  spent?: SpentNameplates;
  WebSocket?: WebSocketConstructor;
  timeouts?: CodeTimeouts;
}

export interface CodeSenderHandle {
  /** Send the credential (`credential`: when the sender started with null). */
  confirm(credential?: Credential | null): Promise<void>;
  /** Ends with `user_cancelled` and tells the receiver. */
  reject(): Promise<void>;
  cancel(): Promise<void>;
  /**
   * Resolves when the receiver accepted; rejects with a QrloginError:
   * `wrong_code`, `code_in_use` (someone else entered this code first),
   * `expired` (no device shows this code now), `rejected`, ...
   */
  readonly done: Promise<{ accepted: true }>;
}

/**
 * Starts the new device's side of a pairing by a typed code: shows a code,
 * a fresh one after each failed attempt, and stops after three. Throws
 * QrloginError('unsupported') without a secure context, TypeError without
 * onCode, onAccept or onCredential.
 */
export declare function startCodeReceiver(options: CodeReceiverOptions): CodeReceiverHandle;

/**
 * Starts the logged-in device's side with what its person typed. Throws
 * QrloginError before anything is sent: a CodeEntryErrorCode, `code_spent`,
 * `limit_exceeded`, `bad_credential`, `unsupported`.
 */
export declare function startCodeSender(
  typed: string,
  credential?: Credential | null,
  options?: CodeSenderOptions,
): CodeSenderHandle;

/** A SpentNameplates kept in `storage` (e.g. sessionStorage) under `key`. */
export declare function spentNameplatesIn(
  storage: { getItem(key: string): string | null; setItem(key: string, value: string): void },
  key?: string,
): SpentNameplates;
