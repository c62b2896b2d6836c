#pragma once
// A fuzzer's input read as a sequence of event bytes; past its end, zeros.
#include <cstddef>
#include <cstdint>

namespace qrlogin::testing {

struct EventInput {
  const std::uint8_t* data;
  std::size_t size;
  std::size_t at = 0;
  [[nodiscard]] bool done() const { return at >= size; }
  std::uint8_t byte() { return at < size ? data[at++] : 0; }
};

}  // namespace qrlogin::testing
