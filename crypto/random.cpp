#include "crypto/random.hpp"

#include <sodium.h>

#include <cstdlib>
#include <cstdio>

namespace qrlogin {

void ensure_sodium_initialised() {
  static const int result = sodium_init();
  if (result < 0) {
    std::fputs("qrlogin: libsodium failed to initialise\n", stderr);
    std::abort();
  }
}

namespace {
class SystemRng final : public Rng {
 public:
  void fill(std::span<std::uint8_t> out) override { randombytes_buf(out.data(), out.size()); }
};
}  // namespace

Rng& system_rng() {
  ensure_sodium_initialised();
  static SystemRng rng;
  return rng;
}

}  // namespace qrlogin
