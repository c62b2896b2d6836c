#pragma once
// What the typed-code end-to-end tests share: the codes a receiver shows
// (read from its --json events), a wrong code no typo check catches, and
// how many senders the relay saw.
#include <catch2/catch.hpp>

#include <chrono>
#include <cstdlib>
#include <string>
#include <thread>

#include "crypto/pairing/code.hpp"
#include "tests/support/cli_runs.hpp"
#include "tests/support/relay_process.hpp"
#include "tests/support/scratch_dir.hpp"

namespace qrlogin::testing {

// The sender remembers spent nameplates under XDG_STATE_HOME: one per test.
inline void use_state_dir(const ScratchDir& dir) { ::setenv("XDG_STATE_HOME", dir.file("state").c_str(), 1); }

// The code the receiver shows now (its n-th "code" event counts from 1).
inline std::string shown_code(CliProcess& receive) {
  require_output(receive, "\"event\":\"code\"", "the receiver");
  auto code = receive.json_field("code", "code");
  REQUIRE(code.size() == 19);  // "NNN NNNN - PPP PPPC"
  return code;
}

inline std::string digits_of(const std::string& shown) {
  std::string digits;
  for (char c : shown)
    if (c >= '0' && c <= '9') digits.push_back(c);
  return digits;
}

// The same nameplate with another password and a valid check digit: a
// wrong code that no typo check catches.
inline std::string wrong_code_for(const std::string& shown) {
  auto digits = digits_of(shown);
  auto nameplate = digits.substr(0, 7);
  auto password = std::to_string((std::stoi(digits.substr(7, 6)) + 1) % 1000000);
  password.insert(0, 6 - password.size(), '0');
  auto body = nameplate + password;
  return body + std::to_string(pairing::damm(body));
}

// The latest code event's value: json_field reads the first, so count the
// events and wait for the next one instead.
inline std::string next_code(CliProcess& receive, int nth) {
  auto deadline = std::chrono::steady_clock::now() + kCliWait;
  while (receive.count_events("code") < nth && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  REQUIRE(receive.count_events("code") >= nth);
  auto out = receive.out();
  std::size_t at = 0;
  for (int i = 0; i < nth; ++i) at = out.find("\"event\":\"code\"", at) + 1;
  auto key = out.find("\"code\":\"", at);
  return out.substr(key + 8, 19);
}

inline int sender_joins(const RelayProcess& relay) {
  int count = 0;
  auto log = relay.output();
  for (auto at = log.find("\"role\":\"sender\""); at != std::string::npos; at = log.find("\"role\":\"sender\"", at + 1))
    ++count;
  return count;
}

}  // namespace qrlogin::testing
