// qrlogin receive: show a code, compare, write the credential.
#include <sys/stat.h>
#include <unistd.h>

#include <thread>

#include "cli/app_client.hpp"
#include "cli/commands.hpp"
#include "cli/credential_file.hpp"
#include "cli/pairing_session.hpp"
#include "cli/token_file.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"

namespace qrlogin::cli {

using namespace pairing;

namespace {

// READY sent and no REVEAL: after this long, a possible attack.
constexpr auto kRevealTimeout = std::chrono::seconds(30);

// With --app: the code is registered with the application, and what
// arrives is a grant to redeem there for this device's own token.
struct AppLogin {
  const AppClient& client;
  std::string device_name;
  SecretString registration_secret;  // of the current code
  std::optional<AppFailure> refused;  // the application refused the grant
  std::string refused_credential;     // why the credential was not a grant for this application
  SecretString token;                 // once redeemed (and written)
};

// What the person should do when the application refused the grant.
std::string redeem_advice(const AppFailure& failure) {
  if (failure.code == "grant_used") return "this grant was already used; approve this device again with a new code";
  if (failure.code == "grant_expired")
    return "the grant expired before it reached this device (it is valid about a minute); run qrlogin receive "
           "--app again for a new code";
  if (failure.code == "grant_revoked")
    return "the device that approved this login has logged out since; approve it from a device that is logged in";
  if (failure.code == "rate_limited") return "too many login attempts from this address; try again in a minute";
  return "run qrlogin receive --app again for a new code";
}

class ReceiveHooks final : public SessionHooks {
 public:
  ReceiveHooks(const ReceiveOptions& options, Receiver& receiver, const Reporter& reporter, AppLogin* login)
      : options_(options), receiver_(receiver), reporter_(reporter), login_(login) {}

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
    if (login_) return log_in(d.credential);
    auto& c = d.credential;
    Status written = options_.out == "-" ? write_credential_stdout(c.bytes.view())
                                         : write_credential_file(options_.out, c.bytes.view(), options_.force);
    c.bytes.wipe();
    if (!written) {
      reporter_.event("error", {{"code", "output_failed"}, {"message", written.error().message}},
                      "qrlogin: " + written.error().message);
      write_failed_ = true;
      return receiver_.on_credential_handled(false, "the receiver could not store the credential");
    }
    std::string label = c.label.empty() ? "" : " from \"" + printable(c.label) + "\"";
    nlohmann::json fields = {{"out", options_.out}};
    if (!c.label.empty()) fields["label"] = printable(c.label);
    reporter_.event("result", fields,
                    "Logged in: the credential" + label + " was written to " +
                        (options_.out == "-" ? std::string("standard output") : options_.out) + ".");
    return receiver_.on_credential_handled(true);
  }

  std::optional<Clock::duration> step_limit() const override {
    if (receiver_.state() == Receiver::State::waiting_for_reveal) return kRevealTimeout;
    return std::nullopt;
  }
  bool waiting_for_first_contact() const override { return receiver_.state() == Receiver::State::waiting_for_hello; }
  [[nodiscard]] bool write_failed() const noexcept { return write_failed_; }

 private:
  // --app: the credential must be a grant of this application; redeemed, it
  // is this device's token, written to --out. The sender learns whether it
  // worked (RESULT), with a reason when not.
  Actions log_in(ReceivedCredential& c) {
    auto& client = login_->client;
    auto grant = grant_from_credential(c.bytes.view(), c.is_string, client.origin());
    c.bytes.wipe();
    if (!grant) {
      login_->refused_credential = grant.error().message;
      return receiver_.on_credential_handled(false, "not a login grant for " + client.origin());
    }
    reporter_.event("redeeming", {}, "Redeeming the grant at " + client.origin() + "...");
    auto token = client.redeem(receiver_.cid().text, *grant, login_->registration_secret, login_->device_name);
    grant->wipe();
    login_->registration_secret.wipe();
    if (!token) {
      login_->refused = token.failure();
      return receiver_.on_credential_handled(false, "the application refused the grant (" + token.failure().code + ")");
    }
    auto text = token_file_text(*token);
    Status written = options_.out == "-" ? write_credential_stdout(text.bytes())
                                         : write_credential_file(options_.out, text.bytes(), options_.force);
    text.wipe();
    if (!written) {
      reporter_.event("error", {{"code", "output_failed"}, {"message", written.error().message}},
                      "qrlogin: " + written.error().message);
      write_failed_ = true;
      // A token nobody holds must not stay valid in the account's list.
      if (!client.logout(*token)) reporter_.say("qrlogin: could not end the unused session at " + client.origin());
      return receiver_.on_credential_handled(false, "the receiver could not store its token");
    }
    login_->token = std::move(token).take();
    reporter_.event("result", {{"out", options_.out}, {"app", client.origin()}},
                    "Logged in to " + client.origin() + ": this device's token was written to " +
                        (options_.out == "-" ? std::string("standard output") : options_.out) + ".");
    return receiver_.on_credential_handled(true);
  }

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
  AppLogin* login_;
  bool write_failed_ = false;
};

// The default device name; the application takes 1 to 64 bytes.
std::string host_name() {
  char name[65] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "qrlogin";
  return printable(name, 64);
}

// Where --app logs in: the application's own word on its origin and relay.
struct AppSetup {
  std::string relay;
  std::string page;
};

std::optional<ExitCode> set_up_app(const ReceiveOptions& options, const AppClient& client, const Reporter& reporter,
                                   AppSetup& setup) {
  auto config = client.config();
  if (!config) {
    const auto& f = config.failure();
    return reporter.failure(f.kind == AppFailure::Kind::unreachable ? ExitCode::network : ExitCode::protocol, f.code,
                            f.message);
  }
  if (config->origin != client.origin())
    return reporter.failure(ExitCode::usage, "app_origin_mismatch",
                            "the application at " + client.origin() + " says its origin is " +
                                printable(config->origin, 100) + "; use --app " + printable(config->origin, 100));
  setup.relay = options.relay_given ? options.relay : config->relay;
  if (setup.relay.empty())
    return reporter.failure(ExitCode::usage, "no_relay",
                            "the application at " + client.origin() + " names no relay; pass --relay URL");
  setup.page = options.page.empty() ? client.origin() + "/pair" : options.page;
  reporter.event("app", {{"app", client.origin()}, {"relay", printable(setup.relay, 200)}},
                 "Logging in to " + client.origin() + " (relay " + printable(setup.relay, 200) + ").");
  return std::nullopt;
}

// After the token was written: who this device is logged in as.
void report_login(const AppClient& client, const SecretString& token, const Reporter& reporter) {
  auto session = client.session(token);
  if (!session) {
    reporter.say("qrlogin: logged in, but could not ask the application who as: " + session.failure().message);
    return;
  }
  auto account = printable(session->account, 64);
  auto device = printable(session->device_name, 64);
  reporter.event("logged_in", {{"account", account}, {"device", device}, {"device_id", session->device_id}},
                 "Logged in as " + account + " (this device: \"" + device +
                     "\"). It is listed among the account's devices, where it can be revoked.");
}

// The receiver's ending when the login itself went wrong.
std::optional<ExitCode> login_failure(const AppLogin& login, const Reporter& reporter) {
  if (!login.refused_credential.empty())
    return reporter.failure(ExitCode::app_refused, "credential_refused",
                            "refused the credential the other device sent: " + login.refused_credential +
                                ". Nothing was written.");
  if (!login.refused) return std::nullopt;
  const auto& f = *login.refused;
  if (f.kind == AppFailure::Kind::unreachable)
    return reporter.failure(ExitCode::network, f.code, f.message + "; nothing was written");
  if (f.kind == AppFailure::Kind::bad_answer)
    return reporter.failure(ExitCode::protocol, f.code, f.message + "; nothing was written");
  return reporter.failure(ExitCode::app_refused, f.code,
                          f.message + ": " + redeem_advice(f) + ". Nothing was written.");
}

}  // namespace

ExitCode run_receive(const ReceiveOptions& options) {
  Reporter reporter(options.common.json);
  std::optional<AppClient> app;
  AppSetup setup{options.relay, options.page};
  if (!options.app.empty()) {
    auto app_at = app_endpoint(options.app);
    if (!app_at) return reporter.failure(ExitCode::usage, "bad_app", app_at.error().message);
    app_at->ca_file = options.common.ca_file;
    app_at->bind_address = options.common.bind;
    app.emplace(*app_at);
  }
  auto endpoint = relay_endpoint(setup.relay);
  if (!endpoint) return reporter.failure(ExitCode::usage, "bad_relay", endpoint.error().message);
  endpoint->ca_file = options.common.ca_file;
  endpoint->bind_address = options.common.bind;

  struct stat existing {};
  if (options.out != "-" && !options.force && ::lstat(options.out.c_str(), &existing) == 0)
    return reporter.failure(ExitCode::local_error, "output_exists",
                          options.out + " already exists; use --force to replace it");

  std::optional<Clock::time_point> deadline;
  if (options.common.timeout_seconds)
    deadline = Clock::now() + std::chrono::duration_cast<Clock::duration>(
                                  std::chrono::duration<double>(*options.common.timeout_seconds));
  // Only its user, at a terminal, may confirm the code (a pipe such as
  // `yes |` must not): without one, only --yes can complete a pairing.
  if (!options.yes && !AnswerReader::terminal_available())
    return reporter.failure(ExitCode::usage, "no_terminal",
                            "no terminal to confirm the code at (stdin is not a terminal and there is no "
                            "/dev/tty): run qrlogin receive at a terminal, or pass --yes to accept "
                            "automatically (then only the other device's user checks the code)");
  std::optional<AppLogin> login;
  if (app) {
    if (auto stop = set_up_app(options, *app, reporter, setup)) return *stop;
    endpoint = relay_endpoint(setup.relay);
    if (!endpoint) return reporter.failure(ExitCode::usage, "bad_relay", endpoint.error().message);
    endpoint->ca_file = options.common.ca_file;
    endpoint->bind_address = options.common.bind;
    login.emplace(AppLogin{*app, options.device_name.empty() ? host_name() : options.device_name, {}, {}, {}, {}});
  }
  auto inbox = std::make_shared<Inbox>();
  AnswerReader answers(inbox, AnswerInput::terminal);

  for (;;) {
    // build_link omits the relay parameter when it is the page's own relay,
    // and refuses a bad page URL here, before anything is sent.
    auto receiver = Receiver::create(setup.page, setup.relay, {.auto_accept = options.yes});
    if (!receiver) return reporter.failure(ExitCode::usage, "bad_page", receiver.error().message);
    if (login) {
      // Registered before anyone can see the code: the application then
      // knows this code is ours, and only we hold its registration secret.
      auto registration = app->register_pairing(receiver->cid().text, login->device_name);
      if (!registration) {
        const auto& f = registration.failure();
        auto code = f.kind == AppFailure::Kind::refused   ? ExitCode::app_refused
                    : f.kind == AppFailure::Kind::bad_answer ? ExitCode::protocol
                                                             : ExitCode::network;
        return reporter.failure(code, f.code, "cannot register the code with the application: " + f.message);
      }
      login->registration_secret = std::move(registration->registration_secret);
      reporter.event("registered", {{"expires_in", registration->expires_in}},
                     "The code is registered with " + app->origin() + ".");
    }
    ConnectError error{};
    ResumableChannel channel(*endpoint, receiver->cid().text, "receiver", reporter);
    if (!channel.open(error)) return reporter.failure(error.exit_code, error.code, error.message);

    ReceiveHooks hooks(options, *receiver, reporter, login ? &*login : nullptr);
    PairingSession<Receiver> session(*receiver, channel, inbox, answers, reporter, hooks, deadline, false);
    auto started = Clock::now();
    auto outcome = session.run();
    if (login) login->registration_secret.wipe();
    if (outcome.completed && login) {
      // Completed means the sender got our answer (RESULT), which may be a refusal.
      if (auto stop = login_failure(*login, reporter)) return *stop;
      if (hooks.write_failed()) return ExitCode::local_error;
      report_login(*app, login->token, reporter);
      login->token.wipe();
      return ExitCode::ok;
    }
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
