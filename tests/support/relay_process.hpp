#pragma once
// Starts a real qrlogin-relay process on 127.0.0.1:0 for a test, reads the
// port from its {"event":"listening","port":N} line, keeps everything it
// prints (stdout and stderr) for assertions, and stops it at the end.
// TLS: pass tls_args(cert, key) (or the flags themselves); tls() then says
// the relay serves https/wss.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

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
  [[nodiscard]] pid_t pid() const noexcept { return pid_; }
  // From the listening line: TLS on, and the public URL (https://... then).
  [[nodiscard]] bool tls() const noexcept { return tls_; }
  [[nodiscard]] const std::string& url() const noexcept { return url_; }
  // VmRSS from /proc/PID/status, in KiB.
  [[nodiscard]] std::size_t rss_kib() const;
  [[nodiscard]] std::string output() const;
  [[nodiscard]] bool wait_for_output(std::string_view needle, std::chrono::milliseconds timeout);
  // SIGTERM, then waits (SIGKILL after `timeout`); returns the exit status
  // (or 128 + signal).
  int stop(std::chrono::milliseconds timeout = std::chrono::milliseconds{8000});
  // Waits for the process to exit by itself (SIGKILL after `timeout`);
  // returns the exit status (or 128 + signal).
  int wait_exit(std::chrono::milliseconds timeout);
  // Stops reading the relay's stdout and stderr (a pipe nobody reads: the
  // relay's writes to it block once the pipe is full) until resume_output()
  // (also done by stop()).
  void pause_output();
  void resume_output();

 private:
  void read_output(int fd);
  pid_t pid_ = -1;
  std::uint16_t port_ = 0;
  std::uint16_t metrics_port_ = 0;
  bool tls_ = false;
  std::string url_;
  int exit_status_ = -1;
  std::thread reader_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::string output_;
  bool eof_ = false;
  bool paused_ = false;
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
