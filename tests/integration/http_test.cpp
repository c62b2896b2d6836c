// The relay's plain HTTP side: /healthz and the embedded pages.
#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

namespace {
relay_client::HttpResponse get(const RelayProcess& relay, const std::string& target, const std::string& method = "GET") {
  relay_client::HttpRequest req;
  req.port = relay.port();
  req.target = target;
  req.method = method;
  auto res = relay_client::http_request(req);
  REQUIRE(res.ok());
  return std::move(*res);
}
}  // namespace

TEST_CASE("http: /healthz says only ok - the counts are on /metrics", "[integration]") {
  RelayProcess relay;
  auto receiver = join(relay, random_cid(), "receiver");
  auto res = get(relay, "/healthz");
  CHECK(res.status == 200);
  CHECK(res.header("Content-Type") == "application/json");
  CHECK(res.body == R"({"status":"ok"})");
  CHECK(gauges(relay)["channels"] == 1);
}

TEST_CASE("http: /healthz says why not at the connection cap", "[integration]") {
  RelayProcess relay({"--max-connections", "2"});
  auto receiver = join(relay, random_cid(), "receiver");
  // The /healthz request is the second connection: the cap is reached.
  auto res = get(relay, "/healthz");
  CHECK(res.status == 503);
  auto body = nlohmann::json::parse(res.body);
  CHECK(body["status"] == "unavailable");
  CHECK(body["reason"] == "at the connection cap (--max-connections)");
  CHECK(body.size() == 2);
}

TEST_CASE("http: the relay serves no page and no script, only its channel endpoint and /healthz", "[integration]") {
  // Whoever serves the code that handles a credential could read it: the
  // pages and their scripts come from the application, never the relay.
  RelayProcess relay;
  for (const char* path : {"/", "/pair", "/index.html", "/pages/index.html", "/pages/pair.html", "/pages/desktop.js",
                           "/pages/phone.js", "/src/qrlogin.js", "/vendor/qrcode.mjs", "/vendor/jsQR.js",
                           "/config.json", "/pages/pages.css", "/favicon.ico", "/../CMakeLists.txt"}) {
    auto res = get(relay, path);
    INFO(path);
    CHECK(res.status == 404);
    CHECK(res.header("Content-Type") == "application/json");
    CHECK(res.header("Content-Security-Policy").empty());
    CHECK(nlohmann::json::parse(res.body)["error"] == "not_found");
    CHECK_THAT(res.body, Catch::Contains("served by the application"));
  }
  CHECK(get(relay, "/healthz").status == 200);
  CHECK(get(relay, "/healthz", "POST").status == 405);
}

}  // namespace qrlogin::testing
