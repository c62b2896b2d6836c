#include "tests/support/nginx_process.hpp"

#include <signal.h>

#include <chrono>
#include <filesystem>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "tests/support/loopback.hpp"

namespace qrlogin::testing {

namespace {

constexpr auto kStartTimeout = std::chrono::seconds{10};
constexpr auto kStopTimeout = std::chrono::seconds{5};

// docs/deploy.md's server block on loopback, without TLS and logs of the
// channel path (no access log at all here).
std::string make_config(const std::string& d, std::uint16_t port, const std::vector<std::uint16_t>& upstreams) {
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
  return require_program({"/usr/sbin/nginx", "/usr/bin/nginx", "/usr/local/sbin/nginx", "/usr/local/bin/nginx"},
                         "nginx is not installed; scripts/install-deps --cluster installs it");
}

NginxProcess::NginxProcess(std::vector<std::uint16_t> upstream_ports)
    : binary_(require_nginx()), upstreams_(std::move(upstream_ports)) {
  std::filesystem::create_directories(dir_.file("tmp"));
  // Another test may take the port between our probe and nginx's bind: try again.
  for (int attempt = 0; attempt < 5; ++attempt) {
    port_ = free_loopback_port();
    if (spawn_and_wait()) return;
    stop();
  }
  throw std::runtime_error("nginx did not start: " + error_log());
}

NginxProcess::~NginxProcess() = default;

std::string NginxProcess::error_log() const { return dir_.read("error.log"); }

bool NginxProcess::spawn_and_wait() {
  dir_.write("nginx.conf", make_config(dir_.path, port_, upstreams_));
  ChildOptions options;
  options.program = binary_;
  options.args = {"-p", dir_.path + "/", "-c", dir_.file("nginx.conf"), "-e", dir_.file("error.log")};
  options.output = ChildOptions::Output::file;
  options.output_file = dir_.file("error.log");
  process_.emplace(std::move(options));
  auto deadline = std::chrono::steady_clock::now() + kStartTimeout;
  while (std::chrono::steady_clock::now() < deadline) {
    if (process_->wait(std::chrono::milliseconds{0})) {  // exited: the port was taken, or a bad config
      process_.reset();
      return false;
    }
    if (accepts_connections(port_)) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds{20});
  }
  return false;
}

void NginxProcess::stop() {
  if (!process_) return;
  process_->stop(SIGTERM, kStopTimeout);
  process_.reset();
}

}  // namespace qrlogin::testing
