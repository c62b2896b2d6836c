#include "tests/support/redis_server.hpp"

#include <fcntl.h>
#include <hiredis/hiredis.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace qrlogin::testing {

namespace {

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

}  // namespace

std::string require_redis_server() {
  for (const char* candidate : {"/usr/bin/redis-server", "/usr/local/bin/redis-server"})
    if (::access(candidate, X_OK) == 0) return candidate;
  std::fprintf(stderr,
               "SKIPPED: redis-server is not installed; scripts/install-deps installs it "
               "(apt-get install redis-server)\n");
  std::exit(kSkipExitCode);
}

RedisServer::RedisServer(std::vector<std::string> extra_args)
    : binary_(require_redis_server()), extra_args_(std::move(extra_args)) {
  std::string pattern = (std::filesystem::temp_directory_path() / "qrlogin-redis-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  // Another test may take the port between our probe and Redis's bind: try again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    if (spawn_and_wait(std::chrono::seconds{15})) return;
    kill();
  }
  std::filesystem::remove_all(dir_);
  throw std::runtime_error("redis-server did not start (see its log in the test's temp dir)");
}

RedisServer::~RedisServer() {
  if (pid_ > 0) {
    ::kill(pid_, SIGCONT);
    kill();
  }
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

bool RedisServer::spawn_and_wait(std::chrono::milliseconds timeout) {
  std::vector<std::string> args = {binary_,  "--port",       std::to_string(port_), "--bind",     "127.0.0.1",
                                   "--save", "",             "--appendonly",        "no",         "--dir",
                                   dir_.string(), "--logfile", (dir_ / "redis.log").string(), "--daemonize", "no"};
  args.insert(args.end(), extra_args_.begin(), extra_args_.end());
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return false;
  }
  auto deadline = std::chrono::steady_clock::now() + timeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: the port was taken, or a bad flag
      pid_ = -1;
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

void RedisServer::kill() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGKILL);
  int status = 0;
  ::waitpid(pid_, &status, 0);
  pid_ = -1;
}

void RedisServer::start() {
  if (pid_ > 0) return;
  for (int attempt = 0; attempt < 50; ++attempt) {  // the old socket may linger a moment
    if (spawn_and_wait(std::chrono::seconds{15})) return;
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
  }
  throw std::runtime_error("redis-server did not restart on its port");
}

void RedisServer::freeze() {
  if (pid_ > 0) ::kill(pid_, SIGSTOP);
}

void RedisServer::thaw() {
  if (pid_ > 0) ::kill(pid_, SIGCONT);
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
