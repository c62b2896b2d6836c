// qrlogin send: pair with the device that shows a link, compare, send.
#include "cli/commands.hpp"
#include "cli/credential_file.hpp"
#include "cli/pairing_session.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/sender.hpp"

namespace qrlogin::cli {

using namespace pairing;

namespace {

class SendHooks final : public SessionHooks {
 public:
  SendHooks(Sender& sender, const Reporter& reporter) : sender_(sender), reporter_(reporter) {}

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
    reporter_.event("sas", {{"sas", code}}, "\nThe code is:   " + code + "\n");
    reporter_.event("waiting_confirmation", {},
                    "Does the other device show the same code? Answer y or n, or type the code it shows:");
  }
  void answered() override { reporter_.say("Sending the credential..."); }

  void show_result(const ShowResult& result) override {
    if (result.accepted) {
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

  Sender& sender_;
  const Reporter& reporter_;
};

}  // namespace

ExitCode run_send(const SendOptions& options) {
  Reporter reporter(options.common.json);
  auto link = parse_link(options.link);
  if (!link) return reporter.failure(ExitCode::usage, "bad_link", "bad link: " + link.error().message);
  auto endpoint = relay_endpoint(link->relay_url);
  if (!endpoint) return reporter.failure(ExitCode::usage, "bad_relay", endpoint.error().message);
  endpoint->ca_file = options.common.ca_file;

  // A JSON string of the text, escaped, must still fit in 65536 bytes.
  auto text = read_credential(options.credential_file, kMaxCredentialJsonBytes);
  if (!text) return reporter.failure(ExitCode::local_error, "credential_unreadable", text.error().message);
  auto j = credential_json_from_text(text->view(), options.label);
  text->wipe();
  if (!j) return reporter.failure(ExitCode::local_error, "credential_invalid", j.error().message);
  auto sender = Sender::create(*link, std::move(j).value());
  if (!sender) return reporter.failure(ExitCode::local_error, "credential_invalid", sender.error().message);

  std::optional<Clock::time_point> deadline;
  if (options.common.timeout_seconds)
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(*options.common.timeout_seconds));
  auto inbox = std::make_shared<Inbox>();
  AnswerReader answers(inbox, options.credential_file == "-" ? AnswerInput::terminal_not_stdin : AnswerInput::terminal_or_stdin);

  ConnectError error{};
  ResumableChannel channel(*endpoint, link->cid.text, "sender", reporter);
  if (!channel.open(error)) return reporter.failure(error.exit_code, error.code, error.message);

  SendHooks hooks(*sender, reporter);
  PairingSession<Sender> session(*sender, channel, inbox, answers, reporter, hooks, deadline, true);
  auto outcome = session.run();
  if (outcome.completed) return ExitCode::ok;
  if (outcome.relay && outcome.reason != Reason::rejected && outcome.reason != Reason::possible_attack)
    return reporter.failure(outcome.relay->exit_code, outcome.relay->code, outcome.relay->message);
  Reason reason = outcome.reason.value_or(Reason::network);
  std::string message = outcome.message_for(reason);
  if (reason == Reason::rejected) message = "the other device refused the credential";
  if (reason == Reason::possible_attack && outcome.detail == "sas_mismatch")
    message = "the other device's user said the codes differ: the pairing may have been attacked";
  if (sender->credential_sent())
    message += ". The credential WAS sent before the pairing failed: revoke it if you do not trust the other device";
  else if (reason != Reason::network)
    message += "; nothing was sent";
  if (reason == Reason::timeout && deadline) message = "the pairing did not complete within --timeout";
  return reporter.failure(exit_code_for(reason), std::string(reason_code(reason)), message);
}

}  // namespace qrlogin::cli
