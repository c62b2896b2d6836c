// qrlogin receive: show a code, compare, write the credential.
#include <unistd.h>

#include <thread>

#include "cli/commands.hpp"
#include "cli/credential_file.hpp"
#include "cli/pairing_session.hpp"
#include "cli/receive_plan.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"

namespace qrlogin::cli {

using namespace pairing;

namespace {

// READY sent and no REVEAL: after this long, a possible attack.
constexpr auto kRevealTimeout = std::chrono::seconds(30);

class ReceiveHooks final : public SessionHooks {
 public:
  ReceiveHooks(const ReceiveOptions& options, Receiver& receiver, const Reporter& reporter, AppLogin* login)
      : options_(options), receiver_(receiver), reporter_(reporter), delivery_(options, reporter, login) {}

  Actions on_joined(bool, std::chrono::milliseconds expires_in) override {
    show_link(expires_in);
    return {};
  }

  bool asks_user() const override { return !options_.yes; }
  void show_sas(const std::string& code) override {
    reporter_.event("sas", {{"sas", code}}, "\nThe code is:   " + code + "\n");
    if (options_.yes) {
      reporter_.say("Accepting automatically (--yes): the other device's user must check this code.");
      return;
    }
    reporter_.event("waiting_confirmation", {},
                    "Does the other device show the same code? Answer y or n, or type the code it shows:");
  }

  void answered() override { reporter_.say("Waiting for the other device to send the credential..."); }

  Actions deliver(DeliverCredential& d) override {
    auto handled = delivery_.deliver(d.credential, receiver_.cid().text);
    return receiver_.on_credential_handled(handled.accepted, handled.reason);
  }

  std::optional<Clock::duration> step_limit() const override {
    if (receiver_.state() == Receiver::State::waiting_for_reveal) return kRevealTimeout;
    return std::nullopt;
  }
  bool waiting_for_first_contact() const override { return receiver_.state() == Receiver::State::waiting_for_hello; }
  [[nodiscard]] bool write_failed() const noexcept { return delivery_.write_failed(); }

 private:
  void show_link(std::chrono::milliseconds expires_in) {
    const auto& link = receiver_.link();
    QrOptions qr = options_.qr;
    qr.ansi_colours = qr.style == QrStyle::utf8 && ::isatty(STDERR_FILENO);
    auto text = render_terminal_qr(link, qr);
    if (text && !text->empty() && !reporter_.json()) reporter_.say("\n" + *text);
    if (!options_.qr_svg.empty()) {
      // The link is the capability to pair: same care as a credential file.
      auto svg = render_svg_qr(link);
      Status written = svg ? write_credential_file(options_.qr_svg, as_bytes(*svg), true) : Status(svg.error());
      if (!written) reporter_.say("qrlogin: could not write the QR code: " + written.error().message);
    }
    auto seconds = std::chrono::duration_cast<std::chrono::seconds>(expires_in).count();
    if (reporter_.json() && text && !text->empty()) reporter_.say("\n" + *text);
    reporter_.event("link", {{"link", link}, {"expires_in_ms", expires_in.count()}},
                    "Scan this code with the device that is logged in, or open:\n  " + link +
                        "\nIt expires in " + std::to_string(seconds) + " seconds. Waiting for the other device...");
  }

  const ReceiveOptions& options_;
  Receiver& receiver_;
  const Reporter& reporter_;
  CredentialDelivery delivery_;
};

}  // namespace

ExitCode run_receive(const ReceiveOptions& options) {
  Reporter reporter(options.common.json);
  // Only its user, at a terminal, may confirm the code (a pipe such as
  // `yes |` must not): without one, only --yes can complete a pairing.
  ReceivePlan plan;
  if (auto stop = plan_receive(options, reporter,
                               options.yes ? std::string()
                                           : "no terminal to confirm the code at (stdin is not a terminal and there "
                                             "is no /dev/tty): run qrlogin receive at a terminal, or pass --yes to "
                                             "accept automatically (then only the other device's user checks the "
                                             "code)",
                               plan))
    return *stop;
  auto& setup = plan.setup;
  auto& login = plan.login;
  const auto& deadline = plan.deadline;
  auto inbox = std::make_shared<Inbox>();
  AnswerReader answers(inbox, AnswerInput::terminal);

  for (;;) {
    // build_link omits the relay parameter when it is the page's own relay,
    // and refuses a bad page URL here, before anything is sent.
    auto receiver = Receiver::create(setup.page, setup.relay, {.auto_accept = options.yes});
    if (!receiver) return reporter.failure(ExitCode::usage, "bad_page", receiver.error().message);
    if (login) {
      if (auto registered = register_code(*login, receiver->cid().text, reporter); registered.failed)
        return *registered.failed;
    }
    ConnectError error{};
    ResumableChannel channel(plan.endpoint, receiver->cid().text, "receiver", reporter);
    if (!channel.open(error)) return reporter.failure(error.exit_code, error.code, error.message);

    ReceiveHooks hooks(options, *receiver, reporter, login ? &*login : nullptr);
    PairingSession<Receiver> session(*receiver, channel, inbox, answers, reporter, hooks, deadline, false);
    auto started = Clock::now();
    auto outcome = session.run();
    if (login) login->registration_secret.wipe();
    if (outcome.completed && login) return finish_login(*login, hooks.write_failed(), reporter);
    if (outcome.completed) return hooks.write_failed() ? ExitCode::local_error : ExitCode::ok;
    if (outcome.expired_waiting && (!deadline || Clock::now() < *deadline)) {
      // A relay that expires channels at once must not make us spin.
      if (Clock::now() - started < std::chrono::seconds(2)) std::this_thread::sleep_for(std::chrono::seconds(2));
      reporter.event("expired", {}, "\nThe code expired unused. Here is a fresh one:");
      continue;
    }
    if (outcome.relay && outcome.reason != Reason::intrusion && outcome.reason != Reason::expired &&
        outcome.reason != Reason::possible_attack)
      return reporter.failure(outcome.relay->exit_code, outcome.relay->code, outcome.relay->message);
    Reason reason = outcome.reason.value_or(Reason::network);
    if (outcome.expired_waiting) reason = Reason::timeout;
    std::string message = outcome.message_for(reason);
    if (reason == Reason::intrusion) message += ". Run qrlogin receive again for a new code.";
    if (reason == Reason::timeout && !deadline) message = "the other device took too long";
    if (reason == Reason::timeout && deadline) message = "no pairing completed within --timeout";
    return reporter.failure(exit_code_for(reason), std::string(reason_code(reason)), message);
  }
}

}  // namespace qrlogin::cli
