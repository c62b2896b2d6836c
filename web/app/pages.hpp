#pragma once
// The pages (web/pages, the library web/src and the vendored QR packages),
// embedded at build time by cmake/QrloginEmbedWeb.cmake and served by the
// application from its own origin: the code that handles the credential
// comes from the application, never from the relay (protocol rev. 3).
#include <cstddef>
#include <span>
#include <string>
#include <string_view>

#include "web/app/server.hpp"

namespace qrlogin::app {

struct WebAsset {
  std::string_view path;  // relative to web/, e.g. "pages/index.html"
  std::span<const unsigned char> bytes;
};

// Generated from the tree (web/app/CMakeLists.txt).
std::span<const WebAsset> web_assets() noexcept;

// The asset a URL path names: "/" -> pages/index.html, "/pair" ->
// pages/pair.html, "/x/y.js" -> x/y.js. Null when there is none.
const WebAsset* find_web_asset(std::string_view url_path) noexcept;

// The pages' Content-Security-Policy; connect-src names this origin (the
// API) and the relay's WebSocket origin taken from `relay_url` (ws:// or
// wss://; nothing when it is empty or not a plain origin).
std::string page_csp(std::string_view relay_url);

// What Server::set_pages takes: answers GET/HEAD of an embedded file with
// its type and the headers that confine it; nullopt for anything else.
PageHandler make_page_handler(std::string relay_url);

}  // namespace qrlogin::app
