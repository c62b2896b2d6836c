#include "relay/net/web_assets.hpp"

#include <string>

namespace qrlogin::relay {

const WebAsset* find_web_asset(std::string_view url_path) noexcept {
  if (!url_path.starts_with('/') || url_path.find("..") != std::string_view::npos) return nullptr;
  std::string_view wanted = url_path.substr(1);
  if (url_path == "/") wanted = "pages/index.html";
  else if (url_path == "/pair") wanted = "pages/pair.html";
  for (const auto& asset : web_assets())
    if (asset.path == wanted) return &asset;
  return nullptr;
}

std::string_view content_type_for(std::string_view path) noexcept {
  struct Type {
    std::string_view ext;
    std::string_view type;
  };
  static constexpr Type kTypes[] = {
      {".html", "text/html; charset=utf-8"},   {".js", "text/javascript; charset=utf-8"},
      {".mjs", "text/javascript; charset=utf-8"}, {".css", "text/css; charset=utf-8"},
      {".json", "application/json"},           {".svg", "image/svg+xml"},
      {".png", "image/png"},                   {".ico", "image/x-icon"},
      {".txt", "text/plain; charset=utf-8"},   {".wasm", "application/wasm"},
  };
  for (const auto& t : kTypes)
    if (path.ends_with(t.ext)) return t.type;
  return "application/octet-stream";
}

}  // namespace qrlogin::relay
