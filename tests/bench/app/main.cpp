// qrlogin-bench-app: what a QR login costs the application. Starts the
// qrlogin-app binary twice in one run — its database on disk (a scratch
// state directory), then in memory (--in-memory) — and drives the same
// requests at each over loopback: a phone signs up once, then per login
// a CLI registers a cid, the phone mints a grant, the CLI redeems it for a
// device token. Every answer is checked. The figure is logins per second
// of the application's own CPU (utime + stime from /proc/PID/stat), so a
// saturated load generator does not skew it; the disk/memory ratio is the
// cost of durable storage (synchronous=FULL: one fsync per commit).
// Also times Argon2id at libsodium's interactive and moderate limits.
//
//   qrlogin-bench-app --app PATH [--logins N] [--quick]
#include <signal.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>
#include <string>
#include <vector>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/scratch_dir.hpp"
#include "web/app/password.hpp"

using namespace qrlogin;
using namespace qrlogin::testing;
using Json = nlohmann::json;

namespace {

// utime + stime of `pid`, in seconds.
double cpu_seconds(pid_t pid) {
  std::ifstream in("/proc/" + std::to_string(pid) + "/stat");
  std::string stat;
  std::getline(in, stat);
  std::istringstream fields(stat.substr(stat.rfind(')') + 2));
  std::string skip;
  for (int i = 3; i < 14; ++i) fields >> skip;  // fields 3..13
  unsigned long utime = 0, stime = 0;
  fields >> utime >> stime;
  return static_cast<double>(utime + stime) / static_cast<double>(sysconf(_SC_CLK_TCK));
}

std::string new_cid() {
  Bytes raw(16);
  system_rng().fill(raw);
  return base64url_encode(raw);
}

Json expect(const HttpReply& reply, unsigned status, const char* what) {
  if (reply.status != status)
    throw std::runtime_error(std::string(what) + ": HTTP " + std::to_string(reply.status) + " " + reply.body);
  return Json::parse(reply.body);
}

struct Run {
  double cpu = 0;
  double wall = 0;
  int logins = 0;
};

Run measure(const std::string& app_binary, const std::vector<std::string>& storage, int logins) {
  ChildOptions options;
  options.program = app_binary;
  options.args = {"--listen", "127.0.0.1:0", "--profile", "bench", "--threads", "1"};
  options.args.insert(options.args.end(), storage.begin(), storage.end());
  options.output = ChildOptions::Output::merged;
  ChildProcess app(options);
  auto line = app.wait_for_line("\"listening\"", std::chrono::seconds(20));
  if (!line) throw std::runtime_error("qrlogin-app did not start: " + app.out());
  auto listening = Json::parse(*line);
  const auto port = listening["port"].get<std::uint16_t>();
  const auto origin = listening["origin"].get<std::string>();

  HttpConnection phone(port), cli(port);
  const HttpCall json_post{"POST", "", "", {{"Content-Type", "application/json"}}};
  auto signup = json_post;
  signup.path = "/api/signup";
  signup.body = Json{{"name", "bench"}, {"password", "bench password"}}.dump();
  signup.headers.emplace_back("Origin", origin);
  auto reply = phone.send(signup);
  expect(reply, 201, "signup");
  const auto set = reply.header("Set-Cookie");
  const std::string cookie = set.substr(0, set.find(';'));

  const double cpu_before = cpu_seconds(app.pid());
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < logins; ++i) {
    const auto cid = new_cid();
    auto reg = json_post;
    reg.path = "/api/pairings";
    reg.body = Json{{"cid", cid}}.dump();
    auto secret = expect(cli.send(reg), 201, "register")["registration_secret"].get<std::string>();
    auto grant_call = json_post;
    grant_call.path = "/api/grants";
    grant_call.body = reg.body;
    grant_call.headers.emplace_back("Origin", origin);
    grant_call.headers.emplace_back("Cookie", cookie);
    auto grant = expect(phone.send(grant_call), 201, "mint")["grant"].get<std::string>();
    auto redeem = json_post;
    redeem.path = "/api/redeem";
    redeem.body =
        Json{{"cid", cid}, {"grant", grant}, {"registration_secret", secret}, {"kind", "token"}}.dump();
    auto redeemed = expect(cli.send(redeem), 201, "redeem");
    if (redeemed["token"].get<std::string>().size() != 43) throw std::runtime_error("redeem: no token");
  }
  Run run;
  run.wall = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  run.cpu = cpu_seconds(app.pid()) - cpu_before;
  run.logins = logins;
  if (app.stop(SIGTERM, std::chrono::seconds(10)) != 0) throw std::runtime_error("qrlogin-app did not exit cleanly");
  return run;
}

double hash_ms(app::PasswordCost cost, int rounds) {
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < rounds; ++i)
    if (!app::password_hash("bench password", cost).ok()) throw std::runtime_error("password hashing failed");
  return std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - started).count() / rounds;
}

}  // namespace

int main(int argc, char** argv) {
  std::string app_binary;
  int logins = 2000;
  for (int i = 1; i < argc; ++i) {
    std::string arg = argv[i];
    if (arg == "--app" && i + 1 < argc) app_binary = argv[++i];
    else if (arg == "--logins" && i + 1 < argc) logins = std::stoi(argv[++i]);
    else if (arg == "--quick") logins = 100;
    else {
      std::fprintf(stderr, "usage: qrlogin-bench-app --app PATH [--logins N] [--quick]\n");
      return 2;
    }
  }
  if (app_binary.empty()) {
    std::fprintf(stderr, "qrlogin-bench-app: --app PATH is required\n");
    return 2;
  }
  try {
    ScratchDir dir("bench-app");
    const Run disk = measure(app_binary, {"--state-dir", dir.file("state")}, logins);
    const Run memory = measure(app_binary, {"--in-memory"}, logins);
    for (const auto& [name, run] : {std::pair{"sqlite-disk", disk}, std::pair{"sqlite-memory", memory}}) {
      std::printf("metric app.logins_per_cpu_second %s %.0f logins/s\n", name, run.logins / run.cpu);
      std::printf("metric app.cpu_us_per_login %s %.1f us\n", name, run.cpu * 1e6 / run.logins);
      std::printf("metric app.logins_per_wall_second %s %.0f logins/s\n", name, run.logins / run.wall);
      std::printf("metric app.cpu_utilisation %s %.0f %%\n", name, 100 * run.cpu / run.wall);
    }
    std::printf("ratio  app.logins_per_cpu_second disk/memory %.2f\n",
                (disk.logins / disk.cpu) / (memory.logins / memory.cpu));
    std::printf("ratio  app.logins_per_wall_second disk/memory %.2f\n",
                (disk.logins / disk.wall) / (memory.logins / memory.wall));
    const int rounds = logins >= 1000 ? 5 : 1;
    std::printf("metric password.hash_ms interactive %.0f ms\n", hash_ms(app::PasswordCost::interactive, rounds));
    std::printf("metric password.hash_ms moderate %.0f ms\n", hash_ms(app::PasswordCost::moderate, rounds));
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qrlogin-bench-app: %s\n", e.what());
    return 1;
  }
}
