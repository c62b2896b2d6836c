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

std::string printable(std::string_view untrusted, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0, i = 0;
  while (i < untrusted.size() && chars < max_chars) {
    auto lead = static_cast<unsigned char>(untrusted[i]);
    std::size_t len = lead < 0x80 ? 1 : lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : lead >= 0xc0 ? 2 : 1;
    if (i + len > untrusted.size()) break;  // a cut-off sequence at the end
    if (lead < 0x20 || lead == 0x7f || (lead >= 0x80 && lead < 0xc0)) {
      out.push_back('?');  // control characters (terminal escapes!) and stray continuation bytes
    } else {
      out.append(untrusted.substr(i, len));
    }
    i += len;
    ++chars;
  }
  return out;
}

}  // namespace qrlogin::cli
