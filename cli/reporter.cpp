#include "cli/reporter.hpp"

#include <cstdio>

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

// C0 and C1 controls (terminal escapes: ESC, CSI as U+009B, OSC...) and the
// bidirectional overrides that can make text read differently than it is.
bool unsafe_to_print(char32_t cp) {
  return cp < 0x20 || cp == 0x7f || (cp >= 0x80 && cp <= 0x9f) || (cp >= 0x202a && cp <= 0x202e) ||
         (cp >= 0x2066 && cp <= 0x2069) || cp == 0x200e || cp == 0x200f || cp == 0x061c;
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
