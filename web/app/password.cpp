#include "web/app/password.hpp"

#include <sodium.h>

#include "crypto/random.hpp"
#include "web/app/error.hpp"

namespace qrlogin::app {

Result<std::string> password_hash(std::string_view password, PasswordCost cost) {
  ensure_sodium_initialised();
  const bool moderate = cost == PasswordCost::moderate;
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password.data(), password.size(),
                        moderate ? crypto_pwhash_OPSLIMIT_MODERATE : crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        moderate ? crypto_pwhash_MEMLIMIT_MODERATE : crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0)
    return make_error(AppErrc::internal, "password hashing failed (out of memory)");
  return std::string(out);
}

bool password_verify(const std::string& stored, std::string_view password) {
  ensure_sodium_initialised();
  return crypto_pwhash_str_verify(stored.c_str(), password.data(), password.size()) == 0;
}

}  // namespace qrlogin::app
