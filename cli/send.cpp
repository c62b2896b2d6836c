// qrlogin send: pair with the device that shows a link, compare, send.
#include "cli/answer.hpp"
#include "cli/app_login.hpp"
#include "cli/commands.hpp"
#include "cli/credential_file.hpp"
#include "cli/pairing_session.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/sas.hpp"
#include "crypto/pairing/sender.hpp"

namespace qrlogin::cli {

using namespace pairing;

namespace {

class SendHooks final : public SessionHooks {
 public:
  SendHooks(Sender& sender, const Reporter& reporter, AppApproval* approval = nullptr)
      : sender_(sender), reporter_(reporter), approval_(approval) {}

  std::optional<Actions> confirm(std::optional<std::string_view> typed) override {
    if (!approval_) return std::nullopt;
    // Another code typed is a refusal (sas_mismatch): no grant is made for it.
    if (typed && !sas_matches(*typed, sender_.sas())) return sender_.on_user_rejected();
    auto credential = mint_grant(*approval_, reporter_);
    if (!credential) return sender_.cancel(Reason::user_cancelled);
    if (typed) return sender_.on_user_typed(*typed, std::move(*credential));
    return sender_.on_user_confirmed(std::move(*credential));
  }

  Actions on_joined(bool peer_present, std::chrono::milliseconds) override {
    if (!peer_present) {
      reporter_.say("Connected; waiting for the other device...");
      return {};
    }
    return start();
  }
  Actions on_peer_joined() override {
    if (sender_.state() == Sender::State::ready_to_start) return start();
    return {};
  }

  void show_sas(const std::string& code) override {
    if (approval_ && approval_->deliberate) {
      // The code is not shown here: the person types the one the other
      // screen shows, so approving means having looked at that screen.
      step_ = Step::own_device;
      reporter_.event("other_network_question", {},
                      std::string("\nThe device asking is on another network. Is it your own device, somewhere "
                                  "else?\nType '") +
                          std::string(kOwnDevicePhrase) + "' if it is, or n to stop:");
      return;
    }
    reporter_.event("sas", {{"sas", code}}, "\nThe code is:   " + code + "\n");
    reporter_.event("waiting_confirmation", {},
                    "Does the other device show the same code? Answer y or n, or type the code it shows:");
  }
  std::optional<TakenAnswer> take_answer(const Inbox::Line& line) override {
    if (!approval_ || !approval_->deliberate) return std::nullopt;
    if (line.end_of_input) return stop("no answer (end of input): nothing was approved");
    auto answer = interpret_answer(line.text);
    if (step_ == Step::own_device) {
      switch (answer.kind) {
        case AnswerKind::own_device:
          step_ = Step::type_code;
          reporter_.event("type_code", {},
                          "Type the six-digit code the other device shows (it is not shown here), or n to stop:");
          return TakenAnswer{};
        case AnswerKind::yes:
          return stop(std::string("a plain yes is not enough to approve a device on another network: nothing was "
                                  "approved. If it really is your own device, start again and type '") +
                      std::string(kOwnDevicePhrase) + "' when asked");
        case AnswerKind::no:
          return stop("you stopped: nothing was approved");
        default:
          reporter_.say(std::string("Type '") + std::string(kOwnDevicePhrase) +
                        "' if the device asking is your own device somewhere else, or n to stop.");
          return TakenAnswer{};
      }
    }
    switch (answer.kind) {
      case AnswerKind::typed_code:
        return TakenAnswer{*confirm(answer.digits), true};
      case AnswerKind::no:
        return stop("you stopped: nothing was approved");
      default:
        reporter_.say("Type the six digits the other device shows, or n to stop.");
        return TakenAnswer{};
    }
  }

  void answered() override {
    if (!approval_) reporter_.say("Sending the credential...");
  }

  void show_result(const ShowResult& result) override {
    if (result.accepted && approval_) {
      reporter_.event("result", {{"accepted", true}},
                      "Done: the other device is logged in to " + approval_->client.origin() +
                          " with its own session. It is in your account's device list, where you can revoke it.");
    } else if (result.accepted) {
      reporter_.event("result", {{"accepted", true}}, "Done: the other device accepted the credential.");
    } else {
      reporter_.event("result", {{"accepted", false}, {"reason", printable(result.reason, 200)}},
                      "The other device refused the credential: " + printable(result.reason, 200));
    }
  }

 private:
  Actions start() {
    reporter_.say("Connected to the other device. Computing the code...");
    return sender_.start();
  }

  TakenAnswer stop(std::string why) {
    approval_->stopped = std::move(why);
    return TakenAnswer{sender_.cancel(Reason::user_cancelled), true};
  }

  enum class Step { own_device, type_code };

  Sender& sender_;
  const Reporter& reporter_;
  AppApproval* approval_;
  Step step_ = Step::own_device;
};

}  // namespace

ExitCode run_send(const SendOptions& options) {
  Reporter reporter(options.common.json);
  auto link = parse_link(options.link);
  if (!link) return reporter.failure(ExitCode::usage, "bad_link", "bad link: " + link.error().message);
  auto endpoint = relay_endpoint(link->relay_url, options.common);
  if (!endpoint) return reporter.failure(ExitCode::usage, "bad_relay", endpoint.error().message);

  std::optional<AppClient> app;
  SecretString token;
  std::optional<AppApproval> approval;
  std::optional<Result<Sender>> sender;
  if (!options.app.empty()) {
    if (auto stop = open_app_as_approver(options, reporter, app, token)) return *stop;
    // Before any code is shown: what is asking to be logged in, as the application saw it.
    auto looked_up = look_up_request(*app, token, link->cid.text, options.label, reporter);
    if (looked_up.failed) return *looked_up.failed;
    approval.emplace(std::move(*looked_up.approval));
    sender.emplace(Sender::create(*link));
  } else {
    // A JSON string of the text, escaped, must still fit in 65536 bytes.
    auto text = read_credential(options.credential_file, kMaxCredentialJsonBytes);
    if (!text) return reporter.failure(ExitCode::local_error, "credential_unreadable", text.error().message);
    auto j = credential_json_from_text(text->view(), options.label);
    text->wipe();
    if (!j) return reporter.failure(ExitCode::local_error, "credential_invalid", j.error().message);
    sender.emplace(Sender::create(*link, std::move(j).value()));
  }
  if (!*sender) return reporter.failure(ExitCode::local_error, "credential_invalid", sender->error().message);
  auto& machine = sender->value();

  std::optional<Clock::time_point> deadline;
  if (options.common.timeout_seconds)
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(*options.common.timeout_seconds));
  auto inbox = std::make_shared<Inbox>();
  AnswerReader answers(inbox, options.credential_file == "-" ? AnswerInput::terminal_not_stdin : AnswerInput::terminal_or_stdin);

  ConnectError error{};
  ResumableChannel channel(*endpoint, link->cid.text, "sender", reporter);
  if (!channel.open(error)) return reporter.failure(error.exit_code, error.code, error.message);

  SendHooks hooks(machine, reporter, approval ? &*approval : nullptr);
  PairingSession<Sender> session(machine, channel, inbox, answers, reporter, hooks, deadline, true);
  auto outcome = session.run();
  token.wipe();
  if (outcome.completed) return ExitCode::ok;
  if (approval && approval->failure) return app_refusal(reporter, *approval->failure, app->origin(), false);
  if (approval && approval->stopped)
    return reporter.failure(ExitCode::code_mismatch, "not_approved", *approval->stopped);
  if (outcome.relay && outcome.reason != Reason::rejected && outcome.reason != Reason::possible_attack)
    return reporter.failure(outcome.relay->exit_code, outcome.relay->code, outcome.relay->message);
  Reason reason = outcome.reason.value_or(Reason::network);
  std::string message = outcome.message_for(reason);
  if (reason == Reason::rejected) message = "the other device refused the credential";
  if (reason == Reason::possible_attack && outcome.detail == "sas_mismatch")
    message = "the other device's user said the codes differ: the pairing may have been attacked";
  if (machine.credential_sent())
    message += ". The credential WAS sent before the pairing failed: revoke it if you do not trust the other device";
  else if (reason != Reason::network)
    message += "; nothing was sent";
  if (reason == Reason::timeout && deadline) message = "the pairing did not complete within --timeout";
  return reporter.failure(exit_code_for(reason), std::string(reason_code(reason)), message);
}

}  // namespace qrlogin::cli
