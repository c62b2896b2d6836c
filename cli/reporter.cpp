#include "cli/reporter.hpp"

#include <cstdio>
#include <utility>

namespace qrlogin::cli {

void Reporter::say(std::string_view text) const {
  std::fwrite(text.data(), 1, text.size(), stderr);
  std::fputc('\n', stderr);
  std::fflush(stderr);
}

void Reporter::event(std::string_view type, nlohmann::json fields, std::string_view human) const {
  if (json_) {
    nlohmann::ordered_json line;
    line["event"] = std::string(type);
    for (auto& [key, value] : fields.items()) line[key] = value;
    auto text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    std::fwrite(text.data(), 1, text.size(), stdout);
    std::fputc('\n', stdout);
    std::fflush(stdout);
  }
  if (!human.empty()) say(human);
}

namespace {
// Decodes one UTF-8 code point at text[i]; returns its length, or 0 when the
// sequence is malformed (bad lead, bad continuation, overlong, surrogate).
std::size_t utf8_decode(std::string_view text, std::size_t i, char32_t& cp) {
  auto b = [&](std::size_t k) { return static_cast<unsigned char>(text[k]); };
  unsigned char lead = b(i);
  std::size_t len = lead < 0x80 ? 1 : (lead & 0xe0) == 0xc0 ? 2 : (lead & 0xf0) == 0xe0 ? 3 : (lead & 0xf8) == 0xf0 ? 4 : 0;
  if (len == 0 || i + len > text.size()) return 0;
  cp = len == 1 ? lead : len == 2 ? (lead & 0x1fu) : len == 3 ? (lead & 0x0fu) : (lead & 0x07u);
  for (std::size_t k = 1; k < len; ++k) {
    if ((b(i + k) & 0xc0) != 0x80) return 0;
    cp = (cp << 6) | (b(i + k) & 0x3fu);
  }
  static constexpr char32_t kMin[] = {0, 0, 0x80, 0x800, 0x10000};
  if (cp < kMin[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return 0;
  return len;
}

// Unicode's format characters (category Cf: zero-width and joiners,
// bidirectional marks and overrides that can make text read differently
// than it is, U+FEFF, tags), as of Unicode 15.
constexpr std::pair<char32_t, char32_t> kFormatCharacters[] = {
    {0x00ad, 0x00ad},   {0x0600, 0x0605},   {0x061c, 0x061c},   {0x06dd, 0x06dd},   {0x070f, 0x070f},
    {0x0890, 0x0891},   {0x08e2, 0x08e2},   {0x180e, 0x180e},   {0x200b, 0x200f},   {0x202a, 0x202e},
    {0x2060, 0x2064},   {0x2066, 0x206f},   {0xfeff, 0xfeff},   {0xfff9, 0xfffb},   {0x110bd, 0x110bd},
    {0x110cd, 0x110cd}, {0x13430, 0x1343f}, {0x1bca0, 0x1bca3}, {0x1d173, 0x1d17a}, {0xe0001, 0xe0001},
    {0xe0020, 0xe007f},
};

// C0 and C1 controls (terminal escapes: ESC, CSI as U+009B, OSC...), the
// line and paragraph separators (Zl, Zp: a line break in disguise) and the
// format characters.
bool unsafe_to_print(char32_t cp) {
  if (cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || cp == 0x2028 || cp == 0x2029) return true;
  for (const auto& [first, last] : kFormatCharacters)
    if (cp >= first && cp <= last) return true;
  return false;
}
}  // namespace

ExitCode Reporter::failure(ExitCode code, std::string_view error_code, const std::string& message) const {
  event("error", {{"code", std::string(error_code)}, {"message", message}, {"exit_code", static_cast<int>(code)}},
        "qrlogin: " + message);
  return code;
}

std::string printable(std::string_view untrusted, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0, i = 0;
  while (i < untrusted.size() && chars < max_chars) {
    char32_t cp = 0;
    std::size_t len = utf8_decode(untrusted, i, cp);
    if (len == 0 || unsafe_to_print(cp)) {
      out.push_back('?');
      i += len == 0 ? 1 : len;
    } else {
      out.append(untrusted.substr(i, len));
      i += len;
    }
    ++chars;
  }
  return out;
}

}  // namespace qrlogin::cli
