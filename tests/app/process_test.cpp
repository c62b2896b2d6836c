// The qrlogin-app executable: its flags and exit statuses, and a restart on
// the same state directory that keeps sessions and devices.
#include <signal.h>

#include <catch2/catch.hpp>
#include <filesystem>

#include "cli/relay_client/client.hpp"
#include "tests/app/app_fixture.hpp"
#include "tests/support/app_process.hpp"
#include "tests/support/certs.hpp"
#include "tests/support/child_process.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;

TEST_CASE("qrlogin-app --help, --version, a bad flag and an unusable state directory") {
  auto help = run_program(QRLOGIN_APP_BINARY, {"--help"});
  CHECK(help.exit_status == 0);
  CHECK(help.output.find("--state-dir DIR") != std::string::npos);
  CHECK(help.output.find("--origin URL") != std::string::npos);

  auto version = run_program(QRLOGIN_APP_BINARY, {"--version"});
  CHECK(version.exit_status == 0);
  CHECK(version.output == std::string("qrlogin-app ") + QRLOGIN_APP_VERSION + "\n");

  auto bad = run_program(QRLOGIN_APP_BINARY, {"--listen", "nowhere"});
  CHECK(bad.exit_status == 2);
  CHECK(bad.output.find("--listen nowhere: expected HOST:PORT") != std::string::npos);
  CHECK(run_program(QRLOGIN_APP_BINARY, {"--origin", "ftp://x"}).exit_status == 2);
  CHECK(run_program(QRLOGIN_APP_BINARY, {"--grant-lifetime", "0"}).exit_status == 2);

  ScratchDir dir("app-flags");
  dir.write("file", "not a directory");
  auto unusable = run_program(QRLOGIN_APP_BINARY, {"--listen", "127.0.0.1:0", "--state-dir", dir.file("file/state")});
  CHECK(unusable.exit_status == 3);
  CHECK(unusable.output.find("cannot create the state directory") != std::string::npos);
  std::filesystem::create_directory(dir.file("garbage"));
  dir.write("garbage/app.sqlite3", std::string(4096, 'x'));
  auto not_db = run_program(QRLOGIN_APP_BINARY, {"--listen", "127.0.0.1:0", "--state-dir", dir.file("garbage")});
  CHECK(not_db.exit_status == 3);
  CHECK(not_db.output.find("not a database") != std::string::npos);
}

TEST_CASE("a restart on the same state directory keeps accounts, sessions and devices, and logs no secret") {
  ScratchDir dir("app-restart");
  const std::vector<std::string> args{"--state-dir", dir.file("state")};
  std::string cookie, token, output;
  {
    AppProcess app(args);
    Browser phone(app.port(), app.origin(), kFirefoxAndroid);
    REQUIRE(phone.post("/api/signup", {{"name", "alice"}, {"password", kPassword}}).status == 201);
    Cli cli(app.port());
    auto r = register_pairing(cli);
    auto grant = mint(phone, r.cid);
    auto redeemed = cli.post("/api/redeem", {{"cid", r.cid},
                                             {"grant", grant},
                                             {"registration_secret", r.secret},
                                             {"kind", "token"},
                                             {"device_name", "build-server"}});
    REQUIRE(redeemed.status == 201);
    cookie = phone.cookie;
    token = body_of(redeemed)["token"].get<std::string>();
    CHECK(app.stop() == 0);
    output = app.output();
    for (const auto& secret : {cookie.substr(16), token, grant, r.secret, std::string(kPassword)})
      CHECK(output.find(secret) == std::string::npos);
  }
  AppProcess again(args);
  Browser phone(again.port(), again.origin(), kFirefoxAndroid);
  phone.cookie = cookie;
  auto devices = phone.get("/api/devices");
  REQUIRE(devices.status == 200);
  auto list = body_of(devices)["devices"];
  REQUIRE(list.size() == 2);
  CHECK(list[1]["name"] == "build-server");
  Cli cli(again.port());
  cli.token = token;
  CHECK(cli.get("/api/session").status == 200);
  CHECK(again.stop() == 0);
}

TEST_CASE("qrlogin-app serves https with --tls-cert and --tls-key, and refuses a certificate that does not load") {
  ScratchDir dir("app-tls");
  auto certs = make_rsa_cert(dir.path);
  AppProcess app({"--in-memory", "--relay", "wss://127.0.0.1:9", "--tls-cert", certs.cert, "--tls-key", certs.key});
  CHECK(app.origin() == "https://127.0.0.1:" + std::to_string(app.port()));

  qrlogin::relay_client::HttpRequest request;
  request.port = app.port();
  request.tls = true;
  request.ca_file = certs.ca;
  request.target = "/api/config";
  auto config = qrlogin::relay_client::http_request(request);
  REQUIRE(config.ok());
  CHECK(config->status == 200);
  CHECK(Json::parse(config->body)["origin"] == app.origin());

  // Plain http on the TLS port gets no answer, and the server keeps serving.
  request.tls = false;
  CHECK_FALSE(qrlogin::relay_client::http_request(request).ok());
  request.tls = true;
  request.target = "/healthz";
  auto health = qrlogin::relay_client::http_request(request);
  REQUIRE(health.ok());
  CHECK(health->status == 200);
  CHECK(app.stop() == 0);

  auto missing = run_program(QRLOGIN_APP_BINARY, {"--in-memory", "--listen", "127.0.0.1:0", "--tls-cert",
                                                  dir.file("missing.pem"), "--tls-key", certs.key});
  CHECK(missing.exit_status == 1);
  CHECK(missing.output.find("missing.pem: cannot read it") != std::string::npos);
  auto half = run_program(QRLOGIN_APP_BINARY, {"--in-memory", "--tls-cert", certs.cert});
  CHECK(half.exit_status == 2);
  CHECK(half.output.find("TLS needs both --tls-cert and --tls-key") != std::string::npos);
}
