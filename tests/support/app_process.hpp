#pragma once
// The qrlogin-app executable on 127.0.0.1:0 with the given flags, started
// and waited for (its "listening" line gives the port and origin), and a
// call as a program makes it (no Origin, a bearer token when given).
// Needs QRLOGIN_APP_BINARY (the test target's definitions).
#include <signal.h>

#include <chrono>
#include <cstdint>
#include <nlohmann/json.hpp>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"

namespace qrlogin::testing {

class AppProcess {
 public:
  explicit AppProcess(std::vector<std::string> args) : process_(options(std::move(args))) {
    auto line = process_.wait_for_line("\"listening\"", std::chrono::seconds(20));
    if (!line) throw std::runtime_error("qrlogin-app did not start: " + process_.out());
    auto json = nlohmann::json::parse(*line);
    port_ = json["port"].get<std::uint16_t>();
    origin_ = json["origin"].get<std::string>();
  }
  [[nodiscard]] std::uint16_t port() const { return port_; }
  [[nodiscard]] const std::string& origin() const { return origin_; }
  [[nodiscard]] std::string output() const { return process_.out(); }
  int stop() { return process_.stop(SIGTERM, std::chrono::seconds(10)); }

  [[nodiscard]] HttpReply call(const std::string& method, const std::string& path, const std::string& token = {},
                               const nlohmann::json& body = nullptr) const {
    HttpCall c{method, path, {}, {}};
    if (!body.is_null()) {
      c.body = body.dump();
      c.headers.emplace_back("Content-Type", "application/json");
    }
    if (!token.empty()) c.headers.emplace_back("Authorization", "Bearer " + token);
    return http_send(port_, c);
  }

 private:
  static ChildOptions options(std::vector<std::string> args) {
    ChildOptions o;
    o.program = QRLOGIN_APP_BINARY;
    o.args = {"--listen", "127.0.0.1:0"};
    o.args.insert(o.args.end(), args.begin(), args.end());
    o.output = ChildOptions::Output::merged;
    return o;
  }
  ChildProcess process_;
  std::uint16_t port_ = 0;
  std::string origin_;
};

}  // namespace qrlogin::testing
