#pragma once
// Passwords: Argon2id through libsodium's crypto_pwhash_str (the salt and
// the parameters live in the stored string, so raising the cost later
// keeps old hashes verifiable).
#include <string>
#include <string_view>

#include "crypto/result.hpp"

namespace qrlogin::app {

// libsodium's named limits: interactive = 2 passes over 64 MiB, moderate =
// 3 passes over 256 MiB (docs/app-api.md has what each costs here).
enum class PasswordCost { interactive, moderate };

inline constexpr std::size_t kMinPasswordBytes = 8;
inline constexpr std::size_t kMaxPasswordBytes = 1024;

// Errors: internal when libsodium cannot allocate the memory it needs.
Result<std::string> password_hash(std::string_view password, PasswordCost cost);
// False for a wrong password and for a stored string that does not parse.
[[nodiscard]] bool password_verify(const std::string& stored, std::string_view password);

}  // namespace qrlogin::app
