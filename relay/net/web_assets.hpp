#pragma once
// The files under web/, embedded at build time (relay/net/CMakeLists.txt
// generates the table from the tree).
#include <cstddef>
#include <span>
#include <string_view>

namespace qrlogin::relay {

struct WebAsset {
  std::string_view path;  // relative to web/, e.g. "pages/index.html"
  std::span<const unsigned char> bytes;
};

std::span<const WebAsset> web_assets() noexcept;

// The asset a URL path names: "/" -> pages/index.html, "/pair" ->
// pages/pair.html, "/x/y.js" -> x/y.js. Null when there is none.
const WebAsset* find_web_asset(std::string_view url_path) noexcept;
std::string_view content_type_for(std::string_view path) noexcept;

}  // namespace qrlogin::relay
