#pragma once
// A real redis-server for a test: on a free loopback port, in its own
// temporary directory, without persistence (--save '' --appendonly no),
// killed and removed at the end. Tests can kill it (SIGKILL), restart it on
// the same port, freeze it (SIGSTOP) and thaw it (SIGCONT), and send it
// commands over a blocking admin connection of their own.
//
// When redis-server is not installed, require_redis_server() prints why and
// exits with kSkipExitCode, which ctest reports as skipped
// (scripts/install-deps installs redis-server).
#include <sys/types.h>

#include <chrono>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "relay/redis/reply.hpp"
#include "tests/support/child_process.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

// The redis-server binary, or exits the test as skipped.
std::string require_redis_server();

class RedisServer {
 public:
  // Extra redis-server arguments, e.g. {"--requirepass", "pw"}.
  explicit RedisServer(std::vector<std::string> extra_args = {});
  ~RedisServer();
  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  [[nodiscard]] pid_t pid() const { return process_ ? process_->pid() : -1; }
  // Started and not killed by the test (it may have died by itself).
  [[nodiscard]] bool running() const noexcept { return process_.has_value(); }

  void kill();    // SIGKILL, and waits for it
  void start();   // (again) on the same port; waits until it answers PING
  void freeze();  // SIGSTOP
  void thaw();    // SIGCONT

  // A command over a fresh blocking connection (as `user`/`password` when
  // the server needs them). Throws when Redis cannot be reached.
  relay::redis::Reply command(const std::vector<std::string>& args);
  void set_admin_auth(std::string password) { admin_password_ = std::move(password); }

 private:
  bool spawn_and_wait(std::chrono::milliseconds timeout);
  std::string binary_;
  std::vector<std::string> extra_args_;
  ScratchDir dir_{"redis"};
  std::uint16_t port_ = 0;
  std::optional<ChildProcess> process_;  // after dir_: it stops before its directory goes
  std::string admin_password_;
};

}  // namespace qrlogin::testing
