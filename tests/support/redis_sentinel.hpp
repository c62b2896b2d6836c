#pragma once
// A real Redis Sentinel for the cluster tests (redis-server in sentinel
// mode, Debian's redis-sentinel package): on a free loopback port, its
// config file in its own temporary directory (Sentinel rewrites it), watching
// the master `name` at 127.0.0.1:`watched_port` with quorum `quorum` and a
// 1 s down-after, so a failover takes a few seconds. Killed at the end.
#include <cstdint>
#include <optional>
#include <string>

#include "tests/support/child_process.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

// Exits the test as skipped when Sentinel is not installed.
void require_redis_sentinel();

class RedisSentinel {
 public:
  RedisSentinel(std::uint16_t watched_port, std::string name, int quorum);
  ~RedisSentinel();
  RedisSentinel(const RedisSentinel&) = delete;
  RedisSentinel& operator=(const RedisSentinel&) = delete;

  [[nodiscard]] std::uint16_t port() const noexcept { return port_; }
  // The master's port this Sentinel names now (0: none, or no answer).
  [[nodiscard]] std::uint16_t master_port() const;

 private:
  ScratchDir dir_{"sentinel"};
  std::uint16_t port_ = 0;
  std::string name_;
  std::optional<ChildProcess> process_;
};

}  // namespace qrlogin::testing
