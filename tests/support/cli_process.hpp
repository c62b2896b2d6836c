#pragma once
// Runs the qrlogin CLI as a child process in its own session (so it has no
// controlling terminal and answers come from the pipe we hold), with
// stdin/stdout/stderr pipes, for tests that assert what a user would see.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

namespace qrlogin::testing {

class CliProcess {
 public:
  explicit CliProcess(std::vector<std::string> args, std::string working_dir = {});
  ~CliProcess();
  CliProcess(const CliProcess&) = delete;
  CliProcess& operator=(const CliProcess&) = delete;

  void write_stdin(std::string_view text);
  void close_stdin();
  [[nodiscard]] std::string out() const;
  [[nodiscard]] std::string err() const;
  // Waits until stdout or stderr holds `needle`.
  [[nodiscard]] bool wait_for(std::string_view needle, std::chrono::milliseconds timeout);
  // The exit code, or nullopt if it did not exit in time (it is then killed).
  std::optional<int> wait_exit(std::chrono::milliseconds timeout);
  // The value of the first --json event line of `type` holding `key`.
  [[nodiscard]] std::string json_field(std::string_view event, std::string_view key) const;
  [[nodiscard]] int count_events(std::string_view event) const;
  void kill();

 private:
  void pump(int fd, std::string& sink);
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  std::optional<int> status_;
  std::thread out_reader_, err_reader_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string out_, err_;
};

}  // namespace qrlogin::testing
