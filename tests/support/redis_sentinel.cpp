#include "tests/support/redis_sentinel.hpp"

#include <hiredis/hiredis.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

#include "tests/support/loopback.hpp"
#include "tests/support/redis_server.hpp"

namespace qrlogin::testing {

void require_redis_sentinel() {
  // Sentinel is redis-server in sentinel mode; Debian ships it (and its
  // service) as redis-sentinel.
  (void)require_program({"/usr/bin/redis-sentinel", "/usr/local/bin/redis-sentinel"},
                        "redis-sentinel is not installed; scripts/install-deps installs it "
                        "(apt-get install redis-sentinel)");
}

RedisSentinel::RedisSentinel(std::uint16_t watched_port, std::string name, int quorum) : name_(std::move(name)) {
  auto binary = require_redis_server();
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    dir_.write("sentinel.conf", "port " + std::to_string(port_) + "\nbind 127.0.0.1\ndaemonize no\ndir " + dir_.path +
                                    "\nsentinel monitor " + name_ + " 127.0.0.1 " + std::to_string(watched_port) + " " +
                                    std::to_string(quorum) + "\nsentinel down-after-milliseconds " + name_ +
                                    " 1000\nsentinel failover-timeout " + name_ + " 10000\nsentinel parallel-syncs " +
                                    name_ + " 1\n");
    ChildOptions options;
    options.program = binary;
    options.args = {dir_.file("sentinel.conf"), "--sentinel"};
    options.output = ChildOptions::Output::file;
    options.output_file = dir_.file("sentinel.out");
    process_.emplace(std::move(options));
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds{10};
    while (std::chrono::steady_clock::now() < deadline) {
      if (process_->wait(std::chrono::milliseconds{0})) break;  // exited: the port was taken
      if (master_port() != 0) return;
      std::this_thread::sleep_for(std::chrono::milliseconds{20});
    }
    process_.reset();
  }
  throw std::runtime_error("redis-sentinel did not start: " + dir_.read("sentinel.out"));
}

RedisSentinel::~RedisSentinel() = default;

std::uint16_t RedisSentinel::master_port() const {
  timeval tv{0, 300000};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr) return 0;
  std::uint16_t port = 0;
  if (c->err == 0) {
    auto* reply = static_cast<redisReply*>(redisCommand(c, "SENTINEL get-master-addr-by-name %s", name_.c_str()));
    if (reply != nullptr && reply->type == REDIS_REPLY_ARRAY && reply->elements == 2 &&
        reply->element[1]->type == REDIS_REPLY_STRING)
      port = static_cast<std::uint16_t>(std::atoi(reply->element[1]->str));
    if (reply != nullptr) freeReplyObject(reply);
  }
  redisFree(c);
  return port;
}

}  // namespace qrlogin::testing
