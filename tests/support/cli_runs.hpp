#pragma once
// Runs of the qrlogin CLI a test drives (tests/e2e, tests/cluster): a
// receiver and a sender with --json, the link it prints, its exit code and
// the file it wrote.
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "tests/support/cli_process.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

inline constexpr auto kCliWait = std::chrono::seconds{20};

inline std::string ws_url(std::uint16_t port) { return "ws://127.0.0.1:" + std::to_string(port); }

// The link with its page (and so its relay) on another port: how a test
// sends one CLI to another node or through a proxy.
inline std::string with_port(const std::string& link, std::uint16_t from, std::uint16_t to) {
  auto needle = "127.0.0.1:" + std::to_string(from) + "/";
  auto at = link.find(needle);
  REQUIRE(at != std::string::npos);
  return link.substr(0, at) + "127.0.0.1:" + std::to_string(to) + "/" + link.substr(at + needle.size());
}

// qrlogin receive --relay ws://127.0.0.1:PORT --out DIR/out --json EXTRA...
// at a terminal (its user confirms the code there; see write_stdin).
inline std::unique_ptr<CliProcess> start_receive(std::uint16_t relay_port, const ScratchDir& dir,
                                                 std::vector<std::string> extra = {},
                                                 CliProcess::Input input = CliProcess::Input::terminal) {
  std::vector<std::string> args{"receive", "--relay", ws_url(relay_port), "--out", dir.file("out"), "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<CliProcess>(args, std::string{}, input);
}

// qrlogin send LINK --credential-file DIR/cred --json EXTRA...
inline std::unique_ptr<CliProcess> start_send(const std::string& link, const ScratchDir& dir,
                                              std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"send", link, "--credential-file", dir.file("cred"), "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<CliProcess>(args);
}

inline std::string printed(const CliProcess& p) { return "stdout:\n" + p.out() + "\nstderr:\n" + p.err(); }

// Waits for `needle` on the CLI's output; fails with everything it printed.
inline void require_output(CliProcess& p, std::string_view needle, std::string_view who) {
  if (p.wait_for(needle, kCliWait)) return;
  FAIL(who << " never printed " << needle << "\n" << printed(p));
}

inline std::string wait_link(CliProcess& p) {
  require_output(p, "\"event\":\"link\"", "the receiver");
  auto link = p.json_field("link", "link");
  REQUIRE_FALSE(link.empty());
  return link;
}

// The exit code (the CLI is killed if it does not exit in time: -1).
inline int exit_of(CliProcess& p) {
  auto code = p.wait_exit(kCliWait);
  return code ? *code : -1;
}

// The receiver wrote exactly the credential, readable by its user only.
inline void check_written(const ScratchDir& dir, const std::string& credential) {
  CHECK(dir.read("out") == credential);
  struct stat st {};
  REQUIRE(::stat(dir.file("out").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

}  // namespace qrlogin::testing
