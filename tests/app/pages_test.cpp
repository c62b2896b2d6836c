// The pages served by qrlogin-app itself (not by the relay): "/" and "/pair"
// with the headers that confine them, connect-src naming the relay given by
// --relay, the library and vendored scripts cacheable, and nothing outside
// the embedded tree.
#include <catch2/catch.hpp>
#include <string>

#include "tests/app/app_fixture.hpp"
#include "tests/support/app_process.hpp"
#include "tests/support/http_client.hpp"

using namespace qrlogin::testing;

namespace {

// "a b; c d" -> the value of directive `name` ("" when absent).
std::string directive(const std::string& csp, const std::string& name) {
  std::size_t at = 0;
  while (at < csp.size()) {
    auto end = csp.find(';', at);
    if (end == std::string::npos) end = csp.size();
    auto part = csp.substr(at, end - at);
    part.erase(0, part.find_first_not_of(' '));
    if (part.starts_with(name + " ")) return part.substr(name.size() + 1);
    at = end + 1;
  }
  return {};
}

}  // namespace

TEST_CASE("qrlogin-app serves the desktop and phone pages with the relay in connect-src") {
  ScratchDir dir("app-pages");
  AppProcess app({"--state-dir", dir.path + "/state", "--relay", "wss://relay.example:8443/ignored/path"});

  for (const std::string path : {"/", "/pair"}) {
    INFO(path);
    auto page = http_send(app.port(), HttpCall{"GET", path, {}, {}});
    REQUIRE(page.status == 200);
    CHECK(page.header("Content-Type") == "text/html; charset=utf-8");
    CHECK(page.body.find(path == "/" ? "/pages/desktop.js" : "/pages/phone.js") != std::string::npos);
    const auto csp = page.header("Content-Security-Policy");
    CHECK(directive(csp, "connect-src") == "'self' wss://relay.example:8443");
    // 'self' and the hash of the pages' import map (tests/web/vendor_import_map.test.mjs).
    CHECK(directive(csp, "script-src") == "'self' 'sha256-dRXsoNzKmIyoNyT2cZA+UN1RSj/72udOuvOUc4P2BTA='");
    CHECK(directive(csp, "default-src") == "'none'");
    CHECK(directive(csp, "frame-ancestors") == "'none'");
    CHECK(directive(csp, "require-trusted-types-for") == "'script'");
    CHECK(directive(csp, "trusted-types") == "'none'");
    CHECK(page.header("Permissions-Policy").starts_with("camera=(self), microphone=()"));
    CHECK(page.header("Cross-Origin-Opener-Policy") == "same-origin");
    CHECK(page.header("Cross-Origin-Resource-Policy") == "same-origin");
    CHECK(page.header("X-Content-Type-Options") == "nosniff");
    CHECK(page.all("Cache-Control") == std::vector<std::string>{"no-store"});
  }

  auto script = http_send(app.port(), HttpCall{"GET", "/src/qrlogin.js", {}, {}});
  CHECK(script.status == 200);
  CHECK(script.header("Content-Type") == "text/javascript; charset=utf-8");
  CHECK(script.all("Cache-Control") == std::vector<std::string>{"max-age=60"});
  CHECK(script.header("Content-Security-Policy").empty());
  CHECK(script.header("X-Content-Type-Options") == "nosniff");
  CHECK(script.body.find("export function startSender") != std::string::npos);

  auto vendored = http_send(app.port(), HttpCall{"GET", "/vendor/qrcode.mjs", {}, {}});
  CHECK(vendored.status == 200);
  CHECK(vendored.header("Content-Type") == "text/javascript; charset=utf-8");

  // The application's own C++ is not a page; nor is anything outside the tree.
  for (const std::string path : {"/app/api.cpp", "/pages/../app/main.cpp", "/nothing.js"}) {
    INFO(path);
    auto missing = http_send(app.port(), HttpCall{"GET", path, {}, {}});
    CHECK(missing.status == 404);
    CHECK(error_of(missing) == "not_found");
  }
  // The API is untouched by the pages.
  auto config = http_send(app.port(), HttpCall{"GET", "/api/config", {}, {}});
  CHECK(config.status == 200);
  CHECK(body_of(config)["relay"] == "wss://relay.example:8443/ignored/path");
  CHECK(app.stop() == 0);
}

TEST_CASE("without --relay the pages may connect to their own origin only") {
  ScratchDir dir("app-pages");
  AppProcess app({"--state-dir", dir.path + "/state"});
  auto page = http_send(app.port(), HttpCall{"GET", "/", {}, {}});
  REQUIRE(page.status == 200);
  CHECK(directive(page.header("Content-Security-Policy"), "connect-src") == "'self'");
  CHECK(app.stop() == 0);
}
