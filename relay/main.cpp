// qrlogin-relay: the blind WebSocket relay (docs/relay.md).
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "relay/config/config.hpp"
#include "relay/net/server.hpp"

int main(int argc, char** argv) {
  using namespace qrlogin::relay;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_config(args, process_environment());
  if (!parsed.ok()) {
    std::fprintf(stderr, "qrlogin-relay: %s\n", parsed.error().message.c_str());
    return 2;
  }
  if (parsed->show_help) {
    std::fputs(help_text().c_str(), stdout);
    return 0;
  }
  if (parsed->show_version) {
    std::printf("%.*s\n", static_cast<int>(version_text().size()), version_text().data());
    return 0;
  }
  if (auto status = ensure_file_limit(parsed->config.limits.max_connections); !status.ok()) {
    std::fprintf(stderr, "qrlogin-relay: %s\n", status.error().message.c_str());
    return 2;
  }
  // SIGHUP reloads the certificate (with TLS, Server::load_certificate);
  // without TLS there is nothing to reload, and a service manager's reload
  // (the package's ExecReload) must not end the relay.
  if (!parsed->config.tls()) std::signal(SIGHUP, SIG_IGN);
  try {
    Server server(std::move(parsed->config));
    if (auto status = server.load_certificate(); !status.ok()) {
      std::fprintf(stderr, "qrlogin-relay: %s\n", status.error().message.c_str());
      return 2;  // like a bad flag: the configuration cannot work
    }
    if (auto status = server.prepare_channels(); !status.ok()) {
      std::fprintf(stderr, "qrlogin-relay: %s\n", status.error().message.c_str());
      return 2;
    }
    if (auto status = server.listen(); !status.ok()) {
      std::fprintf(stderr, "qrlogin-relay: %s\n", status.error().message.c_str());
      return 1;
    }
    return server.run();
  } catch (const std::exception& e) {
    // Only startup (thread creation, allocation) can throw this far.
    std::fprintf(stderr, "qrlogin-relay: fatal: %s\n", e.what());
    return 1;
  }
}
