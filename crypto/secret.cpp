#include "crypto/secret.hpp"

#include <sodium.h>

#include <cstring>
#include <utility>

namespace qrlogin {

Secret::Secret(std::size_t size) : data_(size ? new std::uint8_t[size]() : nullptr), size_(size) {}

Secret Secret::copy_of(ByteView bytes) {
  Secret s(bytes.size());
  if (!bytes.empty()) std::memcpy(s.data_.get(), bytes.data(), bytes.size());
  return s;
}

Secret::Secret(Secret&& other) noexcept
    : data_(std::move(other.data_)), size_(std::exchange(other.size_, 0)) {}

Secret& Secret::operator=(Secret&& other) noexcept {
  if (this != &other) {
    wipe();
    data_ = std::move(other.data_);
    size_ = std::exchange(other.size_, 0);
  }
  return *this;
}

Secret::~Secret() { wipe(); }

void Secret::wipe() noexcept {
  if (data_) sodium_memzero(data_.get(), size_);
  data_.reset();
  size_ = 0;
}

SecretString::SecretString(std::string&& text) : SecretString(copy_of(text)) {
  secure_wipe(text);
  text.clear();
}

SecretString SecretString::copy_of(std::string_view text) {
  SecretString out;
  if (text.empty()) return out;
  out.text_ = Secret(text.size() + 1);  // zero-filled: the last byte is the NUL
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
