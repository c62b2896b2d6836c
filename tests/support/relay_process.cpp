#include "tests/support/relay_process.hpp"

#include <fstream>
#include <nlohmann/json.hpp>
#include <stdexcept>

namespace qrlogin::testing {

namespace {

// The relay binary with `args`, the test's environment less every
// QRLOGIN_RELAY_* variable (only what the test says) plus `env`; stdout and
// stderr as one stream.
ChildOptions relay_options(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env) {
  ChildOptions o;
  o.program = QRLOGIN_RELAY_BINARY;
  o.args = std::move(args);
  o.env = std::move(env);
  o.env_drop_prefixes = {"QRLOGIN_RELAY_"};
  o.output = ChildOptions::Output::merged;
  return o;
}

std::vector<std::string> with_free_ports(std::vector<std::string> args) {
  // Metrics on a free port too, so tests run in parallel; a test's own flag wins.
  std::vector<std::string> out = {"--listen", "127.0.0.1:0", "--metrics-listen", "127.0.0.1:0"};
  out.insert(out.end(), args.begin(), args.end());
  return out;
}

}  // namespace

RelayProcess::RelayProcess(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env)
    : process_(relay_options(with_free_ports(std::move(args)), std::move(env))) {
  auto line = process_.wait_for_line("\"event\":\"listening\"", std::chrono::seconds{20});
  if (!line) {
    process_.stop(SIGTERM, std::chrono::seconds{8});
    throw std::runtime_error("the relay did not start: " + output());
  }
  auto listening = nlohmann::json::parse(*line);
  port_ = listening.at("port").get<std::uint16_t>();
  metrics_port_ = listening.value("metrics_port", std::uint16_t{0});
  tls_ = listening.value("tls", false);
  url_ = listening.value("url", std::string{});
}

RelayProcess::~RelayProcess() { stop(); }

std::size_t RelayProcess::rss_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid()) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  return 0;
}

RelayRun run_relay(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env,
                   std::chrono::milliseconds timeout) {
  ChildProcess relay(relay_options(args, env));
  RelayRun run;
  run.exit_status = relay.wait_or_kill(timeout);
  run.output = relay.out();
  return run;
}

}  // namespace qrlogin::testing
