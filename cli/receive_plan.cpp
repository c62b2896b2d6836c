#include "cli/receive_plan.hpp"

#include <sys/stat.h>

namespace qrlogin::cli {

namespace {

std::optional<ExitCode> use_relay(const std::string& url, const CommonOptions& common, const Reporter& reporter,
                                  RelayEndpoint& endpoint) {
  auto parsed = relay_endpoint(url, common);
  if (!parsed) return reporter.failure(ExitCode::usage, "bad_relay", parsed.error().message);
  endpoint = std::move(parsed).value();
  return std::nullopt;
}

}  // namespace

std::optional<ExitCode> plan_receive(const ReceiveOptions& options, const Reporter& reporter,
                                     const std::string& no_terminal_message, ReceivePlan& plan) {
  plan.setup = {options.relay, options.page};
  if (!options.app.empty()) {
    auto app_at = app_endpoint(options.app, options.common);
    if (!app_at) return reporter.failure(ExitCode::usage, "bad_app", app_at.error().message);
    plan.app.emplace(*app_at);
  }
  if (auto stop = use_relay(plan.setup.relay, options.common, reporter, plan.endpoint)) return stop;

  struct stat existing {};
  if (options.out != "-" && !options.force && ::lstat(options.out.c_str(), &existing) == 0)
    return reporter.failure(ExitCode::local_error, "output_exists",
                            options.out + " already exists; use --force to replace it");
  if (!no_terminal_message.empty() && !AnswerReader::terminal_available())
    return reporter.failure(ExitCode::usage, "no_terminal", no_terminal_message);
  if (options.common.timeout_seconds)
    plan.deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                       std::chrono::duration<double>(*options.common.timeout_seconds));
  if (!plan.app) return std::nullopt;

  auto& app = *plan.app;
  if (auto stop = set_up_app(app, reporter, options.relay, options.relay_given, options.page, plan.setup)) return stop;
  if (auto stop = use_relay(plan.setup.relay, options.common, reporter, plan.endpoint)) return stop;
  plan.login.emplace(AppLogin{app, options.device_name.empty() ? host_name() : options.device_name, {}, {}, {}, {}});
  return std::nullopt;
}

}  // namespace qrlogin::cli
