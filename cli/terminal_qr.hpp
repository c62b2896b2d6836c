#pragma once
// The pairing link as a QR code: in the terminal (UTF-8 half blocks or
// ASCII) and as an SVG file. Error correction level M, a 4-module quiet zone
// (2 in the terminal, where space is short and the border is drawn light).
#include <string>
#include <string_view>

#include "cli/error.hpp"

namespace qrlogin::cli {

enum class QrStyle { utf8, ascii, none };

struct QrOptions {
  QrStyle style = QrStyle::utf8;
  // Paint explicit black-on-white colours (ANSI) so the code reads the same
  // on dark and light terminals; only when writing to a terminal.
  bool ansi_colours = false;
};

// UTF-8: each character is two modules stacked (upper/lower half blocks);
// a block is a LIGHT module, a space a DARK one, so with ansi_colours
// (white on black) or on a dark terminal the code shows dark-on-light.
// ASCII: two characters per module, "##" dark, "  " light.
Result<std::string> render_terminal_qr(std::string_view text, QrOptions options);
Result<std::string> render_svg_qr(std::string_view text);

}  // namespace qrlogin::cli
