#include "crypto/bytes.hpp"

#include <array>

namespace qrlogin {

ByteView as_bytes(std::string_view text) noexcept {
  return {reinterpret_cast<const std::uint8_t*>(text.data()), text.size()};
}

std::string_view as_chars(ByteView bytes) noexcept {
  return {reinterpret_cast<const char*>(bytes.data()), bytes.size()};
}

bool is_valid_utf8(ByteView text) noexcept {
  std::size_t i = 0;
  while (i < text.size()) {
    std::uint8_t lead = text[i];
    if (lead < 0x80) {
      ++i;
      continue;
    }
    std::size_t length = 0;
    std::uint8_t low = 0x80, high = 0xbf;  // the allowed range of the second byte
    if (lead >= 0xc2 && lead <= 0xdf) {
      length = 2;
    } else if (lead == 0xe0) {
      length = 3, low = 0xa0;
    } else if (lead == 0xed) {
      length = 3, high = 0x9f;
    } else if (lead >= 0xe1 && lead <= 0xef) {
      length = 3;
    } else if (lead == 0xf0) {
      length = 4, low = 0x90;
    } else if (lead == 0xf4) {
      length = 4, high = 0x8f;
    } else if (lead >= 0xf1 && lead <= 0xf3) {
      length = 4;
    } else {
      return false;
    }
    if (text.size() - i < length || text[i + 1] < low || text[i + 1] > high) return false;
    for (std::size_t k = 2; k < length; ++k)
      if (text[i + k] < 0x80 || text[i + k] > 0xbf) return false;
    i += length;
  }
  return true;
}

Bytes concat(std::initializer_list<ByteView> parts) {
  std::size_t total = 0;
  for (auto part : parts) total += part.size();
  Bytes out;
  out.reserve(total);
  for (auto part : parts) out.insert(out.end(), part.begin(), part.end());
  return out;
}

std::string hex_encode(ByteView bytes) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(bytes.size() * 2);
  for (auto b : bytes) {
    out.push_back(kDigits[b >> 4]);
    out.push_back(kDigits[b & 0x0f]);
  }
  return out;
}

namespace {
int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

constexpr std::string_view kB64Alphabet =
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

constexpr std::array<int, 256> make_b64_table() {
  std::array<int, 256> table{};
  for (auto& v : table) v = -1;
  for (std::size_t i = 0; i < kB64Alphabet.size(); ++i)
    table[static_cast<unsigned char>(kB64Alphabet[i])] = static_cast<int>(i);
  return table;
}
constexpr auto kB64Table = make_b64_table();
}  // namespace

Result<Bytes> hex_decode(std::string_view hex) {
  if (hex.size() % 2 != 0) return make_error(crypto::Errc::bad_encoding, "hex string has an odd number of digits");
  Bytes out;
  out.reserve(hex.size() / 2);
  for (std::size_t i = 0; i < hex.size(); i += 2) {
    int hi = hex_value(hex[i]);
    int lo = hex_value(hex[i + 1]);
    if (hi < 0 || lo < 0)
      return make_error(crypto::Errc::bad_encoding, "hex string has a character that is not a hex digit");
    out.push_back(static_cast<std::uint8_t>((hi << 4) | lo));
  }
  return out;
}

std::string base64url_encode(ByteView bytes) {
  std::string out;
  out.reserve((bytes.size() * 4 + 2) / 3);
  std::size_t i = 0;
  for (; i + 3 <= bytes.size(); i += 3) {
    std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8) | bytes[i + 2];
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
    out.push_back(kB64Alphabet[(v >> 6) & 63]);
    out.push_back(kB64Alphabet[v & 63]);
  }
  std::size_t rest = bytes.size() - i;
  if (rest == 1) {
    std::uint32_t v = std::uint32_t{bytes[i]} << 16;
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
  } else if (rest == 2) {
    std::uint32_t v = (std::uint32_t{bytes[i]} << 16) | (std::uint32_t{bytes[i + 1]} << 8);
    out.push_back(kB64Alphabet[(v >> 18) & 63]);
    out.push_back(kB64Alphabet[(v >> 12) & 63]);
    out.push_back(kB64Alphabet[(v >> 6) & 63]);
  }
  return out;
}

Result<Bytes> base64url_decode(std::string_view text) {
  if (text.size() % 4 == 1) return make_error(crypto::Errc::bad_encoding, "base64url text has an impossible length");
  Bytes out;
  out.reserve(text.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : text) {
    int v = kB64Table[static_cast<unsigned char>(c)];
    if (v < 0) {
      if (c == '=') return make_error(crypto::Errc::bad_encoding, "base64url text must not carry '=' padding");
      return make_error(crypto::Errc::bad_encoding, "base64url text has a character outside A-Z a-z 0-9 - _");
    }
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  // Leftover bits must be zero, or two texts would decode to the same bytes.
  if (bits > 0 && (acc & ((1u << bits) - 1)) != 0)
    return make_error(crypto::Errc::bad_encoding, "base64url text is not canonical (non-zero trailing bits)");
  return out;
}

Bytes i2osp(std::uint64_t value, std::size_t n) {
  Bytes out(n, 0);
  for (std::size_t i = 0; i < n && i < 8; ++i) out[n - 1 - i] = static_cast<std::uint8_t>(value >> (8 * i));
  return out;
}

}  // namespace qrlogin
