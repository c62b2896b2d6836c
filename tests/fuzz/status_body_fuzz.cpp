// The RESULT and ABORT readers on arbitrary bodies, and the writers on
// arbitrary reasons: errors carry messages, a written body is always 128
// bytes and reads back as a prefix of its reason.
#include <cstdint>
#include <cstdlib>
#include <string>

#include "crypto/pairing/frames.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  // Short inputs are padded with spaces so the JSON reader is reached.
  Bytes body(data, data + size);
  if (size < kStatusBodyBytes) body.resize(kStatusBodyBytes, ' ');
  auto result = parse_result_body(body);
  if (!result && result.error().message.empty()) std::abort();
  auto abort_code = parse_abort_body(body);
  if (!abort_code && abort_code.error().message.empty()) std::abort();

  std::string reason(reinterpret_cast<const char*>(data), size);
  auto written = result_body(false, reason);
  if (written.size() != kStatusBodyBytes) std::abort();
  auto back = parse_result_body(written);
  if (!back || back->accepted) std::abort();
  auto aborted = parse_abort_body(abort_body(reason));
  if (!aborted) std::abort();
  return 0;
}
