#include "cli/app_login.hpp"

#include <unistd.h>

#include <ctime>

#include "cli/credential_file.hpp"
#include "cli/token_file.hpp"

namespace qrlogin::cli {

namespace {

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

ExitCode app_exit_code(const AppFailure& failure) {
  switch (failure.kind) {
    case AppFailure::Kind::refused:
      return ExitCode::app_refused;
    case AppFailure::Kind::bad_answer:
      return ExitCode::protocol;
    case AppFailure::Kind::unreachable:
      break;
  }
  return ExitCode::network;
}

std::string where_written(const std::string& out) {
  return out == "-" ? std::string("standard output") : out;
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

// The receiver's ending when the login itself went wrong (nullopt: it did not).
std::optional<ExitCode> login_failure(const AppLogin& login, const Reporter& reporter) {
  if (!login.refused_credential.empty())
    return reporter.failure(ExitCode::app_refused, "credential_refused",
                            "refused the credential the other device sent: " + login.refused_credential +
                                ". Nothing was written.");
  if (!login.refused) return std::nullopt;
  const auto& f = *login.refused;
  if (f.kind != AppFailure::Kind::refused)
    return reporter.failure(app_exit_code(f), f.code, f.message + "; nothing was written");
  return reporter.failure(ExitCode::app_refused, f.code,
                          f.message + ": " + redeem_advice(f) + ". Nothing was written.");
}

}  // namespace

std::optional<ExitCode> set_up_app(const AppClient& client, const Reporter& reporter, const std::string& relay,
                                   bool relay_given, const std::string& page, AppSetup& setup) {
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
  setup.relay = relay_given ? relay : config->relay;
  if (setup.relay.empty())
    return reporter.failure(ExitCode::usage, "no_relay",
                            "the application at " + client.origin() + " names no relay; pass --relay URL");
  setup.page = page.empty() ? client.origin() + "/pair" : page;
  reporter.event("app", {{"app", client.origin()}, {"relay", printable(setup.relay, 200)}},
                 "Logging in to " + client.origin() + " (relay " + printable(setup.relay, 200) + ").");
  return std::nullopt;
}

std::string host_name() {
  char name[65] = {};
  if (::gethostname(name, sizeof name - 1) != 0 || name[0] == '\0') return "qrlogin";
  return printable(name, 64);
}

Registered register_code(AppLogin& login, const std::string& cid, const Reporter& reporter) {
  auto registration = login.client.register_pairing(cid, login.device_name);
  if (!registration) {
    const auto& f = registration.failure();
    return {reporter.failure(app_exit_code(f), f.code, "cannot register the code with the application: " + f.message),
            0};
  }
  login.registration_secret = std::move(registration->registration_secret);
  reporter.event("registered", {{"expires_in", registration->expires_in}},
                 "The code is registered with " + login.client.origin() + ".");
  return {std::nullopt, registration->expires_in};
}

ExitCode finish_login(AppLogin& login, bool write_failed, const Reporter& reporter) {
  if (auto stop = login_failure(login, reporter)) return *stop;
  if (write_failed) return ExitCode::local_error;
  report_login(login.client, login.token, reporter);
  login.token.wipe();
  return ExitCode::ok;
}

CredentialDelivery::Handled CredentialDelivery::deliver(pairing::ReceivedCredential& c, const std::string& cid) {
  return login_ ? log_in(c, cid) : write(c);
}

bool CredentialDelivery::store(ByteView bytes) {
  Status written = options_.out == "-" ? write_credential_stdout(bytes)
                                       : write_credential_file(options_.out, bytes, options_.force);
  if (written) return true;
  reporter_.event("error", {{"code", "output_failed"}, {"message", written.error().message}},
                  "qrlogin: " + written.error().message);
  write_failed_ = true;
  return false;
}

CredentialDelivery::Handled CredentialDelivery::write(pairing::ReceivedCredential& c) {
  bool stored = store(c.bytes.view());
  c.bytes.wipe();
  if (!stored) return {false, "the receiver could not store the credential"};
  std::string label;
  nlohmann::json fields = {{"out", options_.out}};
  if (!c.label.empty()) {
    // Appended, not `" from \"" + x + "\""`: GCC 12 at -O3 takes that for an
    // overlapping memcpy (-Werror=restrict) in the package build.
    label.assign(" from \"").append(printable(c.label)).push_back('"');
    fields["label"] = printable(c.label);
  }
  reporter_.event("result", fields,
                  "Logged in: the credential" + label + " was written to " + where_written(options_.out) + ".");
  return {true, {}};
}

// The credential must be a grant of this application; redeemed, it is this
// device's token, written to --out.
CredentialDelivery::Handled CredentialDelivery::log_in(pairing::ReceivedCredential& c, const std::string& cid) {
  auto& client = login_->client;
  auto grant = grant_from_credential(c.bytes.view(), c.is_string, client.origin());
  c.bytes.wipe();
  if (!grant) {
    login_->refused_credential = grant.error().message;
    return {false, "not a login grant for " + client.origin()};
  }
  reporter_.event("redeeming", {}, "Redeeming the grant at " + client.origin() + "...");
  auto token = client.redeem(cid, *grant, login_->registration_secret, login_->device_name);
  grant->wipe();
  login_->registration_secret.wipe();
  if (!token) {
    login_->refused = token.failure();
    return {false, "the application refused the grant (" + token.failure().code + ")"};
  }
  auto text = token_file_text(*token);
  bool stored = store(text.bytes());
  text.wipe();
  if (!stored) {
    // A token nobody holds must not stay valid in the account's list.
    if (!client.logout(*token)) reporter_.say("qrlogin: could not end the unused session at " + client.origin());
    return {false, "the receiver could not store its token"};
  }
  login_->token = std::move(token).take();
  reporter_.event("result", {{"out", options_.out}, {"app", client.origin()}},
                  "Logged in to " + client.origin() + ": this device's token was written to " +
                      where_written(options_.out) + ".");
  return {true, {}};
}

std::optional<ExitCode> open_app_as_approver(const SendOptions& options, const Reporter& reporter,
                                             std::optional<AppClient>& app, SecretString& token) {
  auto app_at = app_endpoint(options.app, options.common);
  if (!app_at) return reporter.failure(ExitCode::usage, "bad_app", app_at.error().message);
  auto read = read_token_file(options.token_file);
  if (!read) return reporter.failure(ExitCode::local_error, "token_file", read.error().message);
  token = std::move(read).value();
  app.emplace(*app_at);
  return std::nullopt;
}

LookedUp look_up_request(const AppClient& client, const SecretString& token, const std::string& cid,
                         const std::string& label, const Reporter& reporter, bool typed_code) {
  auto asking = client.lookup(cid, token);
  if (!asking && typed_code && asking.failure().code == "unknown_cid")
    return {reporter.failure(ExitCode::expired, "unknown_code",
                             "No device shows this code at " + client.origin() +
                                 " now: check that you typed the code that device shows, or choose New code there. "
                                 "Nothing was sent"),
            std::nullopt};
  if (!asking) return {app_refusal(reporter, asking.failure(), client.origin(), true), std::nullopt};
  auto shown = describe_request(*asking, client.origin(), static_cast<std::int64_t>(std::time(nullptr)));
  reporter.event("pairing_request", std::move(shown.fields), shown.human);
  if (asking->approval == Approval::refused)
    return {reporter.failure(ExitCode::app_refused, "other_network_refused",
                             "the device asking is on another network than this one, and " + client.origin() +
                                 " does not allow approving such a login: log in on that device another way (e.g. "
                                 "with your password). Nothing was approved"),
            std::nullopt};
  return {std::nullopt, AppApproval{client, token, cid, label, asking->approval == Approval::deliberate,
                                    std::nullopt, std::nullopt}};
}

std::optional<Secret> mint_grant(AppApproval& approval, const Reporter& reporter) {
  reporter.event("minting", {}, "Asking " + approval.client.origin() + " for a single-use login grant...");
  auto credential = approval.client.mint_credential(approval.cid, approval.token, approval.label, approval.deliberate);
  if (!credential) {
    approval.failure = credential.failure();
    return std::nullopt;
  }
  reporter.say("Sending the grant...");
  return std::move(credential).take();
}

ExitCode app_refusal(const Reporter& reporter, const AppFailure& failure, const std::string& origin,
                     bool before_pairing) {
  if (failure.kind != AppFailure::Kind::refused)
    return reporter.failure(app_exit_code(failure), failure.code, failure.message + "; nothing was approved");
  std::string what;
  if (failure.status == 401)
    what = "this device is no longer logged in to " + origin + " (its token was revoked, logged out or unused for "
           "too long): log in again, e.g. with qrlogin receive --app " + origin + " --out FILE. " + failure.message;
  else if (failure.code == "unknown_cid")
    what = "this code was not made by " + origin + " (or it expired long ago): nothing can be approved. " +
           failure.message;
  else if (failure.code == "pairing_expired")
    what = "this code has expired: ask for a new one. " + failure.message;
  else if (failure.code == "pairing_used")
    what = "a device already logged in with this code: ask for a new one. " + failure.message;
  else if (failure.code == "other_network_refused")
    what = "the device asking is on another network than this one, and " + origin +
           " does not allow approving such a login: log in on that device another way (e.g. with your password). " +
           failure.message;
  else if (failure.code == "other_network_unconfirmed")
    what = "the application now sees the device asking on another network than this one; start again to take "
           "the step it asks for. " + failure.message;
  else if (failure.code == "rate_limited")
    what = "too many logins approved for this account just now: try again in a minute. " + failure.message;
  else
    what = failure.message;
  return reporter.failure(ExitCode::app_refused, failure.code,
                          what + (before_pairing ? "" : "; the pairing was cancelled and nothing was sent"));
}

}  // namespace qrlogin::cli
