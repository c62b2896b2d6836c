#pragma once
// Randomness is injected, so tests can fix every random value (transcript
// vectors) and assert when each one is drawn (the receiver's Nr only after
// HELLO). Production code uses system_rng().
#include <cstdint>
#include <deque>
#include <span>

#include "crypto/bytes.hpp"

namespace qrlogin {

class Rng {
 public:
  virtual ~Rng() = default;
  virtual void fill(std::span<std::uint8_t> out) = 0;
};

// The operating system's CSPRNG (libsodium randombytes_buf).
Rng& system_rng();

// Hands out queued byte strings in order, one per fill() of the same size;
// for tests and vector generators only. Records how many draws were made.
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

// Calls sodium_init() once; every entry point that uses libsodium calls it.
void ensure_sodium_initialised();

}  // namespace qrlogin
