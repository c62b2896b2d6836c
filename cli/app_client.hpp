#pragma once
// The CLI's client for an application's HTTP API (docs/app-api.md): JSON
// over HTTP/1.1 or HTTPS, one request per connection, each within a timeout.
// Failures are values that say what happened, with the application's own
// `error` code and `message` when it answered. Tokens, grants and
// registration secrets travel only in Secret/SecretString, and no message
// or field here ever holds one (nor a request or answer body).
#include <chrono>
#include <cstdint>
#include <string>
#include <utility>
#include <variant>

#include "cli/error.hpp"
#include "cli/options.hpp"
#include "cli/who_is_asking.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::cli {

// Where the application is: its origin (scheme://host[:port], lower case,
// the default port left out), as docs/app-api.md "Origin" spells it.
struct AppEndpoint {
  std::string origin;
  std::string host;  // without brackets for IPv6
  std::uint16_t port = 0;
  bool tls = false;
  std::string ca_file;  // --ca-file: trusted instead of the system's roots
  std::string bind_address;  // --bind: the local address to connect from; empty: any
};

// Errors (usage): not http:// or https://, a path, query or fragment.
Result<AppEndpoint> app_endpoint(const std::string& url);
// The same with the common options' CA file and bind address.
Result<AppEndpoint> app_endpoint(const std::string& url, const CommonOptions& common);

struct AppFailure {
  enum class Kind {
    unreachable,  // no answer: connecting, TLS or the timeout
    refused,      // the application answered with an error (status, code, message)
    bad_answer,   // an answer that is not what the API says
  };
  Kind kind = Kind::unreachable;
  int status = 0;          // HTTP status, when it answered
  std::string code;        // the application's `error`, or ours (tls_untrusted, timeout, bad_answer)
  std::string message;     // for a person; includes the application's code and message
};

template <class T>
class AppResult {
 public:
  AppResult(T value) : state_(std::in_place_index<0>, std::move(value)) {}           // NOLINT: implicit by design
  AppResult(AppFailure failure) : state_(std::in_place_index<1>, std::move(failure)) {}  // NOLINT
  [[nodiscard]] bool ok() const noexcept { return state_.index() == 0; }
  explicit operator bool() const noexcept { return ok(); }
  T& operator*() { return std::get<0>(state_); }
  T* operator->() { return &std::get<0>(state_); }
  T&& take() && { return std::get<0>(std::move(state_)); }
  [[nodiscard]] const AppFailure& failure() const { return std::get<1>(state_); }

 private:
  std::variant<T, AppFailure> state_;
};

struct AppConfig {
  std::string origin;
  std::string relay;  // empty when the application names none
};

struct Registration {
  SecretString registration_secret;
  std::int64_t expires_in = 0;
};

struct SessionInfo {
  std::string account;
  std::string device_name;
  std::int64_t device_id = 0;
};

class AppClient {
 public:
  explicit AppClient(AppEndpoint endpoint, std::chrono::milliseconds timeout = std::chrono::seconds(10))
      : endpoint_(std::move(endpoint)), timeout_(timeout) {}

  [[nodiscard]] const std::string& origin() const noexcept { return endpoint_.origin; }

  AppResult<AppConfig> config() const;
  // POST /api/pairings: the new device registers its channel id.
  AppResult<Registration> register_pairing(const std::string& cid, const std::string& device_name) const;
  // POST /api/pairings/lookup, as the logged-in device.
  AppResult<PairingRequest> lookup(const std::string& cid, const SecretString& token) const;
  // POST /api/grants: the credential to send across the relay, as the
  // pairing's J (pairing::credential_json of the answer's `credential`,
  // with `label`). `other_network_confirmed`: the person took the
  // deliberate step for a device on another network.
  AppResult<Secret> mint_credential(const std::string& cid, const SecretString& token, std::string_view label,
                                    bool other_network_confirmed = false) const;
  // POST /api/redeem with kind "token": this device's own token.
  AppResult<SecretString> redeem(const std::string& cid, const SecretString& grant,
                                 const SecretString& registration_secret, const std::string& device_name) const;
  AppResult<SessionInfo> session(const SecretString& token) const;
  // POST /api/logout: ends the token's session (a token that could not be
  // stored must not stay valid).
  AppResult<bool> logout(const SecretString& token) const;

 private:
  struct Answer;
  AppResult<Answer> call(const std::string& method, const std::string& path, const SecretString& body,
                         const SecretString* token, int expected_status) const;

  AppEndpoint endpoint_;
  std::chrono::milliseconds timeout_;
};

// The checks a receiver makes on the credential it got across the relay: a
// JSON object {"grant": "...", "app": "..."} whose `app` is this client's
// origin. Errors say why, for the person and for the sender.
Result<SecretString> grant_from_credential(ByteView credential, bool is_string, const std::string& origin);

}  // namespace qrlogin::cli
