#include "tests/support/nginx_process.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

extern char** environ;

namespace qrlogin::testing {

namespace {

constexpr int kSkipExitCode = 77;
constexpr auto kStartTimeout = std::chrono::seconds{10};
constexpr auto kStopTimeout = std::chrono::seconds{5};

std::uint16_t free_loopback_port() {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) throw std::runtime_error("socket failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof addr;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("bind failed");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

bool accepts_connections(std::uint16_t port) {
  int fd = ::socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return false;
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bool ok = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
  ::close(fd);
  return ok;
}

// docs/deploy.md's server block on loopback, without TLS and logs of the
// channel path (no access log at all here).
std::string make_config(const std::filesystem::path& dir, std::uint16_t port,
                        const std::vector<std::uint16_t>& upstreams) {
  auto d = dir.string();
  std::ostringstream c;
  c << "daemon off;\n"
    << "master_process off;\n"
    << "worker_processes 1;\n"
    << "pid " << d << "/nginx.pid;\n"
    << "error_log " << d << "/error.log info;\n"
    << "events { worker_connections 512; }\n"
    << "http {\n"
    << "  access_log off;\n"
    << "  client_body_temp_path " << d << "/tmp/body;\n"
    << "  proxy_temp_path " << d << "/tmp/proxy;\n"
    << "  fastcgi_temp_path " << d << "/tmp/fastcgi;\n"
    << "  uwsgi_temp_path " << d << "/tmp/uwsgi;\n"
    << "  scgi_temp_path " << d << "/tmp/scgi;\n"
    << "  map $http_upgrade $connection_upgrade {\n"
    << "    default upgrade;\n"
    << "    ''      close;\n"
    << "  }\n"
    << "  upstream qrlogin_relay {\n";  // round robin: the default
  for (auto p : upstreams) c << "    server 127.0.0.1:" << p << " max_fails=1 fail_timeout=10s;\n";
  c << "  }\n"
    << "  server {\n"
    << "    listen 127.0.0.1:" << port << ";\n"
    << "    server_tokens off;\n"
    << "    proxy_http_version 1.1;\n"
    << "    proxy_connect_timeout 1s;\n"
    << "    proxy_next_upstream error timeout;\n"
    << "    location / {\n"
    << "      proxy_pass http://qrlogin_relay;\n"
    << "      proxy_set_header Host $host;\n"
    << "      proxy_set_header X-Forwarded-For $remote_addr;\n"
    << "      proxy_set_header Upgrade $http_upgrade;\n"
    << "      proxy_set_header Connection $connection_upgrade;\n"
    << "      proxy_buffering off;\n"
    << "      proxy_read_timeout 75s;\n"
    << "      proxy_send_timeout 75s;\n"
    << "    }\n"
    << "  }\n"
    << "}\n";
  return c.str();
}

}  // namespace

std::string require_nginx() {
  for (const char* candidate : {"/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx", "/usr/local/bin/nginx"})
    if (::access(candidate, X_OK) == 0) return candidate;
  std::fprintf(stderr, "SKIPPED: nginx is not installed; scripts/install-deps --cluster installs it\n");
  std::exit(kSkipExitCode);
}

NginxProcess::NginxProcess(std::vector<std::uint16_t> upstream_ports)
    : binary_(require_nginx()), upstreams_(std::move(upstream_ports)) {
  std::string pattern = (std::filesystem::temp_directory_path() / "qrlogin-nginx-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
  dir_ = pattern;
  std::filesystem::create_directories(dir_ / "tmp");
  // Another test may take the port between our probe and nginx's bind: try again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    if (spawn_and_wait()) return;
    stop();
  }
  auto log = error_log();
  std::filesystem::remove_all(dir_);
  throw std::runtime_error("nginx did not start: " + log);
}

NginxProcess::~NginxProcess() {
  stop();
  std::error_code ignored;
  std::filesystem::remove_all(dir_, ignored);
}

std::string NginxProcess::error_log() const {
  std::ifstream in(dir_ / "error.log");
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

bool NginxProcess::spawn_and_wait() {
  auto conf = dir_ / "nginx.conf";
  std::ofstream(conf) << make_config(dir_, port_, upstreams_);
  auto prefix = dir_.string() + "/";
  auto startup_log = (dir_ / "error.log").string();
  std::vector<std::string> args = {binary_, "-p", prefix, "-c", conf.string(), "-e", startup_log};
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, 1, startup_log.c_str(), O_WRONLY | O_APPEND | O_CREAT, 0600);
  posix_spawn_file_actions_adddup2(&actions, 1, 2);
  int rc = posix_spawn(&pid_, binary_.c_str(), &actions, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) {
    pid_ = -1;
    return false;
  }
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    int status = 0;
    if (::waitpid(pid_, &status, WNOHANG) == pid_) {  // exited: the port was taken, or a bad config
      pid_ = -1;
      return false;
    }
    if (accepts_connections(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return false;
}

void NginxProcess::stop() {
  if (pid_ <= 0) return;
  ::kill(pid_, SIGTERM);
  auto deadline = std::chrono::steady_clock::now() + kStopTimeout;
  int status = 0;
  for (;;) {
    if (::waitpid(pid_, &status, WNOHANG) == pid_) break;
    if (std::chrono::steady_clock::now() >= deadline) {
      ::kill(pid_, SIGKILL);
      ::waitpid(pid_, &status, 0);
      break;
    }
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  pid_ = -1;
}

}  // namespace qrlogin::testing
