#pragma once
// Runs the qrlogin CLI as a child process in its own session, with stdout
// and stderr pipes, for tests that assert what a user would see. Its stdin
// is a pipe (no controlling terminal: as under cron or a CI runner), or a
// terminal: what the user types at it.
#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/child_process.hpp"

namespace qrlogin::testing {

class CliProcess {
 public:
  enum class Input { pipe, terminal };
  explicit CliProcess(std::vector<std::string> args, std::string working_dir = {}, Input input = Input::pipe);
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  void write_stdin(std::string_view text) { process_.write_stdin(text); }
  void close_stdin() { process_.close_stdin(); }
  [[nodiscard]] std::string out() const { return process_.out(); }
  [[nodiscard]] std::string err() const { return process_.err(); }
  // Waits until stdout or stderr holds `needle`.
  [[nodiscard]] bool wait_for(std::string_view needle, std::chrono::milliseconds timeout) {
    return process_.wait_for_output(needle, timeout);
  }
  // The exit code, or nullopt if it did not exit in time (it is then killed).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // The value of the first --json event line of `type` holding `key`.
  [[nodiscard]] std::string json_field(std::string_view event, std::string_view key) const;
  [[nodiscard]] int count_events(std::string_view event) const;
  void kill() { process_.kill(); }
  bool signal(int sig) { return process_.signal(sig); }

 private:
  ChildProcess process_;
};

}  // namespace qrlogin::testing
