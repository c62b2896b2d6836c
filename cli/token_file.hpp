#pragma once
// The device token a `qrlogin receive --app` wrote and `qrlogin send --app`
// reads: one line of text in a file only its owner can read, as ssh wants
// of a private key.
#include <string>

#include "cli/error.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::cli {

// The token in `path` (one line; a final newline is dropped). Errors
// (token_file): cannot be opened or read, not a regular file, owned by
// another user, readable or writable by group or others (the message says
// the mode and how to fix it), empty, over 4 KiB, or holding spaces or
// control characters.
Result<SecretString> read_token_file(const std::string& path);

// What a token file holds: the token and a newline.
SecretString token_file_text(const SecretString& token);

}  // namespace qrlogin::cli
