#pragma once
// Secret: a move-only byte buffer that wipes itself. It cannot be copied,
// compared with == (use ct_equal) or streamed, so a key cannot end up in a
// log line or a second buffer by accident. Copies must be explicit
// (Secret::copy_of) and are wiped too.
#include <cstddef>
#include <cstdint>
#include <memory>
#include <span>

#include "crypto/bytes.hpp"

namespace qrlogin {

class Secret {
 public:
  Secret() noexcept = default;
  explicit Secret(std::size_t size);  // zero-filled
  static Secret copy_of(ByteView bytes);

  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret();

  bool operator==(const Secret&) const = delete;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<std::uint8_t> bytes() noexcept { return {data_.get(), size_}; }
  [[nodiscard]] ByteView view() const noexcept { return {data_.get(), size_}; }

  // Overwrites and frees the buffer now (the destructor does the same).
  void wipe() noexcept;

 private:
  std::unique_ptr<std::uint8_t[]> data_;
  std::size_t size_ = 0;
};

// Overwrites memory in a way the optimiser cannot drop.
void secure_wipe(std::span<std::uint8_t> bytes) noexcept;

// Constant-time equality of two byte strings of public length.
[[nodiscard]] bool ct_equal(ByteView a, ByteView b) noexcept;

}  // namespace qrlogin
