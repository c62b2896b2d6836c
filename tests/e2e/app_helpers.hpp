#pragma once
// What the --app end-to-end tests share: the real qrlogin-app as a child
// process, a phone's account with its token in a file, and the two CLI
// commands run against them with --json.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <memory>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/cli_runs.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// qrlogin-app on 127.0.0.1:0, in memory, naming the relay; `extra`: more
// of its options (e.g. --other-network refuse).
class AppProcess {
 public:
  explicit AppProcess(std::uint16_t relay_port, const std::vector<std::string>& extra = {})
      : process_(options(relay_port, extra)) {
    auto line = process_.wait_for_line("\"listening\"", 20s);
    if (!line) throw std::runtime_error("qrlogin-app did not start: " + process_.out());
    auto json = Json::parse(*line);
    port_ = json["port"].get<std::uint16_t>();
    origin_ = json["origin"].get<std::string>();
  }
  ~AppProcess() { process_.stop(SIGTERM, 10s); }
  AppProcess(const AppProcess&) = delete;
  AppProcess& operator=(const AppProcess&) = delete;

  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& origin() const { return origin_; }

  // A call as a program makes it: no Origin, a bearer token when given.
  [[nodiscard]] HttpReply call(const std::string& method, const std::string& path, const std::string& token = {},
                               const Json& body = nullptr) const {
    HttpCall c{method, path, {}, {}};
    if (!body.is_null()) {
      c.body = body.dump();
      c.headers.emplace_back("Content-Type", "application/json");
    }
    if (!token.empty()) c.headers.emplace_back("Authorization", "Bearer " + token);
    return http_send(port_, c);
  }

 private:
  static ChildOptions options(std::uint16_t relay_port, const std::vector<std::string>& extra) {
    ChildOptions o;
    o.program = QRLOGIN_APP_BINARY;
    o.args = {"--listen", "127.0.0.1:0", "--in-memory", "--relay", ws_url(relay_port)};
    o.args.insert(o.args.end(), extra.begin(), extra.end());
    o.output = ChildOptions::Output::merged;
    return o;
  }
  ChildProcess process_;
  std::uint16_t port_ = 0;
  std::string origin_;
};

inline Json json_of(const HttpReply& reply) {
  auto j = Json::parse(reply.body, nullptr, false);
  return j.is_discarded() ? Json{} : j;
}

inline std::string without_newline(std::string text) {
  while (!text.empty() && text.back() == '\n') text.pop_back();
  return text;
}

// The phone: an account made with kind "token", its token in a 0600 file.
struct Phone {
  std::string token;
  std::int64_t device_id = 0;
  std::string file;
  Phone(const AppProcess& app, const ScratchDir& dir) : file(dir.file("phone-token")) {
    auto reply = app.call("POST", "/api/signup", {},
                          {{"name", "alice"}, {"password", "correct horse battery"}, {"kind", "token"},
                           {"device_name", "alice-phone"}});
    REQUIRE(reply.status == 201);
    auto j = json_of(reply);
    token = j["token"].get<std::string>();
    device_id = j["device"]["id"].get<std::int64_t>();
    dir.write("phone-token", token + "\n");
    REQUIRE(::chmod(file.c_str(), 0600) == 0);
  }
};

inline std::unique_ptr<CliProcess> receive_app(const AppProcess& app, const ScratchDir& dir,
                                               std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"receive", "--app", app.origin(), "--out", dir.file("token"), "--json", "--qr", "none"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<CliProcess>(args, std::string{}, CliProcess::Input::terminal);
}

inline std::unique_ptr<CliProcess> send_app(const AppProcess& app, const std::string& link,
                                            const std::string& token_file) {
  return std::make_unique<CliProcess>(
      std::vector<std::string>{"send", link, "--app", app.origin(), "--token-file", token_file, "--json"});
}

}  // namespace qrlogin::testing
