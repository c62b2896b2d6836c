#include "crypto/pairing/code.hpp"

#include <algorithm>
#include <array>

#include "crypto/random.hpp"

namespace qrlogin::pairing {
namespace {

constexpr std::array<std::string_view, 10> kDammTable = {
    "0317598642", "7092154863", "4206871359", "1750983426", "6123045978",
    "3674209581", "5869720134", "8945362017", "9438617205", "2581436790",
};

std::string zero_padded(std::uint32_t value, std::size_t digits) {
  std::string text(digits, '0');
  for (std::size_t i = digits; i-- > 0; value /= 10) text[i] = static_cast<char>('0' + value % 10);
  return text;
}

std::uint32_t draw_u32(Rng& rng) {
  std::array<std::uint8_t, 4> bytes{};
  rng.fill(bytes);
  auto u = (std::uint32_t{bytes[0]} << 24) | (std::uint32_t{bytes[1]} << 16) | (std::uint32_t{bytes[2]} << 8) |
           std::uint32_t{bytes[3]};
  secure_wipe(bytes);
  return u;
}

// One code point from UTF-8 at text[i], advancing i; -1 for bytes that are
// not UTF-8 (overlong, surrogate, out of range, cut short).
long next_code_point(std::string_view text, std::size_t& i) {
  auto lead = static_cast<unsigned char>(text[i]);
  std::size_t extra = 0;
  long cp = lead;
  if (lead >= 0x80) {
    if ((lead & 0xE0) == 0xC0) {
      extra = 1;
      cp = lead & 0x1F;
    } else if ((lead & 0xF0) == 0xE0) {
      extra = 2;
      cp = lead & 0x0F;
    } else if ((lead & 0xF8) == 0xF0) {
      extra = 3;
      cp = lead & 0x07;
    } else {
      return -1;
    }
  }
  if (text.size() - i <= extra) return -1;
  for (std::size_t k = 1; k <= extra; ++k) {
    auto next = static_cast<unsigned char>(text[i + k]);
    if ((next & 0xC0) != 0x80) return -1;
    cp = (cp << 6) | (next & 0x3F);
  }
  static constexpr std::array<long, 4> kSmallest = {0, 0x80, 0x800, 0x10000};
  if (cp < kSmallest[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return -1;
  i += extra + 1;
  return cp;
}

// Separators and the invisible characters copy and paste carry: dropped.
bool is_ignored(long cp) {
  switch (cp) {
    case ' ': case '\t': case '\r': case '\n': case '-':
    case 0x00A0: case 0x00AD: case 0x202F: case 0x2060: case 0x2212: case 0x3000: case 0xFEFF: case 0xFF0D:
      return true;
    default:
      return (cp >= 0x2000 && cp <= 0x200F) ||  // spaces U+2000–U+200A, then U+200B–U+200F
             (cp >= 0x2010 && cp <= 0x2015) ||  // hyphens and dashes
             (cp >= 0x202A && cp <= 0x202E) ||  // bidi embeddings and overrides
             (cp >= 0x2066 && cp <= 0x2069);    // bidi isolates
  }
}

// 0-9 for a digit of a script the contract accepts, else -1.
int digit_value(long cp) {
  for (long zero : {long{'0'}, 0xFF10L, 0x0660L, 0x06F0L})
    if (cp >= zero && cp <= zero + 9) return static_cast<int>(cp - zero);
  return -1;
}

SecretString grouped(std::string_view digits, std::initializer_list<std::size_t> group_ends, std::string_view within,
                     std::string_view between, std::size_t dash_after) {
  std::string out;
  out.reserve(64);
  std::size_t start = 0;
  for (std::size_t end : group_ends) {
    if (start != 0) out += start == dash_after ? std::string_view(" - ") : between;
    for (std::size_t k = start; k < end; ++k) {
      if (k != start) out += within;
      out.push_back(digits[k]);
    }
    start = end;
  }
  return SecretString(std::move(out));
}

}  // namespace

int damm(std::string_view digits) noexcept {
  int c = 0;
  for (char d : digits) c = kDammTable[static_cast<std::size_t>(c)][static_cast<std::size_t>(d - '0')] - '0';
  return c;
}

SecretString Code::display() const { return grouped(digits(), {3, 7, 10, 14}, "", " ", 7); }

SecretString Code::spoken() const { return grouped(digits(), {3, 7, 10, 14}, " ", ", ", 0); }

std::optional<std::string> nameplate_from_draw(std::uint32_t u) {
  if (u >= kNameplateDrawBound) return std::nullopt;
  return zero_padded(u % 10'000'000U, kNameplateDigits);
}

std::optional<std::string> password_from_draw(std::uint32_t u) {
  if (u >= kPasswordDrawBound) return std::nullopt;
  return zero_padded(u % 1'000'000U, kPasswordDigits);
}

Code draw_code() {
  auto& rng = system_rng();
  std::optional<std::string> nameplate;
  while (!nameplate) nameplate = nameplate_from_draw(draw_u32(rng));
  std::optional<std::string> password;
  while (!password) password = password_from_draw(draw_u32(rng));
  std::string digits = *nameplate + *password;
  secure_wipe(*password);
  digits.push_back(static_cast<char>('0' + damm(digits)));
  return Code(SecretString(std::move(digits)));
}

Result<Code> parse_typed_code(std::string_view typed) {
  std::string digits;
  digits.reserve(typed.size());
  auto give_up = [&](CodeErrc code, std::string message) {
    secure_wipe(digits);
    return make_error(code, std::move(message));
  };
  for (std::size_t i = 0; i < typed.size();) {
    long cp = next_code_point(typed, i);
    if (cp < 0) return give_up(CodeErrc::code_chars, "the code may hold only digits, spaces and dashes");
    if (is_ignored(cp)) continue;
    int value = digit_value(cp);
    if (value < 0) return give_up(CodeErrc::code_chars, "the code may hold only digits, spaces and dashes");
    digits.push_back(static_cast<char>('0' + value));
  }
  if (digits.size() != kCodeDigits)
    return give_up(CodeErrc::code_length, "a code has 14 digits; this has " + std::to_string(digits.size()));
  if (damm(digits) != 0) return give_up(CodeErrc::code_check, "this code has a typo: check it against the other screen");
  return Code(SecretString(std::move(digits)));
}

ChannelId code_channel_id(std::string_view nameplate) {
  auto digest = sha256({as_bytes(kLabelCodeChannel), as_bytes(nameplate)});
  ChannelId cid{};
  std::copy_n(digest.begin(), kCidRawBytes, cid.raw.begin());
  cid.text = base64url_encode(cid.raw);
  return cid;
}

}  // namespace qrlogin::pairing
