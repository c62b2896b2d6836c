#include "crypto/secret.hpp"

#include <sodium.h>

#include <cstring>
#include <utility>

namespace qrlogin {

Secret::Secret(std::size_t size, SecretMemory memory) : region_(secret_region_allocate(size, memory)), size_(size) {}

Secret Secret::copy_of(ByteView bytes, SecretMemory memory) {
  Secret s(bytes.size(), memory);
  if (!bytes.empty()) std::memcpy(s.region_.data, bytes.data(), bytes.size());
  return s;
}

Secret::Secret(Secret&& other) noexcept
    : region_(std::exchange(other.region_, {})), size_(std::exchange(other.size_, 0)) {}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    region_ = std::exchange(other.region_, {});
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Secret::~Secret() { wipe(); }

void Secret::wipe() noexcept {
  secret_region_free(std::exchange(region_, {}), size_);
  size_ = 0;
}

SecretString::SecretString(std::string&& text, SecretMemory memory) : SecretString(copy_of(text, memory)) {
  secure_wipe(text);
  text.clear();
}

SecretString SecretString::copy_of(std::string_view text, SecretMemory memory) {
  SecretString out;
  if (text.empty()) return out;
  out.text_ = Secret(text.size() + 1, memory);  // zero-filled: the last byte is the NUL
  std::memcpy(out.text_.bytes().data(), text.data(), text.size());
  return out;
}

void secure_wipe(std::span<std::uint8_t> bytes) noexcept {
  if (!bytes.empty()) sodium_memzero(bytes.data(), bytes.size());
}

void secure_wipe(std::string& text) noexcept {
  if (!text.empty()) sodium_memzero(text.data(), text.size());
}

bool ct_equal(ByteView a, ByteView b) noexcept {
  if (a.size() != b.size()) return false;  // lengths are public
  if (a.empty()) return true;
  return sodium_memcmp(a.data(), b.data(), a.size()) == 0;
}

}  // namespace qrlogin
