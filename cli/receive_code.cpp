// qrlogin receive --code: show a typed code (and its spoken form), accept
// the login at the terminal, write the credential (with --app: redeem the
// grant for this device's own token). A fresh code after every failed one;
// three failures after a sender joined stop it.
#include <algorithm>
#include <thread>

#include "cli/commands.hpp"
#include "cli/pairing_session.hpp"
#include "cli/receive_plan.hpp"
#include "crypto/pairing/code_receiver.hpp"

namespace qrlogin::cli {

using namespace pairing;

namespace {

// After the sender joined: how long it may take to send PAKE_S.
constexpr auto kPakeSTimeout = std::chrono::seconds(30);
// A relay that answers `taken` this many times in a row has no room for us.
constexpr int kTakenTries = 5;
// With --app: an unused code is replaced this long before the application
// forgets its registration (as the desktop page does).
constexpr auto kRenewMargin = std::chrono::seconds(10);

class CodeReceiveHooks final : public SessionHooks {
 public:
  CodeReceiveHooks(const ReceiveOptions& options, CodeReceiver& receiver, const Reporter& reporter, AppLogin* login,
                   std::optional<Clock::time_point> registration_ends)
      : receiver_(receiver), reporter_(reporter), delivery_(options, reporter, login) {
    if (registration_ends) replace_at_ = *registration_ends - kRenewMargin;
  }

  bool code_channel() const override { return true; }

  Actions on_joined(bool, std::chrono::milliseconds expires_in) override {
    auto actions = receiver_.start();  // PAKE_R: the relay holds it for the sender
    if (replace_at_) {
      // With --app the code is shown for as long as the application keeps its registration.
      auto until_replaced = std::chrono::duration_cast<std::chrono::milliseconds>(*replace_at_ - Clock::now());
      expires_in = std::max(std::chrono::milliseconds{0}, std::min(expires_in, until_replaced));
    }
    show_code(expires_in);
    return actions;
  }
  Actions on_peer_joined() override {
    if (!sender_joined_at_) sender_joined_at_ = Clock::now();
    return {};
  }
  std::optional<Clock::time_point> own_deadline() const override {
    if (receiver_.state() == CodeReceiver::State::waiting_for_sender && sender_joined_at_)
      return *sender_joined_at_ + kPakeSTimeout;
    return std::nullopt;
  }
  bool waiting_for_first_contact() const override {
    return receiver_.state() == CodeReceiver::State::waiting_for_sender && !receiver_.sender_seen();
  }
  std::optional<Clock::time_point> replace_at() const override {
    if (sender_joined_at_) return std::nullopt;
    return replace_at_;
  }

  void show_sas(const std::string&) override {}  // code mode has no SAS

  bool code_verified() override {
    reporter_.event("code_verified", {},
                    "The other device entered the right code. Waiting for its user to confirm the login...");
    return false;
  }
  void ask_to_accept(const std::string& label) override {
    // Appended, not `"\"" + x + "\""`: GCC 12 at -O3 takes that for an
    // overlapping memcpy (-Werror=restrict) in the package build.
    std::string from = "the other device";
    if (!label.empty()) from.assign(1, '"').append(printable(label)).push_back('"');
    nlohmann::json fields = nlohmann::json::object();
    if (!label.empty()) fields["label"] = printable(label);
    reporter_.event("waiting_confirmation", fields,
                    "\nDid you just enter this code on your own device, and does it say 'Code accepted'? Accept the "
                    "login from " + from + "? Answer y or n:");
  }
  std::string prompt_again_text() const override {
    return "Please answer y (accept the login) or n (refuse it).";
  }
  std::string no_answer_text() const override { return "No answer (end of input): refusing the login."; }

  Actions deliver(DeliverCredential& d) override {
    auto handled = delivery_.deliver(d.credential, receiver_.cid().text);
    return receiver_.on_credential_handled(handled.accepted, handled.reason);
  }

  [[nodiscard]] bool write_failed() const noexcept { return delivery_.write_failed(); }

 private:
  void show_code(std::chrono::milliseconds expires_in) {
    const auto& code = *receiver_.code();
    auto shown = code.display();
    auto spoken = code.spoken();
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(expires_in).count();
    // The display form, spaced out on a line of its own, and the spoken
    // form on the next (a screen reader reads it one digit at a time).
    std::string big;
    for (char ch : shown.view()) {
      big.push_back(ch);
      if (ch != ' ') big.push_back(' ');
    }
    reporter_.event("code",
                    {{"code", std::string(shown.view())},
                     {"spoken", std::string(spoken.view())},
                     {"expires_in_ms", expires_in.count()}},
                    "\nType this code on the device that is logged in:\n\n      " + big + "\n\nSpoken: " +
                        std::string(spoken.view()) +
                        "\n\nType it only on your own device. Never read it to anyone or send it: whoever enters "
                        "it could log this device in to their account.\nIt expires in " +
                        std::to_string(seconds) + " seconds. Waiting for the other device...");
    secure_wipe(big);
  }

  CodeReceiver& receiver_;
  const Reporter& reporter_;
  CredentialDelivery delivery_;
  std::optional<Clock::time_point> sender_joined_at_;
  std::optional<Clock::time_point> replace_at_;
};

// What the receiver's user is told about a code that failed.
std::string failed_code_message(const SessionOutcome& outcome, Reason reason) {
  if (reason == Reason::wrong_code) return "A wrong code was entered on another device (a typo, or someone guessing)";
  if (reason == Reason::user_cancelled) return "You refused the login";
  if (reason == Reason::timeout) return "The other device connected but did not go on with the code in time";
  std::string message = outcome.message_for(reason);
  if (!message.empty()) message[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(message[0])));
  return message;
}

}  // namespace

ExitCode run_receive_code(const ReceiveOptions& options) {
  Reporter reporter(options.common.json);
  ReceivePlan plan;
  if (auto stop = plan_receive(options, reporter,
                               "no terminal to accept the login at (stdin is not a terminal and there is no "
                               "/dev/tty): with a typed code every login is accepted by its user at the terminal",
                               plan))
    return *stop;
  auto& login = plan.login;
  const auto& deadline = plan.deadline;
  auto timed_out = [&] { return plan.timed_out(); };
  auto inbox = std::make_shared<Inbox>();
  AnswerReader answers(inbox, AnswerInput::terminal);
  CodeAttempts attempts;
  int taken = 0;

  for (;;) {
    if (timed_out()) return reporter.failure(ExitCode::expired, "timeout", "no pairing completed within --timeout");
    auto receiver = CodeReceiver::create(plan.setup.page);
    if (!receiver) return reporter.failure(ExitCode::usage, "bad_page", receiver.error().message);
    std::optional<Clock::time_point> registration_ends;
    if (login) {
      auto registered = register_code(*login, receiver->cid().text, reporter);
      if (registered.failed) return *registered.failed;
      registration_ends = Clock::now() + std::chrono::seconds(registered.expires_in);
    }
    ConnectError error{};
    ResumableChannel channel(plan.endpoint, receiver->cid().text, "receiver", reporter, true);
    if (!channel.open(error)) return reporter.failure(error.exit_code, error.code, error.message);

    CodeReceiveHooks hooks(options, *receiver, reporter, login ? &*login : nullptr, registration_ends);
    PairingSession<CodeReceiver> session(*receiver, channel, inbox, answers, reporter, hooks, deadline, false);
    auto started = Clock::now();
    auto outcome = session.run();
    if (login) login->registration_secret.wipe();
    if (outcome.completed && login) return finish_login(*login, hooks.write_failed(), reporter);
    if (outcome.completed) return hooks.write_failed() ? ExitCode::local_error : ExitCode::ok;

    if (outcome.relay_refused && outcome.detail == "taken") {
      // Another channel has this nameplate: draw another code.
      if (++taken >= kTakenTries)
        return reporter.failure(ExitCode::network, "unavailable",
                                "the relay had no free channel for a code " + std::to_string(kTakenTries) +
                                    " times in a row; try again later, or use the QR code (without --code)");
      continue;
    }
    taken = 0;
    if (outcome.expired_waiting && !timed_out()) {
      if (Clock::now() - started < std::chrono::seconds(2)) std::this_thread::sleep_for(std::chrono::seconds(2));
      reporter.event("expired", {}, "\nThe code expired unused. Here is a fresh one:");
      continue;
    }
    Reason reason = outcome.reason.value_or(Reason::network);
    if (receiver->cancelled_by_user())
      return reporter.failure(exit_code_for(reason), std::string(reason_code(reason)), outcome.message_for(reason));
    if (receiver->sender_seen()) {
      auto message = failed_code_message(outcome, reason);
      if (attempts.record(*receiver))
        return reporter.failure(ExitCode::too_many_attempts, "too_many_attempts",
                                message + ". Three codes failed after a device joined them: stopping. Run qrlogin "
                                          "receive --code again when you are sure nobody else is entering your codes");
      reporter.event("attempt_failed",
                     {{"reason", std::string(reason_code(reason))},
                      {"message", message},
                      {"failures", attempts.failures()},
                      {"limit", CodeAttempts::kLimit}},
                     "\n" + message + ". Failed attempts: " + std::to_string(attempts.failures()) + " of " +
                         std::to_string(CodeAttempts::kLimit) + ". Here is a fresh code:");
      continue;
    }
    // Before any sender: the relay or the network.
    if (outcome.relay) return reporter.failure(outcome.relay->exit_code, outcome.relay->code, outcome.relay->message);
    if (reason == Reason::timeout && deadline)
      return reporter.failure(ExitCode::expired, "timeout", "no pairing completed within --timeout");
    return reporter.failure(exit_code_for(reason), std::string(reason_code(reason)), outcome.message_for(reason));
  }
}

}  // namespace qrlogin::cli
