// The relay's plain HTTP side: /healthz and the embedded pages.
#include "tests/integration/helpers.hpp"

namespace qrlogin::testing {

namespace {
relay_client::HttpResponse get(const RelayProcess& relay, const std::string& target, const std::string& method = "GET") {
  relay_client::HttpRequest req;
  req.port = relay.port();
  req.target = target;
  req.method = method;
  auto res = relay_client::http_request(req);
  REQUIRE(res.ok());
  return *res;
}
}  // namespace

TEST_CASE("http: /healthz answers ok with counts", "[integration]") {
  RelayProcess relay;
  auto res = get(relay, "/healthz");
  CHECK(res.status == 200);
  CHECK(res.header("Content-Type") == "application/json");
  auto body = nlohmann::json::parse(res.body);
  CHECK(body["status"] == "ok");
  CHECK(body["channels"] == 0);
}

TEST_CASE("http: the embedded pages are served with security headers", "[integration]") {
  RelayProcess relay;
  for (const char* path : {"/", "/pair"}) {
    auto res = get(relay, path);
    INFO(path);
    CHECK(res.status == 200);
    CHECK(res.header("Content-Type").starts_with("text/html"));
    CHECK(res.header("Content-Security-Policy").find("script-src 'self'") != std::string::npos);
    CHECK(res.header("X-Content-Type-Options") == "nosniff");
    CHECK(res.body.find("<html") != std::string::npos);
  }
  CHECK(get(relay, "/missing.js").status == 404);
  CHECK(get(relay, "/../CMakeLists.txt").status == 404);
  CHECK(get(relay, "/healthz", "POST").status == 405);
}

}  // namespace qrlogin::testing
