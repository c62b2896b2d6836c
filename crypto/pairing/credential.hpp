#pragma once
// The credential message body: J = {"credential": <JSON>, "label": "..."},
// framed as uint32-be(len(J)) || J || zero padding to a multiple of 256, so
// the relay learns only a 256-byte size class.
#include <string>

#include <nlohmann/json_fwd.hpp>

#include "crypto/pairing/error.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::pairing {

// What a receiver hands to its application.
struct ReceivedCredential {
  Secret bytes;        // a string credential's exact UTF-8 text, else compact JSON
  bool is_string = false;
  std::string label;   // may be empty; untrusted display text
};

// J for a credential value and an optional label. Errors: J over 65536
// bytes, a number that is not finite, J against the JSON rule (nesting).
Result<Secret> credential_json(const nlohmann::json& credential, std::string_view label);
// J for a credential that is a string (a token or a file's text). Errors:
// not valid UTF-8, J over 65536 bytes.
Result<Secret> credential_json_from_text(ByteView text, std::string_view label);

// Pads J (at most 65536 bytes) to the wire's size classes.
Result<Secret> pad_credential(ByteView json);
// Strictly undoes pad_credential and checks J. Errors (bad_credential):
// length not a multiple of 256, len(J) over 65536 or over the plaintext,
// padding not minimal or not all zero, J against the JSON rule
// (strict_json.hpp), J not an object with a "credential" member, a label
// that is not a string.
Result<ReceivedCredential> unpad_credential(ByteView plaintext);

}  // namespace qrlogin::pairing
