#pragma once
// What both receive commands (QR and --code) settle before their first
// code, in the order a person would fix it: the arguments, the output file,
// a terminal to answer at, then with --app the application's own word on
// its relay and page.
#include <optional>
#include <string>

#include "cli/app_login.hpp"
#include "cli/inbox.hpp"
#include "cli/relay_connection.hpp"

namespace qrlogin::cli {

struct ReceivePlan {
  ReceivePlan() = default;
  ReceivePlan(const ReceivePlan&) = delete;  // `login` refers to `app`
  ReceivePlan& operator=(const ReceivePlan&) = delete;

  AppSetup setup;  // the relay and the page
  RelayEndpoint endpoint;
  std::optional<AppClient> app;
  std::optional<AppLogin> login;  // with --app
  std::optional<Clock::time_point> deadline;  // --timeout

  [[nodiscard]] bool timed_out() const { return deadline && Clock::now() >= *deadline; }
};

// Fills `plan`, or returns the exit code after saying why not.
// `no_terminal_message`: non-empty when a terminal is needed, what to say without one.
std::optional<ExitCode> plan_receive(const ReceiveOptions& options, const Reporter& reporter,
                                     const std::string& no_terminal_message, ReceivePlan& plan);

}  // namespace qrlogin::cli
