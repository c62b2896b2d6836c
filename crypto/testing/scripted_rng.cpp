#include "crypto/testing/scripted_rng.hpp"

#include <algorithm>
#include <cstdio>
#include <cstdlib>

namespace qrlogin::testing {

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

}  // namespace qrlogin::testing
