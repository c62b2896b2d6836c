#pragma once
// Secret: a move-only byte buffer that wipes itself. It cannot be copied,
// compared with == (use ct_equal) or streamed, so a key cannot end up in a
// log line or a second buffer by accident. Copies must be explicit
// (Secret::copy_of) and are wiped too. Its bytes live in guarded memory
// (crypto/secure_memory.hpp: guard pages, locked, out of core dumps)
// unless the caller or the process chose the heap.
#include <cstddef>
#include <cstdint>
#include <iosfwd>
#include <span>
#include <string>
#include <string_view>

#include "crypto/bytes.hpp"
#include "crypto/secure_memory.hpp"

namespace qrlogin {

class Secret {
 public:
  Secret() noexcept = default;
  explicit Secret(std::size_t size, SecretMemory memory = default_secret_memory());  // zero-filled
  static Secret copy_of(ByteView bytes, SecretMemory memory = default_secret_memory());

  Secret(Secret&& other) noexcept;
  Secret& operator=(Secret&& other) noexcept;
  Secret(const Secret&) = delete;
  Secret& operator=(const Secret&) = delete;
  ~Secret();

  bool operator==(const Secret&) const = delete;

  [[nodiscard]] std::size_t size() const noexcept { return size_; }
  [[nodiscard]] bool empty() const noexcept { return size_ == 0; }
  [[nodiscard]] std::span<std::uint8_t> bytes() noexcept { return {region_.data, size_}; }
  [[nodiscard]] ByteView view() const noexcept { return {region_.data, size_}; }
  // Where the bytes are: guarded unless heap was asked for, or no guarded
  // region could be had.
  [[nodiscard]] SecretMemory memory() const noexcept { return region_.where; }

  // Overwrites and frees the buffer now (the destructor does the same).
  void wipe() noexcept;

 private:
  SecretRegion region_;
  std::size_t size_ = 0;
};

// SecretString: a token or password as text, with Secret's rules: move-only,
// no ==, no operator<<, no implicit conversion to std::string; wiped on
// destruction, on reassignment and by wipe(). The text is read through
// view() (or c_str() for C APIs; it is NUL-terminated). Moving it moves a
// pointer, so no stale copy is left behind (unlike std::string's SSO buffer).
class SecretString {
 public:
  SecretString() noexcept = default;
  // Takes the text over and wipes the string it came from.
  explicit SecretString(std::string&& text, SecretMemory memory = default_secret_memory());
  static SecretString copy_of(std::string_view text, SecretMemory memory = default_secret_memory());

  SecretString(SecretString&&) noexcept = default;
  SecretString& operator=(SecretString&&) noexcept = default;  // Secret's wipes the old text
  SecretString(const SecretString&) = delete;
  SecretString& operator=(const SecretString&) = delete;
  ~SecretString() = default;

  bool operator==(const SecretString&) const = delete;
  friend std::ostream& operator<<(std::ostream&, const SecretString&) = delete;

  [[nodiscard]] std::size_t size() const noexcept { return text_.empty() ? 0 : text_.size() - 1; }
  [[nodiscard]] bool empty() const noexcept { return size() == 0; }
  [[nodiscard]] std::string_view view() const noexcept {
    return {reinterpret_cast<const char*>(text_.view().data()), size()};
  }
  [[nodiscard]] const char* c_str() const noexcept { return text_.empty() ? "" : view().data(); }
  [[nodiscard]] ByteView bytes() const noexcept { return text_.view().first(size()); }

  void wipe() noexcept { text_.wipe(); }

 private:
  Secret text_;  // the text and a NUL; empty when the text is
};

// Overwrites memory in a way the optimiser cannot drop.
void secure_wipe(std::span<std::uint8_t> bytes) noexcept;
// Overwrites a string's bytes in place (its length is kept): for text that
// another type owns, such as a JSON value or a parsed message's field.
void secure_wipe(std::string& text) noexcept;

// Constant-time equality of two byte strings of public length.
[[nodiscard]] bool ct_equal(ByteView a, ByteView b) noexcept;

}  // namespace qrlogin
