#pragma once
// Byte strings and their text encodings (hex for vectors and logs of public
// values, base64url without padding for the wire). Decoders are strict: a
// non-canonical encoding is an error, never silently accepted.
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "crypto/error.hpp"

namespace qrlogin {

using Bytes = std::vector<std::uint8_t>;
using ByteView = std::span<const std::uint8_t>;

ByteView as_bytes(std::string_view text) noexcept;
std::string_view as_chars(ByteView bytes) noexcept;

// Well-formed UTF-8 (RFC 3629): no overlong forms, no surrogates
// (U+D800..U+DFFF), nothing above U+10FFFF; what a strict TextDecoder accepts.
bool is_valid_utf8(ByteView text) noexcept;

// Concatenates any number of byte views into one buffer.
Bytes concat(std::initializer_list<ByteView> parts);

std::string hex_encode(ByteView bytes);
Result<Bytes> hex_decode(std::string_view hex);

std::string base64url_encode(ByteView bytes);  // no padding
// Rejects padding, characters outside the URL-safe alphabet, impossible
// lengths and non-zero trailing bits, so every byte string has exactly one
// accepted encoding.
Result<Bytes> base64url_decode(std::string_view text);

// I2OSP(value, n): big-endian, n bytes (n <= 8 significant, rest zero).
Bytes i2osp(std::uint64_t value, std::size_t n);

}  // namespace qrlogin
