#pragma once
// Starts a real qrlogin-relay process on 127.0.0.1:0 for a test, reads the
// port from its {"event":"listening","port":N} line, keeps everything it
// prints (stdout and stderr) for assertions, and stops it at the end.
// TLS: pass tls_args(cert, key) (or the flags themselves); tls() then says
// the relay serves https/wss.
#include <signal.h>
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "tests/support/child_process.hpp"

namespace qrlogin::testing {

// --tls-cert CERT --tls-key KEY, to append to a relay's arguments.
inline std::vector<std::string> tls_args(const std::string& cert, const std::string& key,
                                         std::vector<std::string> more = {}) {
  std::vector<std::string> args{"--tls-cert", cert, "--tls-key", key};
  args.insert(args.end(), more.begin(), more.end());
  return args;
}

class RelayProcess {
 public:
  explicit RelayProcess(std::vector<std::string> args = {},
                        std::vector<std::pair<std::string, std::string>> env = {});
  ~RelayProcess();
  RelayProcess(const RelayProcess&) = delete;
  RelayProcess& operator=(const RelayProcess&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // The /metrics port (0 when the test turned metrics off).
  [[nodiscard]] std::uint16_t metrics_port() const noexcept { return metrics_port_; }
  // -1 once it has exited and been reaped.
  [[nodiscard]] pid_t pid() const { return process_.pid(); }
  // SIGHUP, SIGTERM, SIGKILL, SIGSTOP, SIGCONT...; false once it has exited.
  bool signal(int sig) { return process_.signal(sig); }
  // From the listening line: TLS on, and the public URL (https://... then).
  [[nodiscard]] bool tls() const noexcept { return tls_; }
  [[nodiscard]] const std::string& url() const noexcept { return url_; }
  // VmRSS from /proc/PID/status, in KiB.
  [[nodiscard]] std::size_t rss_kib() const;
  // stdout and stderr, as one stream.
  [[nodiscard]] std::string output() const { return process_.out(); }
  [[nodiscard]] bool wait_for_output(std::string_view needle, std::chrono::milliseconds timeout) {
    return process_.wait_for_output(needle, timeout);
  }
  // SIGTERM, then waits (SIGKILL after `timeout`); returns the exit status
  // (or 128 + signal).
  int stop(std::chrono::milliseconds timeout = std::chrono::milliseconds{8000}) {
    return process_.stop(SIGTERM, timeout);
  }
  // Waits for the process to exit by itself (SIGKILL after `timeout`);
  // returns the exit status (or 128 + signal).
  int wait_exit(std::chrono::milliseconds timeout) {
    process_.resume_output();
    return process_.wait_or_kill(timeout);
  }
  // Stops reading the relay's stdout and stderr (a pipe nobody reads: the
  // relay's writes to it block once the pipe is full) until resume_output()
  // (also done by stop()).
  void pause_output() { process_.pause_output(); }
  void resume_output() { process_.resume_output(); }

 private:
  ChildProcess process_;
  std::uint16_t port_ = 0;
  std::uint16_t metrics_port_ = 0;
  bool tls_ = false;
  std::string url_;
};

// Runs qrlogin-relay with `args` (and only the QRLOGIN_RELAY_* variables in
// `env`) to its end, e.g. for a configuration it must refuse; SIGKILL after
// `timeout`.
struct RelayRun {
  int exit_status = -1;  // or 128 + signal
  std::string output;    // stdout and stderr
};
RelayRun run_relay(const std::vector<std::string>& args,
                   const std::vector<std::pair<std::string, std::string>>& env = {},
                   std::chrono::milliseconds timeout = std::chrono::milliseconds{10000});

}  // namespace qrlogin::testing
