// qrlogin: log a device in with a QR code, end to end encrypted.
#include <csignal>
#include <cstdio>
#include <string>
#include <vector>

#include "cli/commands.hpp"

int main(int argc, char** argv) {
  using namespace qrlogin::cli;
  std::signal(SIGPIPE, SIG_IGN);  // a closed stdout is an error we report, not a crash
  std::vector<std::string> args(argv + 1, argv + argc);
  auto parsed = parse_command_line(args);
  if (!parsed) {
    std::fprintf(stderr, "qrlogin: %s\n", parsed.error().message.c_str());
    return static_cast<int>(ExitCode::usage);
  }
  switch (parsed->command) {
    case Command::help:
      std::fputs(usage_text().c_str(), stdout);
      return 0;
    case Command::version:
      std::printf("qrlogin %s (protocol v1)\n", QRLOGIN_VERSION);
      return 0;
    case Command::receive:
      return static_cast<int>(parsed->receive.code ? run_receive_code(parsed->receive) : run_receive(parsed->receive));
    case Command::send:
      return static_cast<int>(parsed->send.code ? run_send_code(parsed->send) : run_send(parsed->send));
  }
  return static_cast<int>(ExitCode::usage);
}
