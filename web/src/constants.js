// The qrlogin v1 wire constants (crypto/pairing/constants.hpp): message
// types, sizes and the ASCII labels that separate every derivation.
import { AEAD_AES_256_GCM, ENC_BYTES, TAG_BYTES } from './hpke.js';

export const MessageType = Object.freeze({
  hello: 0x01,
  ready: 0x02,
  reveal: 0x03,
  credential: 0x04,
  result: 0x05,
  abort: 0x06,
});

export const AEAD_ID = AEAD_AES_256_GCM;

export const CID_RAW_BYTES = 16;
export const CID_TEXT_CHARS = 22;
export const NONCE_BYTES = 32; // Ns and Nr
export const COMMIT_BYTES = 32;
export const PUBLIC_KEY_TEXT_CHARS = 43;
export const SAS_DIGITS = 6;

export const HELLO_FRAME_BYTES = 1 + ENC_BYTES + COMMIT_BYTES; // 65
export const SEALED_NONCE_FRAME_BYTES = 1 + NONCE_BYTES + TAG_BYTES; // 49
export const MAX_CREDENTIAL_JSON_BYTES = 65536;
export const PADDING_BLOCK = 256;
export const MAX_PADDED_CREDENTIAL_BYTES = 65792; // 4 + 65536 rounded up to 256
export const MAX_FRAME_BYTES = 1 + MAX_PADDED_CREDENTIAL_BYTES + TAG_BYTES; // 65809
// RESULT and ABORT bodies (contract rev. 3): a JSON object padded with
// spaces to exactly 128 bytes, so the frame's size says nothing about how
// the pairing ended.
export const STATUS_BODY_BYTES = 128;
export const STATUS_FRAME_BYTES = 1 + STATUS_BODY_BYTES + TAG_BYTES; // 145
// The JSON rule (contract rev. 3) for every JSON body: arrays and objects
// nest at most this deep.
export const MAX_JSON_DEPTH = 32;

export const LINK_VERSION_PREFIX = 'v1.';
export const LABEL_CHANNEL = 'qrlogin/v1 channel';
export const LABEL_INFO = 'qrlogin/v1';
export const LABEL_COMMIT = 'qrlogin/v1 commit';
export const LABEL_SAS = 'qrlogin/v1 sas';
export const LABEL_RESPONSE_KEY = 'qrlogin/v1 response key';
export const LABEL_RESPONSE_NONCE = 'qrlogin/v1 response nonce';

// The code mode (protocol-code.md): its three plain frames, their sizes and
// labels. QR machines treat these types as unexpected, code machines
// HELLO, READY and REVEAL.
export const CodeMessageType = Object.freeze({
  pakeR: 0x07,
  pakeS: 0x08,
  confirmR: 0x09,
});
export const CODE_SID_BYTES = 16;
export const CODE_ELEMENT_BYTES = 32; // a ristretto255 encoding
export const CODE_TAG_BYTES = 64; // HMAC-SHA-512
export const PAKE_R_FRAME_BYTES = 1 + CODE_SID_BYTES + CODE_ELEMENT_BYTES + ENC_BYTES; // 81
export const PAKE_S_FRAME_BYTES = 1 + CODE_ELEMENT_BYTES + ENC_BYTES + CODE_TAG_BYTES; // 129
export const CONFIRM_R_FRAME_BYTES = 1 + CODE_TAG_BYTES; // 65
export const LABEL_CODE = 'qrlogin/v1 code'; // CI's first field, psk_id, and info's prefix
export const LABEL_CODE_RECEIVER = 'qrlogin/v1 R'; // ADa's prefix
export const LABEL_CODE_SENDER = 'qrlogin/v1 S'; // ADb's prefix
export const LABEL_CODE_PSK = 'qrlogin/v1 code psk';
