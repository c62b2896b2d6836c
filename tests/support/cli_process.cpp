#include "tests/support/cli_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace qrlogin::testing {

CliProcess::CliProcess(std::vector<std::string> args, std::string working_dir) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) != 0 || ::pipe2(out, O_CLOEXEC) != 0 || ::pipe2(err, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe failed");
  args.insert(args.begin(), QRLOGIN_CLI_BINARY);
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);

  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, in[0], 0);
  posix_spawn_file_actions_adddup2(&actions, out[1], 1);
  posix_spawn_file_actions_adddup2(&actions, err[1], 2);
  if (!working_dir.empty()) posix_spawn_file_actions_addchdir_np(&actions, working_dir.c_str());
  posix_spawnattr_t attr;
  posix_spawnattr_init(&attr);
  posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSID);  // no controlling terminal
  int rc = posix_spawn(&pid_, QRLOGIN_CLI_BINARY, &actions, &attr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  posix_spawnattr_destroy(&attr);
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (rc != 0) throw std::runtime_error("cannot start " QRLOGIN_CLI_BINARY);
  stdin_fd_ = in[1];
  out_reader_ = std::thread([this, fd = out[0]] { pump(fd, out_); });
  err_reader_ = std::thread([this, fd = err[0]] { pump(fd, err_); });
}

CliProcess::~CliProcess() {
  if (!status_) {
    kill();
    wait_exit(std::chrono::seconds(5));
  }
  close_stdin();
  if (out_reader_.joinable()) out_reader_.join();
  if (err_reader_.joinable()) err_reader_.join();
}

void CliProcess::pump(int fd, std::string& sink) {
  char buf[4096];
  for (;;) {
    ssize_t n = ::read(fd, buf, sizeof buf);
    if (n <= 0) break;
    {
      std::lock_guard lock(mutex_);
      sink.append(buf, static_cast<std::size_t>(n));
    }
    cv_.notify_all();
  }
  ::close(fd);
}

void CliProcess::write_stdin(std::string_view text) {
  // A CLI that already exited has closed its end: the write fails (EPIPE),
  // which the test then sees in the exit code and output. SIGPIPE's default
  // would end the whole test process and orphan every server it started.
  static const bool ignoring_sigpipe = [] { return std::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignoring_sigpipe;
  if (stdin_fd_ >= 0) (void)!::write(stdin_fd_, text.data(), text.size());
}

void CliProcess::close_stdin() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);
  stdin_fd_ = -1;
}

std::string CliProcess::out() const {
  std::lock_guard lock(mutex_);
  return out_;
}

std::string CliProcess::err() const {
  std::lock_guard lock(mutex_);
  return err_;
}

bool CliProcess::wait_for(std::string_view needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] {
    return out_.find(needle) != std::string::npos || err_.find(needle) != std::string::npos;
  });
}

std::optional<int> CliProcess::wait_exit(std::chrono::milliseconds timeout) {
  if (status_) return status_;
  auto until = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < until) {
    int st = 0;
    pid_t r = ::waitpid(pid_, &st, WNOHANG);
    if (r == pid_) {
      status_ = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
      if (out_reader_.joinable()) out_reader_.join();
      if (err_reader_.joinable()) err_reader_.join();
      return status_;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill();
  return std::nullopt;
}

void CliProcess::kill() {
  if (!status_ && pid_ > 0) ::kill(pid_, SIGKILL);
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
