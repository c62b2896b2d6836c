#include "web/app/pages.hpp"

#include <algorithm>
#include <cctype>

namespace qrlogin::app {

namespace {

// Scripts, styles and images from this origin only (no inline code, and
// DOM sinks closed by Trusted Types), no frames, forms or plugins;
// connect-src is completed by page_csp(). The one inline script is the
// pages' import map (JSON, no code; browsers load no external one), allowed
// by its hash: tests/web/vendor_import_map.test.mjs checks it against
// web/pages/*.html.
constexpr std::string_view kPageCsp =
    "default-src 'none'; script-src 'self' 'sha256-dRXsoNzKmIyoNyT2cZA+UN1RSj/72udOuvOUc4P2BTA='; "
    "style-src 'self'; img-src 'self'; media-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'; "
    "require-trusted-types-for 'script'; trusted-types 'none'; connect-src 'self'";
// The phone page scans QR codes with this origin's camera; nothing else.
constexpr std::string_view kPagePermissions = "camera=(self), microphone=(), geolocation=(), payment=(), usb=()";
// HTML is never cached (it names the scripts); scripts, styles and images briefly.
constexpr std::string_view kAssetCache = "max-age=60";

std::string_view content_type_for(std::string_view path) noexcept {
  struct Type {
    std::string_view ext;
    std::string_view type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},      {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},              {".svg", "image/svg+xml"},
      {".png", "image/png"},                      {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},      {".wasm", "application/wasm"},
  };
  for (const auto& t : kTypes)
    if (path.ends_with(t.ext)) return t.type;
  return "application/octet-stream";
}

// "wss://host:port/path" -> "wss://host:port"; empty for anything else.
std::string websocket_origin(std::string_view url) {
  std::string_view scheme;
  if (url.starts_with("wss://")) scheme = "wss://";
  else if (url.starts_with("ws://")) scheme = "ws://";
  else return {};
  auto rest = url.substr(scheme.size());
  auto end = rest.find_first_of("/?#");
  if (end != std::string_view::npos) rest = rest.substr(0, end);
  // host[:port] only: nothing that could end the directive or add another.
  auto host_char = [](char c) {
    return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '-' || c == ':' || c == '[' || c == ']';
  };
  if (rest.empty() || !std::all_of(rest.begin(), rest.end(), host_char)) return {};
  return std::string(scheme) + std::string(rest);
}

}  // namespace

const WebAsset* find_web_asset(std::string_view url_path) noexcept {
  if (!url_path.starts_with('/') || url_path.find("..") != std::string_view::npos) return nullptr;
  std::string_view wanted = url_path.substr(1);
  if (url_path == "/") wanted = "pages/index.html";
  else if (url_path == "/pair") wanted = "pages/pair.html";
  for (const auto& asset : web_assets())
    if (asset.path == wanted) return &asset;
  return nullptr;
}

std::string page_csp(std::string_view relay_url) {
  std::string csp(kPageCsp);
  if (auto ws = websocket_origin(relay_url); !ws.empty()) csp += " " + ws;
  return csp;
}

PageHandler make_page_handler(std::string relay_url) {
  return [csp = page_csp(relay_url)](const ApiRequest& request) -> std::optional<ApiResponse> {
    const auto* asset = find_web_asset(request.path);
    if (!asset) return std::nullopt;
    ApiResponse answer;
    answer.body.assign(reinterpret_cast<const char*>(asset->bytes.data()), asset->bytes.size());
    const auto type = content_type_for(asset->path);
    answer.headers.emplace_back("Content-Type", type);
    answer.headers.emplace_back("Cross-Origin-Resource-Policy", "same-origin");
    if (type.starts_with("text/html")) {
      answer.headers.emplace_back("Content-Security-Policy", csp);
      answer.headers.emplace_back("Permissions-Policy", kPagePermissions);
      answer.headers.emplace_back("Cross-Origin-Opener-Policy", "same-origin");
    } else {
      answer.headers.emplace_back("Cache-Control", kAssetCache);
    }
    return answer;
  };
}

}  // namespace qrlogin::app
