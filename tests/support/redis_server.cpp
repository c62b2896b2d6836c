#include "tests/support/redis_server.hpp"

#include <hiredis/hiredis.h>
#include <signal.h>

#include <stdexcept>
#include <thread>

#include "tests/support/loopback.hpp"

namespace qrlogin::testing {

std::string require_redis_server() {
  return require_program({"/usr/bin/redis-server", "/usr/local/bin/redis-server"},
                         "redis-server is not installed; scripts/install-deps installs it "
                         "(apt-get install redis-server)");
}

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : binary_(require_redis_server()), extra_args_(std::move(extra_args)) {
  // Another test may take the port between our probe and Redis's bind: try again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    if (spawn_and_wait(std::chrono::seconds{15})) return;
    kill();
  }
  throw std::runtime_error("redis-server did not start: " + dir_.read("redis.out") + dir_.read("redis.log"));
}

RedisServer::~RedisServer() = default;

bool RedisServer::spawn_and_wait(std::chrono::milliseconds timeout) {
  ChildOptions options;
  options.program = binary_;
  options.args = {"--port", std::to_string(port_), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                  "--dir", dir_.path, "--logfile", dir_.file("redis.log"), "--daemonize", "no"};
  options.args.insert(options.args.end(), extra_args_.begin(), extra_args_.end());
  options.output = ChildOptions::Output::file;
  options.output_file = dir_.file("redis.out");
  process_.emplace(std::move(options));
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_->wait(std::chrono::milliseconds{0})) {  // exited: the port was taken, or a bad flag
      process_.reset();
      return false;
    }
    timeval tv{0, 200000};
    redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
    if (c != nullptr && c->err == 0) {
      auto* reply = static_cast<redisReply*>(redisCommand(c, "PING"));
      // A password-protected server answers NOAUTH: up all the same.
      bool up = reply != nullptr;
      if (reply != nullptr) freeReplyObject(reply);
      redisFree(c);
      if (up) return true;
    } else if (c != nullptr) {
      redisFree(c);
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return false;
}

void RedisServer::kill() { process_.reset(); }

void RedisServer::start() {
  if (process_) return;
  for (int attempt = 0; attempt < 50; ++attempt) {  // the old socket may linger a moment
    if (spawn_and_wait(std::chrono::seconds{15})) return;
    kill();
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  throw std::runtime_error("redis-server did not restart on its port");
}

void RedisServer::freeze() {
  if (process_) process_->signal(SIGSTOP);
}

void RedisServer::thaw() {
  if (process_) process_->signal(SIGCONT);
}

relay::redis::Reply RedisServer::command(const std::vector<std::string>& args) {
  timeval tv{5, 0};
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port_, tv);
  if (c == nullptr || c->err != 0) {
    if (c != nullptr) redisFree(c);
    throw std::runtime_error("cannot connect to the test's redis-server");
  }
  (void)redisSetTimeout(c, tv);
  auto run = [c](const std::vector<std::string>& a) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lengths;
    for (const auto& s : a) {
      argv.push_back(s.data());
      lengths.push_back(s.size());
    }
    auto* reply = static_cast<redisReply*>(redisCommandArgv(c, static_cast<int>(a.size()), argv.data(), lengths.data()));
    if (reply == nullptr) throw std::runtime_error("the test's redis-server did not answer");
    auto out = relay::redis::Reply::from_hiredis(*reply);
    freeReplyObject(reply);
    return out;
  };
  try {
    if (!admin_password_.empty()) (void)run({"AUTH", admin_password_});
    auto out = run(args);
    redisFree(c);
    return out;
  } catch (...) {
    redisFree(c);
    throw;
  }
}

}  // namespace qrlogin::testing
