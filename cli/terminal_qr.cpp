#include "cli/terminal_qr.hpp"

#include <qrcodegen/qrcodegen.hpp>

#include <stdexcept>

namespace qrlogin::cli {

namespace {

using qrcodegen::QrCode;

constexpr int kTerminalQuietZone = 2;
constexpr int kSvgQuietZone = 4;

Result<QrCode> encode(std::string_view text) {
  try {
    return QrCode::encodeText(std::string(text).c_str(), QrCode::Ecc::MEDIUM);
  } catch (const std::exception&) {  // qrcodegen signals "too long" by throwing
    return make_error(Errc::qr_too_large, "the link is too long for a QR code");
  }
}

// Modules outside the symbol are the quiet zone: light.
bool dark(const QrCode& qr, int x, int y) {
  if (x < 0 || y < 0 || x >= qr.getSize() || y >= qr.getSize()) return false;
  return qr.getModule(x, y);
}

std::string render_utf8(const QrCode& qr, bool colours) {
  std::string out;
  const int lo = -kTerminalQuietZone, hi = qr.getSize() + kTerminalQuietZone;
  for (int y = lo; y < hi; y += 2) {
    if (colours) out += "\x1b[97;40m";  // bright white on black: blocks are light
    for (int x = lo; x < hi; ++x) {
      bool top_light = !dark(qr, x, y);
      bool bottom_light = y + 1 < hi ? !dark(qr, x, y + 1) : true;
      if (top_light && bottom_light) out += "\u2588";       // full block
      else if (top_light) out += "\u2580";                  // upper half
      else if (bottom_light) out += "\u2584";               // lower half
      else out += " ";
    }
    if (colours) out += "\x1b[0m";
    out += "\n";
  }
  return out;
}

std::string render_ascii(const QrCode& qr) {
  std::string out;
  const int lo = -kTerminalQuietZone, hi = qr.getSize() + kTerminalQuietZone;
  for (int y = lo; y < hi; ++y) {
    for (int x = lo; x < hi; ++x) out += dark(qr, x, y) ? "##" : "  ";
    out += "\n";
  }
  return out;
}

}  // namespace

Result<std::string> render_terminal_qr(std::string_view text, QrOptions options) {
  if (options.style == QrStyle::none) return std::string{};
  auto qr = encode(text);
  if (!qr) return qr.error();
  return options.style == QrStyle::ascii ? render_ascii(*qr) : render_utf8(*qr, options.ansi_colours);
}

Result<std::string> render_svg_qr(std::string_view text) {
  auto qr = encode(text);
  if (!qr) return qr.error();
  const int size = qr->getSize() + 2 * kSvgQuietZone;
  std::string path;
  for (int y = 0; y < qr->getSize(); ++y) {
    for (int x = 0; x < qr->getSize(); ++x) {
      if (!qr->getModule(x, y)) continue;
      path += 'M';
      path += std::to_string(x + kSvgQuietZone);
      path += ',';
      path += std::to_string(y + kSvgQuietZone);
      path += "h1v1h-1z";
    }
  }
  std::string dim = std::to_string(size);
  return "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
         "<svg xmlns=\"http://www.w3.org/2000/svg\" version=\"1.1\" viewBox=\"0 0 " + dim + " " + dim +
         "\" width=\"" + std::to_string(size * 8) + "\" height=\"" + std::to_string(size * 8) +
         "\" shape-rendering=\"crispEdges\">\n"
         "<rect width=\"100%\" height=\"100%\" fill=\"#ffffff\"/>\n"
         "<path d=\"" + path + "\" fill=\"#000000\"/>\n</svg>\n";
}

}  // namespace qrlogin::cli
