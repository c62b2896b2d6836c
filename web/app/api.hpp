#pragma once
// The application's HTTP/JSON API (docs/app-api.md), without sockets: the
// server hands it an ApiRequest and sends back the ApiResponse. Safe to call
// from several I/O threads at once (the store and the rate limiters lock;
// password hashing runs outside any lock).
//
//   accounts.cpp  signup, login, logout, the current session
//   pairing.cpp   pairing registration, lookup, grants, redemption
//   devices.cpp   the account's devices, revoking one
//   api.cpp       routing, Origin, authentication, errors
#include <atomic>
#include <cstdint>
#include <string>
#include <variant>

#include <nlohmann/json_fwd.hpp>

#include "crypto/random.hpp"
#include "web/app/clock.hpp"
#include "web/app/http_types.hpp"
#include "web/app/log.hpp"
#include "web/app/notices.hpp"
#include "web/app/origin.hpp"
#include "web/app/password.hpp"
#include "web/app/rate_limit.hpp"
#include "web/app/store.hpp"

namespace qrlogin::app {

struct ApiLimits {
  RateLimit signups_per_network{0.1, 10};
  RateLimit login_failures_per_account{1.0 / 30, 5};
  RateLimit login_failures_per_network{0.1, 20};
  RateLimit registrations_per_address{1, 20};
  RateLimit redeems_per_address{1, 10};
  RateLimit grants_per_account{1, 10};
  // For benchmarks only (--profile bench): nothing is limited in practice.
  static ApiLimits unlimited();
};

struct ApiSettings {
  Origin origin;
  std::string relay_url;  // told to clients by /api/config; may be empty
  UnixMillis pairing_lifetime = 150'000;
  UnixMillis grant_lifetime = 60'000;
  UnixMillis session_idle = 30LL * 24 * 3600 * 1000;
  PasswordCost password_cost = PasswordCost::interactive;
  // A grant for a device on another network than the approving one: false
  // needs the deliberate step ("other_network_confirmed"), true refuses it.
  bool refuse_other_network = false;
  ApiLimits limits;
};

inline constexpr std::size_t kMaxBodyBytes = 8 * 1024;

class Api {
 public:
  Api(ApiSettings settings, Store& store, const Clock& clock, Rng& rng, Logger& logger);

  [[nodiscard]] ApiResponse handle(const ApiRequest& request);
  // The answer for an error found before the API saw the request (a body
  // over kMaxBodyBytes, a malformed request).
  [[nodiscard]] static ApiResponse error_response(const Error& error);

  [[nodiscard]] const ApiSettings& settings() const noexcept { return settings_; }

  // GET /api/events, the live notice stream: the caller's device, or the
  // refusal to answer (not authenticated, session ended, too many streams).
  // The server keeps the connection and writes what notices() publishes.
  [[nodiscard]] std::variant<ApiResponse, DeviceRow> begin_event_stream(const ApiRequest& request);
  // Whether a device is still logged in (a stream ends when it is not).
  [[nodiscard]] bool device_active(std::int64_t device_id);
  [[nodiscard]] Notices& notices() noexcept { return notices_; }

 private:
  ApiResponse route(const ApiRequest& request);
  ApiResponse config() const;
  ApiResponse signup(const ApiRequest& request);
  ApiResponse login(const ApiRequest& request);
  ApiResponse logout(const ApiRequest& request);
  ApiResponse current_session(const ApiRequest& request);
  ApiResponse register_pairing(const ApiRequest& request);
  ApiResponse lookup_pairing(const ApiRequest& request);
  ApiResponse mint_grant(const ApiRequest& request);
  ApiResponse redeem(const ApiRequest& request);
  ApiResponse list_devices(const ApiRequest& request);
  ApiResponse revoke_device(const ApiRequest& request);

  // State-changing requests: Origin must be ours; a request without Origin
  // is accepted only when it carries no cookie (a non-browser client).
  Status check_origin(const ApiRequest& request) const;
  // The device behind the request's session cookie or bearer token (each
  // kind only through its own transport); refreshes its last-seen time.
  // Errors: not_authenticated, session_ended, storage_unavailable.
  Result<DeviceRow> authenticate(const ApiRequest& request);
  // An error answer; clears the cookie when the session is gone, logs a
  // storage failure with its reason, adds Retry-After to rate_limited.
  ApiResponse fail(const Error& error, const ApiRequest& request, long retry_after = 0);
  // 429 rate_limited with `message`, and Retry-After from `limiter`'s bucket for `key`.
  ApiResponse refuse_rate_limited(RateLimiter& limiter, const std::string& key, UnixMillis now,
                                  std::string message, const ApiRequest& request);
  // 200/201 with a new session: a cookie (kind "cookie") or a "token" member.
  ApiResponse session_answer(unsigned status, const DeviceRow& device, const std::string& kind,
                             const SecretString& secret);
  void purge_now_and_then(UnixMillis now);
  // Tells the account's open notice streams (after the change committed).
  void announce(std::int64_t account_id, std::string event, const nlohmann::json& data, std::int64_t device_id);
  // A device just added (by QR or a password login): a "login" notice.
  void announce_login(const DeviceRow& device);

  ApiSettings settings_;
  Store& store_;
  const Clock& clock_;
  Rng& rng_;
  Logger& logger_;
  std::string cookie_name_;
  std::string dummy_password_hash_;  // verified against for unknown names, so they take as long
  RateLimiter signups_per_network_;
  RateLimiter login_failures_per_account_;
  RateLimiter login_failures_per_network_;
  RateLimiter registrations_per_address_;
  RateLimiter redeems_per_address_;
  RateLimiter grants_per_account_;
  std::atomic<UnixMillis> last_purge_{0};
  Notices notices_;
};

}  // namespace qrlogin::app
