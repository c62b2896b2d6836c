#pragma once
// Reading the credential to send, and writing the credential received:
// atomically, mode 0600, never over an existing file unless asked.
#include <string>

#include "cli/error.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::cli {

// Reads a file (or standard input for "-"), at most max_bytes.
Result<Secret> read_credential(const std::string& path, std::size_t max_bytes);

// Writes bytes to path through a temporary file in the same directory
// (mode 0600, fsync, then rename or link, then fsync of the directory), so
// the path holds either nothing or the whole credential. All of it happens
// relative to one open directory, and a symlink at path is replaced, never
// followed. Without overwrite an existing path is refused, also if it
// appears while writing.
Status write_credential_file(const std::string& path, ByteView bytes, bool overwrite);

// Writes bytes to standard output in full.
Status write_credential_stdout(ByteView bytes);

}  // namespace qrlogin::cli
