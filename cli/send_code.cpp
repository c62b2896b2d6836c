// qrlogin send --code: read the code the new device shows from the
// terminal, prove it to that device (CPace), and send the credential once
// the person confirmed (with --app: a grant the application mints then).
// A nameplate whose one guess was spent is refused from then on
// (cli/spent_nameplates.hpp).
#include <algorithm>
#include <ctime>

#include "cli/app_login.hpp"
#include "cli/commands.hpp"
#include "cli/credential_file.hpp"
#include "cli/pairing_session.hpp"
#include "cli/spent_nameplates.hpp"
#include "crypto/pairing/code_sender.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/credential.hpp"

namespace qrlogin::cli {

using namespace pairing;

namespace {

// PAKE_R after joining, CONFIRM_R after PAKE_S: each at most this long.
constexpr auto kStepTimeout = std::chrono::seconds(30);
// How long the relay may still route a code's nameplate to the same
// channel: its lifetime (5 minutes by default) plus the resume grace.
constexpr std::int64_t kSpentAtLeastSeconds = 300 + 30;
constexpr std::int64_t kGraceSeconds = 30;
constexpr std::string_view kSpentMessage = "This code can't be used again. Choose New code on the new device.";

class CodeSendHooks final : public SessionHooks {
 public:
  CodeSendHooks(CodeSender& sender, const Reporter& reporter, std::string account, AppApproval* approval)
      : sender_(sender), reporter_(reporter), account_(std::move(account)), approval_(approval) {}

  bool code_channel() const override { return true; }
  Actions on_joined(bool, std::chrono::milliseconds expires_in) override {
    expires_in_ = expires_in;
    reporter_.say("Connected; checking the code with the new device...");
    return {};
  }
  void show_sas(const std::string&) override {}  // code mode has no SAS
  std::optional<Clock::duration> step_limit() const override {
    if (sender_.state() == CodeSender::State::waiting_for_pake_r ||
        sender_.state() == CodeSender::State::waiting_for_confirm)
      return kStepTimeout;
    return std::nullopt;
  }
  bool code_verified() override {
    // A device on another network: the code typed from its screen is the
    // deliberate step (as on the phone page), so this says so plainly.
    std::string where = approval_ && approval_->deliberate
                            ? " It is on another network than this one: answer y only if it is your own device."
                            : " Only if that device is in front of you.";
    reporter_.event("code_accepted", {},
                    "\nCode accepted. Log in the device showing this code as " + account_ + "?" + where +
                        " Answer y or n:");
    return true;
  }
  std::optional<Actions> confirm(std::optional<std::string_view>) override {
    if (!approval_) return std::nullopt;
    auto credential = mint_grant(*approval_, reporter_);
    if (!credential) return sender_.cancel(Reason::user_cancelled);
    return sender_.on_user_confirmed(std::move(*credential));
  }
  std::string prompt_again_text() const override { return "Please answer y (log it in) or n (do not)."; }
  std::string no_answer_text() const override { return "No answer (end of input): nothing is sent."; }
  void answered() override {
    if (!approval_) reporter_.say("Sending the credential...");
  }
  void show_result(const ShowResult& result) override {
    if (result.accepted && approval_)
      reporter_.event("result", {{"accepted", true}},
                      "Done: the other device is logged in to " + approval_->client.origin() +
                          " with its own session. It is in your account's device list, where you can revoke it.");
    else if (result.accepted)
      reporter_.event("result", {{"accepted", true}}, "Done: the other device accepted the credential.");
    else
      reporter_.event("result", {{"accepted", false}, {"reason", printable(result.reason, 200)}},
                      "The other device refused the credential: " + printable(result.reason, 200));
  }

  [[nodiscard]] std::chrono::milliseconds expires_in() const noexcept { return expires_in_; }

 private:
  CodeSender& sender_;
  const Reporter& reporter_;
  std::string account_;
  AppApproval* approval_;
  std::chrono::milliseconds expires_in_{0};
};

std::string_view code_error_name(const Error& error) {
  if (error.code == CodeErrc::code_chars) return "code_chars";
  if (error.code == CodeErrc::code_length) return "code_length";
  return "code_check";
}

}  // namespace

ExitCode run_send_code(const SendOptions& options) {
  Reporter reporter(options.common.json);
  // The code carries no relay and no page: they are the command line's, or
  // with --app the application's (whose origin is bound into the key).
  AppSetup setup{options.relay, options.page};
  std::optional<AppClient> app;
  SecretString token;
  std::optional<Secret> j;
  if (!options.app.empty()) {
    if (auto stop = open_app_as_approver(options, reporter, app, token)) return *stop;
  } else {
    auto text = read_credential(options.credential_file, kMaxCredentialJsonBytes);
    if (!text) return reporter.failure(ExitCode::local_error, "credential_unreadable", text.error().message);
    auto json = credential_json_from_text(text->view(), options.label);
    text->wipe();
    if (!json) return reporter.failure(ExitCode::local_error, "credential_invalid", json.error().message);
    j.emplace(std::move(json).value());
  }
  // Before the code is typed: an application that cannot be reached is
  // said first.
  if (app) {
    if (auto stop = set_up_app(*app, reporter, options.relay, options.relay_given, options.page, setup)) return *stop;
  }
  auto endpoint = relay_endpoint(setup.relay, options.common);
  if (!endpoint) return reporter.failure(ExitCode::usage, "bad_relay", endpoint.error().message);

  SpentNameplates spent(SpentNameplates::default_path());
  if (spent.path().empty())
    return reporter.failure(ExitCode::local_error, "no_state_directory",
                            "neither XDG_STATE_HOME nor HOME is set: nowhere to remember the codes already used");

  std::optional<Clock::time_point> deadline;
  if (options.common.timeout_seconds)
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(*options.common.timeout_seconds));
  auto inbox = std::make_shared<Inbox>();
  auto input = options.credential_file == "-" ? AnswerInput::terminal_not_stdin : AnswerInput::terminal_or_stdin;
  AnswerReader answers(inbox, input);
  // At a terminal a refused code is asked again; from a pipe it ends the run.
  const bool at_terminal = AnswerReader::terminal_available();

  // The reader starts (and drops what was typed before) ahead of the
  // prompt, so a code typed or pasted as soon as the prompt shows counts.
  answers.start();
  reporter.event("enter_code", {},
                 "Enter a code only from a screen in front of you. Never enter a code someone sent you or read to "
                 "you.\nType the code the new device shows:");
  std::optional<Code> code;
  while (!code) {
    auto woke = inbox->wait(deadline);
    if (!woke.line) {
      if (deadline && Clock::now() >= *deadline)
        return reporter.failure(ExitCode::expired, "timeout", "no code was entered within --timeout");
      continue;
    }
    if (woke.line->end_of_input)
      return reporter.failure(ExitCode::usage, "no_code", "no code was entered (end of input); nothing was sent");
    auto parsed = parse_typed_code(woke.line->text);
    secure_wipe(woke.line->text);
    if (parsed) {
      code.emplace(std::move(parsed).value());
      break;
    }
    auto name = std::string(code_error_name(parsed.error()));
    if (!at_terminal)
      return reporter.failure(ExitCode::usage, name, parsed.error().message + "; nothing was sent");
    reporter.event("code_refused", {{"code", name}, {"message", parsed.error().message}},
                   "qrlogin: " + parsed.error().message + ". Nothing was sent. Type the code again:");
  }

  const auto nameplate = code->nameplate();
  const auto now = static_cast<std::int64_t>(std::time(nullptr));
  auto refused = spent.is_spent(nameplate, now);
  if (!refused) return reporter.failure(ExitCode::local_error, "state_unreadable", refused.error().message);
  if (*refused) return reporter.failure(ExitCode::expired, "code_spent", std::string(kSpentMessage));

  auto sender = j ? CodeSender::create(setup.page, std::move(*code), std::move(*j))
                  : CodeSender::create(setup.page, std::move(*code));
  if (!sender) return reporter.failure(ExitCode::usage, "bad_page", sender.error().message);
  auto& machine = sender.value();

  std::optional<AppApproval> approval;
  std::string account = options.label.empty() ? std::string("the credential you gave")
                                              : "\"" + printable(options.label) + "\"";
  if (app) {
    // The label the new device's user is asked about: --label, else this
    // device's name in the account.
    auto session = app->session(token);
    std::string label = options.label;
    if (label.empty() && session) label = session->device_name;
    // Who is asking, before the code's one guess is spent: a code no device
    // registered with the application costs nothing.
    auto looked_up = look_up_request(*app, token, machine.cid().text, label, reporter, true);
    if (looked_up.failed) return *looked_up.failed;
    approval.emplace(std::move(*looked_up.approval));
    // Appended piece by piece: GCC 12 at -O3 takes `"\"" + x + "\" at "`
    // for an overlapping memcpy (-Werror=restrict) in the package build.
    account = "your account";
    if (session) account.assign(1, '"').append(printable(session->account, 64)).append("\"");
    account.append(" at ").append(app->origin());
  }

  ConnectError error{};
  ResumableChannel channel(*endpoint, machine.cid().text, "sender", reporter, true);
  if (!channel.open(error)) return reporter.failure(error.exit_code, error.code, error.message);
  CodeSendHooks hooks(machine, reporter, account, approval ? &*approval : nullptr);
  PairingSession<CodeSender> session(machine, channel, inbox, answers, reporter, hooks, deadline, true);
  auto outcome = session.run();
  token.wipe();
  if (outcome.completed) return ExitCode::ok;

  std::string spent_note;
  if (machine.pake_sent()) {
    // One CPace session per nameplate: this code's guess is spent.
    auto lifetime = std::chrono::duration_cast<std::chrono::seconds>(hooks.expires_in()).count();
    auto until = static_cast<std::int64_t>(std::time(nullptr)) +
                 std::max<std::int64_t>(kSpentAtLeastSeconds, lifetime + kGraceSeconds);
    if (auto stored = spent.spend(nameplate, until, now); !stored)
      reporter.say("qrlogin: could not remember that this code was used: " + stored.error().message);
    spent_note = ". " + std::string(kSpentMessage);
  }
  if (approval && approval->failure) return app_refusal(reporter, *approval->failure, app->origin(), false);
  if (outcome.relay_refused && outcome.detail == "channel_full" && !machine.pake_sent())
    return reporter.failure(ExitCode::intrusion, "code_in_use",
                            "Someone else entered this code first. Reject the login on the new device.");
  if (outcome.relay_refused && outcome.detail == "expired" && !machine.pake_sent())
    return reporter.failure(ExitCode::expired, "expired", "No device shows this code now");
  Reason reason = outcome.reason.value_or(Reason::network);
  if (outcome.relay && reason != Reason::wrong_code && reason != Reason::possible_attack && !machine.pake_sent())
    return reporter.failure(outcome.relay->exit_code, outcome.relay->code, outcome.relay->message);
  std::string message = outcome.message_for(reason);
  if (reason == Reason::wrong_code) message = "The code was not accepted: mistyped, expired, or someone interfered";
  if (reason == Reason::rejected) message = "the other device refused the credential";
  if (machine.credential_sent())
    message += ". The credential WAS sent before the pairing failed: revoke it if you do not trust the other device";
  else if (reason != Reason::network)
    message += "; nothing was sent";
  return reporter.failure(exit_code_for(reason), std::string(reason_code(reason)), message + spent_note);
}

}  // namespace qrlogin::cli
