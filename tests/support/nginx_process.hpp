#pragma once
// A real nginx in front of relay nodes, for the cluster tests: one process
// (daemon off, master_process off) on a free loopback port, with its config,
// PID file, logs and temp paths in its own temporary directory, run as the
// test's user. The config is docs/deploy.md's, cut down to loopback:
// WebSocket upgrade headers, round robin over the nodes, a short
// proxy_connect_timeout and `proxy_next_upstream error timeout`, so a client
// that reconnects after a node died is sent to a live one.
//
// When nginx is not installed, require_nginx() prints why and exits with
// kSkipExitCode (77), which ctest reports as skipped.
#include <sys/types.h>

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "tests/support/child_process.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

// The nginx binary, or exits the test as skipped.
std::string require_nginx();

class NginxProcess {
 public:
  // Proxies every path on its port to 127.0.0.1:<each of upstream_ports>.
  explicit NginxProcess(std::vector<std::uint16_t> upstream_ports);
  ~NginxProcess();
  NginxProcess(const NginxProcess&) = delete;
  NginxProcess& operator=(const NginxProcess&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] pid_t pid() const { return process_ ? process_->pid() : -1; }
  // Its error log (connection failures to dead nodes show up here).
  [[nodiscard]] std::string error_log() const;
  // SIGTERM (fast shutdown: open connections are closed), SIGKILL after 5 s.
  void stop();

 private:
  bool spawn_and_wait();
  std::string binary_;
  std::vector<std::uint16_t> upstreams_;
  ScratchDir dir_{"nginx"};
  std::uint16_t port_ = 0;
  std::optional<ChildProcess> process_;  // after dir_: it stops before its directory goes
};

}  // namespace qrlogin::testing
