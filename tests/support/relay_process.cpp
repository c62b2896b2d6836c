#include "tests/support/relay_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <fstream>
#include <nlohmann/json.hpp>
#include <sstream>
#include <stdexcept>

extern char** environ;

namespace qrlogin::testing {

namespace {
// Starts the relay binary with `argv_strings` and the caller's environment
// less every QRLOGIN_RELAY_* variable, plus `env`; its stdout and stderr
// go to the returned pipe.
int spawn_relay(std::vector<std::string> argv_strings, const std::vector<std::pair<std::string, std::string>>& env,
                pid_t& pid) {
  std::vector<char*> argv;
  for (auto& a : argv_strings) argv.push_back(a.data());
  argv.push_back(nullptr);
  std::vector<std::string> env_strings;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    if (entry.starts_with("QRLOGIN_RELAY_")) continue;  // only what the test says
    env_strings.emplace_back(entry);
  }
  for (const auto& [k, v] : env) env_strings.push_back(k + "=" + v);
  std::vector<char*> envp;
  for (auto& e : env_strings) envp.push_back(e.data());
  envp.push_back(nullptr);

  int fds[2];
  if (pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error("pipe failed");
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 1);
  posix_spawn_file_actions_adddup2(&actions, fds[1], 2);
  int rc = posix_spawn(&pid, QRLOGIN_RELAY_BINARY, &actions, nullptr, argv.data(), envp.data());
  posix_spawn_file_actions_destroy(&actions);
  close(fds[1]);
  if (rc != 0) {
    close(fds[0]);
    throw std::runtime_error("cannot start " QRLOGIN_RELAY_BINARY);
  }
  return fds[0];
}
}  // namespace

RelayProcess::RelayProcess(std::vector<std::string> args, std::vector<std::pair<std::string, std::string>> env) {
  // Metrics on a free port too, so tests run in parallel; a test's own flag wins.
  std::vector<std::string> argv_strings = {QRLOGIN_RELAY_BINARY, "--listen", "127.0.0.1:0", "--metrics-listen",
                                           "127.0.0.1:0"};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  int output_fd = spawn_relay(std::move(argv_strings), env, pid_);
  reader_ = std::thread([this, output_fd] { read_output(output_fd); });

  std::unique_lock lock(mutex_);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{20};
  while (port_ == 0) {
    auto at = output_.find("\"event\":\"listening\"");
    if (at != std::string::npos) {
      auto line_start = output_.rfind('\n', at);
      auto line_end = output_.find('\n', at);
      if (line_end != std::string::npos) {
        auto line = output_.substr(line_start == std::string::npos ? 0 : line_start + 1,
                                   line_end - (line_start == std::string::npos ? 0 : line_start + 1));
        auto listening = nlohmann::json::parse(line);
        port_ = listening.at("port").get<std::uint16_t>();
        metrics_port_ = listening.value("metrics_port", std::uint16_t{0});
        tls_ = listening.value("tls", false);
        url_ = listening.value("url", std::string{});
        break;
      }
    }
    if (eof_ || cv_.wait_until(lock, deadline) == std::cv_status::timeout) {
      lock.unlock();
      stop();
      throw std::runtime_error("the relay did not start: " + output());
    }
  }
}

RelayProcess::~RelayProcess() { stop(); }

void RelayProcess::read_output(int fd) {
  char buf[4096];
  for (;;) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return !paused_; });
    }
    pollfd p{fd, POLLIN, 0};
    if (poll(&p, 1, 50) == 0) continue;  // look at paused_ again
    auto n = read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    {
      std::lock_guard lock(mutex_);
      output_.append(buf, static_cast<std::size_t>(n));
    }
    cv_.notify_all();
  }
  close(fd);
  {
    std::lock_guard lock(mutex_);
    eof_ = true;
  }
  cv_.notify_all();
}

std::size_t RelayProcess::rss_kib() const {
  std::ifstream status("/proc/" + std::to_string(pid_) + "/status");
  std::string line;
  while (std::getline(status, line))
    if (line.starts_with("VmRSS:")) return std::stoul(line.substr(6));
  return 0;
}

std::string RelayProcess::output() const {
  std::lock_guard lock(mutex_);
  return output_;
}

bool RelayProcess::wait_for_output(std::string_view needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  return cv_.wait_for(lock, timeout, [&] { return output_.find(needle) != std::string::npos || eof_; }) &&
         output_.find(needle) != std::string::npos;
}

void RelayProcess::pause_output() {
  std::lock_guard lock(mutex_);
  paused_ = true;
}

void RelayProcess::resume_output() {
  {
    std::lock_guard lock(mutex_);
    paused_ = false;
  }
  cv_.notify_all();
}

int RelayProcess::stop(std::chrono::milliseconds timeout) {
  resume_output();
  if (pid_ > 0) kill(pid_, SIGTERM);
  return wait_exit(timeout);
}

int RelayProcess::wait_exit(std::chrono::milliseconds timeout) {
  resume_output();
  if (pid_ > 0) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    int status = 0;
    for (;;) {
      auto r = waitpid(pid_, &status, WNOHANG);
      if (r == pid_) break;
      if (std::chrono::steady_clock::now() >= deadline) {
        kill(pid_, SIGKILL);
        waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    exit_status_ = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    pid_ = -1;
  }
  if (reader_.joinable()) reader_.join();
  return exit_status_;
}

RelayRun run_relay(const std::vector<std::string>& args, const std::vector<std::pair<std::string, std::string>>& env,
                   std::chrono::milliseconds timeout) {
  std::vector<std::string> argv_strings = {QRLOGIN_RELAY_BINARY};
  argv_strings.insert(argv_strings.end(), args.begin(), args.end());
  pid_t pid = -1;
  int output = spawn_relay(std::move(argv_strings), env, pid);
  RelayRun run;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  char buf[4096];
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - std::chrono::steady_clock::now());
    pollfd p{output, POLLIN, 0};
    if (left.count() <= 0 || poll(&p, 1, static_cast<int>(left.count())) <= 0) {
      kill(pid, SIGKILL);
      break;
    }
    auto n = read(output, buf, sizeof buf);
    if (n <= 0) break;
    run.output.append(buf, static_cast<std::size_t>(n));
  }
  close(output);
  int status = 0;
  waitpid(pid, &status, 0);
  run.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
  return run;
}

}  // namespace qrlogin::testing
