#pragma once
// What the QR and the typed-code commands share: where a received
// credential goes (--out, or with --app a grant redeemed for this device's
// own token), and talking to the application with --app on either side.
#include <optional>
#include <string>

#include "cli/app_client.hpp"
#include "cli/exit_codes.hpp"
#include "cli/options.hpp"
#include "cli/reporter.hpp"
#include "cli/who_is_asking.hpp"
#include "crypto/pairing/actions.hpp"

namespace qrlogin::cli {

// The application's own word on its origin, and the relay and page to use
// (`relay_given`/`page`: what the command line said instead).
struct AppSetup {
  std::string relay;
  std::string page;
};
// Fills `setup`, or returns the exit code after saying why not.
std::optional<ExitCode> set_up_app(const AppClient& client, const Reporter& reporter, const std::string& relay,
                                   bool relay_given, const std::string& page, AppSetup& setup);

// The receiving side with --app: a code registered with the application,
// and what arrives is a grant to redeem there for this device's own token.
struct AppLogin {
  const AppClient& client;
  std::string device_name;
  SecretString registration_secret;   // of the current code
  std::optional<AppFailure> refused;  // the application refused the grant
  std::string refused_credential;     // why the credential was not a grant for this application
  SecretString token;                 // once redeemed (and written)
};

// The default device name (the host name); the application takes 1 to 64 bytes.
std::string host_name();

// Registers `cid` before anyone can see its code: the application then
// knows the code is ours, and only we hold its registration secret. The
// registration's lifetime in seconds, or the exit code after saying why not.
struct Registered {
  std::optional<ExitCode> failed;
  std::int64_t expires_in = 0;
};
Registered register_code(AppLogin& login, const std::string& cid, const Reporter& reporter);

// The receiver's ending once its pairing completed (the sender got its
// answer, which may have been a refusal): what the application said, or on
// success who this device is now logged in as. Wipes the token.
ExitCode finish_login(AppLogin& login, bool write_failed, const Reporter& reporter);

// What became of a credential that arrived, for the machine's
// on_credential_handled(accepted, reason): written to --out (or standard
// output), or with --app redeemed and this device's token written.
class CredentialDelivery {
 public:
  CredentialDelivery(const ReceiveOptions& options, const Reporter& reporter, AppLogin* login)
      : options_(options), reporter_(reporter), login_(login) {}

  struct Handled {
    bool accepted = false;
    std::string reason;  // for the sender, when not accepted
  };
  // Wipes the credential's bytes in every case.
  Handled deliver(pairing::ReceivedCredential& credential, const std::string& cid);
  [[nodiscard]] bool write_failed() const noexcept { return write_failed_; }

 private:
  Handled write(pairing::ReceivedCredential& credential);
  Handled log_in(pairing::ReceivedCredential& credential, const std::string& cid);
  bool store(ByteView bytes);

  const ReceiveOptions& options_;
  const Reporter& reporter_;
  AppLogin* login_;
  bool write_failed_ = false;
};

// The sending side with --app: the grant is minted only once the person
// confirmed (for a device on another network: took the deliberate step).
struct AppApproval {
  const AppClient& client;
  const SecretString& token;
  std::string cid;
  std::string label;
  bool deliberate = false;             // the lookup said another network
  std::optional<AppFailure> failure;   // minting failed: the pairing was cancelled
  std::optional<std::string> stopped;  // the person did not take the deliberate step: why
};

// A sending command's --app URL and --token-file FILE: the application,
// and the token of this device that approves. Fills both, or returns the
// exit code after saying why not.
std::optional<ExitCode> open_app_as_approver(const SendOptions& options, const Reporter& reporter,
                                             std::optional<AppClient>& app, SecretString& token);

// Before anything is compared: who is asking, as the application saw it,
// shown to the person. The approval to fill in later, or the exit code
// after saying why there is none. `typed_code`: the cid came from a code
// the person typed, so an unknown one is most likely mistyped.
struct LookedUp {
  std::optional<ExitCode> failed;
  std::optional<AppApproval> approval;
};
LookedUp look_up_request(const AppClient& client, const SecretString& token, const std::string& cid,
                         const std::string& label, const Reporter& reporter, bool typed_code = false);

// The grant to send, as the pairing's credential; on failure nullopt, and
// why in approval.failure.
std::optional<Secret> mint_grant(AppApproval& approval, const Reporter& reporter);

// What to tell the person when the application refused to approve
// (`before_pairing`: nothing had been shown or sent yet).
ExitCode app_refusal(const Reporter& reporter, const AppFailure& failure, const std::string& origin,
                     bool before_pairing);

}  // namespace qrlogin::cli
