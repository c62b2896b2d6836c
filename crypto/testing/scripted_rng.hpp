#pragma once
// Test-only (qrlogin::crypto_testing): an Rng that hands out queued byte
// strings in order, one per fill() of the same size, and counts the draws.
// The transcript vectors, the machine tests and the fuzzers fix their
// randomness with it, through crypto/pairing/testing/machines.hpp.
#include <cstddef>
#include <cstdint>
#include <deque>
#include <span>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"

namespace qrlogin::testing {

class ScriptedRng final : public Rng {
 public:
  void push(ByteView bytes) { queue_.emplace_back(bytes.begin(), bytes.end()); }
  void fill(std::span<std::uint8_t> out) override;
  [[nodiscard]] std::size_t draws() const noexcept { return draws_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return queue_.size(); }

 private:
  std::deque<Bytes> queue_;
  std::size_t draws_ = 0;
};

}  // namespace qrlogin::testing
