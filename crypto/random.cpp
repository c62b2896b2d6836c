#include "crypto/random.hpp"

#include <sodium.h>

#include <algorithm>
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

void ScriptedRng::fill(std::span<std::uint8_t> out) {
  // A test that runs out of scripted randomness, or asks for a different
  // size than it scripted, has a bug: stop loudly rather than go on with
  // predictable bytes.
  if (queue_.empty() || queue_.front().size() != out.size()) {
    std::fprintf(stderr, "ScriptedRng: draw %zu of %zu bytes does not match the script\n", draws_ + 1, out.size());
    std::abort();
  }
  std::copy(queue_.front().begin(), queue_.front().end(), out.begin());
  queue_.pop_front();
  ++draws_;
}

}  // namespace qrlogin
