#include "tests/support/cli_process.hpp"

#include <nlohmann/json.hpp>
#include <sstream>

namespace qrlogin::testing {

namespace {
ChildOptions cli_options(std::vector<std::string> args, std::string working_dir, CliProcess::Input input) {
  ChildOptions o;
  o.program = QRLOGIN_CLI_BINARY;
  o.args = std::move(args);
  o.working_dir = std::move(working_dir);
  o.stdin_pipe = input == CliProcess::Input::pipe;
  o.stdin_terminal = input == CliProcess::Input::terminal;
  o.output = ChildOptions::Output::separate;
  o.new_session = true;  // no controlling terminal but the one we may give it
  return o;
}
}  // namespace

CliProcess::CliProcess(std::vector<std::string> args, std::string working_dir, Input input)
    : process_(cli_options(std::move(args), std::move(working_dir), input)) {}

std::optional<int> CliProcess::wait_exit(std::chrono::milliseconds timeout) {
  auto status = process_.wait(timeout);
  if (!status) process_.kill();
  return status;
}

std::string CliProcess::json_field(std::string_view event, std::string_view key) const {
  std::istringstream lines(out());
  std::string line;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object() || j.value("event", "") != event || !j.contains(key)) continue;
    return j[std::string(key)].is_string() ? j[std::string(key)].get<std::string>() : j[std::string(key)].dump();
  }
  return {};
}

int CliProcess::count_events(std::string_view event) const {
  std::istringstream lines(out());
  std::string line;
  int n = 0;
  while (std::getline(lines, line)) {
    auto j = nlohmann::json::parse(line, nullptr, false);
    if (!j.is_discarded() && j.is_object() && j.value("event", "") == event) ++n;
  }
  return n;
}

}  // namespace qrlogin::testing
