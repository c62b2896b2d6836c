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

#include "tests/support/app_process.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/cli_runs.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

using Json = nlohmann::json;
using namespace std::chrono_literals;

// qrlogin-app's flags for these tests: in memory, naming the relay;
// `extra`: more of its options (e.g. --other-network refuse).
inline std::vector<std::string> app_flags(std::uint16_t relay_port, const std::vector<std::string>& extra = {}) {
  std::vector<std::string> args{"--in-memory", "--relay", ws_url(relay_port)};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

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
