#pragma once
// Not installed: a code drawn from a given Rng, for the code receiver (whose
// Rng only the test-only library can replace). Four bytes for N, drawn again
// at or above its bound, then four for P likewise.
#include "crypto/pairing/code.hpp"
#include "crypto/random.hpp"

namespace qrlogin::pairing::internal {

Code draw_code(Rng& rng);

}  // namespace qrlogin::pairing::internal
