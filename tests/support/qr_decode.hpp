#pragma once
// Turning what the CLI prints or writes back into an image and decoding it
// with a real decoder (zbarimg from zbar-tools), as a phone camera would.
#include <chrono>
#include <fstream>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/child_process.hpp"

namespace qrlogin::test {

// Removes ANSI escape sequences (the CLI's colours).
inline std::string strip_ansi(std::string_view text) {
  std::string out;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if (text[i] == '\x1b' && i + 1 < text.size() && text[i + 1] == '[') {
      i += 2;
      while (i < text.size() && !(text[i] >= '@' && text[i] <= '~')) ++i;
      continue;
    }
    out.push_back(text[i]);
  }
  return out;
}

// The QR code's lines out of a terminal transcript: consecutive lines made
// only of half/full blocks and spaces (utf8 style) or '#' and spaces (ascii).
inline std::vector<std::string> qr_lines(std::string_view transcript, bool ascii) {
  std::vector<std::string> lines, best, current;
  std::string text = strip_ansi(transcript);
  std::size_t start = 0;
  while (start <= text.size()) {
    auto end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    bool is_qr = !line.empty();
    bool has_mark = false;
    for (std::size_t i = 0; i < line.size() && is_qr;) {
      if (ascii) {
        if (line[i] == '#') has_mark = true;
        else if (line[i] != ' ') is_qr = false;
        ++i;
      } else if (line[i] == ' ') {
        ++i;
      } else if (line.compare(i, 3, "\u2588") == 0 || line.compare(i, 3, "\u2580") == 0 ||
                 line.compare(i, 3, "\u2584") == 0) {
        has_mark = true;
        i += 3;
      } else {
        is_qr = false;
      }
    }
    if (is_qr && has_mark) {
      current.push_back(line);
    } else {
      if (current.size() > best.size()) best = current;
      current.clear();
    }
    start = end + 1;
  }
  if (current.size() > best.size()) best = current;
  return best;
}

// Writes the modules as a PGM image (scaled, with a white border) and
// returns its path.
inline std::string terminal_qr_to_pgm(const std::vector<std::string>& lines, bool ascii, const std::string& path) {
  std::vector<std::vector<bool>> light;  // [row][col]
  for (const auto& line : lines) {
    std::vector<bool> top, bottom;
    for (std::size_t i = 0; i < line.size();) {
      if (ascii) {
        top.push_back(line[i] != '#');
        i += 2;
      } else if (line[i] == ' ') {
        top.push_back(false), bottom.push_back(false), ++i;
      } else {
        bool full = line.compare(i, 3, "\u2588") == 0, upper = line.compare(i, 3, "\u2580") == 0;
        top.push_back(full || upper);
        bottom.push_back(full || !upper);
        i += 3;
      }
    }
    light.push_back(top);
    if (!ascii) light.push_back(bottom);
  }
  const int scale = 6, border = 4;
  int h = static_cast<int>(light.size()), w = light.empty() ? 0 : static_cast<int>(light[0].size());
  int W = (w + 2 * border) * scale, H = (h + 2 * border) * scale;
  std::ofstream out(path, std::ios::binary);
  out << "P5\n" << W << " " << H << "\n255\n";
  for (int y = 0; y < H; ++y)
    for (int x = 0; x < W; ++x) {
      int my = y / scale - border, mx = x / scale - border;
      bool l = my < 0 || mx < 0 || my >= h || mx >= w || mx >= static_cast<int>(light[static_cast<std::size_t>(my)].size()) ||
               light[static_cast<std::size_t>(my)][static_cast<std::size_t>(mx)];
      out.put(static_cast<char>(l ? 255 : 0));
    }
  return path;
}

// zbarimg's decoding of an image file; empty when nothing was found.
inline std::string zbar_decode(const std::string& image_path) {
  qrlogin::testing::ChildOptions options;
  options.program = "zbarimg";
  options.args = {"--raw", "-q", image_path};
  options.output = qrlogin::testing::ChildOptions::Output::separate;  // stdout only
  qrlogin::testing::ChildProcess zbarimg(std::move(options));
  (void)zbarimg.wait_or_kill(std::chrono::seconds{60});
  auto out = zbarimg.out();
  while (!out.empty() && (out.back() == '\n' || out.back() == '\r')) out.pop_back();
  return out;
}

}  // namespace qrlogin::test
