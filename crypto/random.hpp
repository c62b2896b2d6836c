#pragma once
// Where random bytes come from. Everything qrlogin offers an integrator
// draws from system_rng(); no public function takes an Rng. qrlogin's own
// machines keep theirs behind a pointer, so that tests can fix every random
// value (transcript vectors) and check when each is drawn, through the
// test-only libraries (crypto/testing, crypto/pairing/testing).
#include <cstdint>
#include <span>

namespace qrlogin {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// The operating system's CSPRNG (libsodium randombytes_buf).
Rng& system_rng();

// Calls sodium_init() once; every entry point that uses libsodium calls it.
void ensure_sodium_initialised();

}  // namespace qrlogin
