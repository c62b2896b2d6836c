// qrlogin-app: the example application server (docs/app-api.md).
#include <cstdio>
#include <string>
#include <vector>

#include "web/app/config.hpp"
#include "web/app/error.hpp"
#include "web/app/pages.hpp"
#include "web/app/server.hpp"

int main(int argc, char** argv) {
  using namespace qrlogin::app;
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_config(args, process_environment());
  if (!parsed.ok()) {
    std::fprintf(stderr, "qrlogin-app: %s\n", parsed.error().message.c_str());
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
  try {
    SystemClock clock;
    auto pages = make_page_handler(parsed->config.relay_url);
    Server server(std::move(parsed->config), clock, qrlogin::system_rng());
    server.set_pages(std::move(pages));
    if (auto status = server.open(); !status.ok()) {
      std::fprintf(stderr, "qrlogin-app: %s\n", status.error().message.c_str());
      if (status.error().code == AppErrc::state_dir) return 3;
      if (status.error().code == AppErrc::bad_flag) return 2;
      return 1;
    }
    return server.run_until_signal();
  } catch (const std::exception& e) {
    // Only startup (threads, allocation) can throw this far.
    std::fprintf(stderr, "qrlogin-app: fatal: %s\n", e.what());
    return 1;
  }
}
