#include "crypto/x25519.hpp"

#include <sodium.h>

#include "crypto/internal.hpp"
#include "crypto/random.hpp"

namespace qrlogin::internal {

x25519::KeyPair x25519_generate(Rng& rng) {
  ensure_sodium_initialised();
  x25519::KeyPair pair{Secret(x25519::kSecretKeyBytes), {}};
  rng.fill(pair.secret_key.bytes());
  crypto_scalarmult_base(pair.public_key.data(), pair.secret_key.view().data());
  return pair;
}

}  // namespace qrlogin::internal

namespace qrlogin::x25519 {

KeyPair generate() { return internal::x25519_generate(system_rng()); }

Result<KeyPair> from_secret(ByteView secret_key) {
  ensure_sodium_initialised();
  if (secret_key.size() != kSecretKeyBytes)
    return make_error(crypto::Errc::bad_length, "X25519 secret key must be 32 bytes");
  KeyPair pair{Secret::copy_of(secret_key), {}};
  crypto_scalarmult_base(pair.public_key.data(), pair.secret_key.view().data());
  return pair;
}

Result<Secret> shared_secret(ByteView secret_key, ByteView public_key) {
  ensure_sodium_initialised();
  if (secret_key.size() != kSecretKeyBytes)
    return make_error(crypto::Errc::bad_length, "X25519 secret key must be 32 bytes");
  if (public_key.size() != kPublicKeyBytes)
    return make_error(crypto::Errc::bad_length, "X25519 public key must be 32 bytes");
  Secret shared(kSharedSecretBytes);
  // libsodium returns -1 when the result is all zero; check it ourselves too,
  // so the rule does not depend on the library version.
  int rc = crypto_scalarmult(shared.bytes().data(), secret_key.data(), public_key.data());
  if (rc != 0 || sodium_is_zero(shared.view().data(), shared.size()))
    return make_error(crypto::Errc::low_order_point,
                      "the peer's X25519 public key is a low-order point (shared secret would be zero)");
  return shared;
}

}  // namespace qrlogin::x25519
