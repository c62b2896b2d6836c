#include "web/app/api.hpp"

#include <exception>

#include "web/app/cookies.hpp"
#include "web/app/json_io.hpp"
#include "web/app/secrets.hpp"

namespace qrlogin::app {
namespace {

// A device's last-seen time and address are written at most this often.
constexpr UnixMillis kTouchEvery = 60'000;
// Used grants and old pairings are kept this long (a late second redeem
// still hears "already used"), then forgotten.
constexpr UnixMillis kKeepEnded = 24LL * 3600 * 1000;
constexpr UnixMillis kPurgeEvery = 60'000;

bool is_safe_method(const std::string& method) { return method == "GET" || method == "HEAD"; }

std::string ended_message(const std::string& why) {
  if (why == "revoked") return "this device was logged out from another of your devices";
  if (why == "idle") return "this session was unused for too long; log in again";
  return "this session was logged out";
}

}  // namespace

ApiLimits ApiLimits::unlimited() {
  constexpr RateLimit kAny{1e9, 1e9};
  return ApiLimits{kAny, kAny, kAny, kAny, kAny, kAny};
}

Api::Api(ApiSettings settings, Store& store, const Clock& clock, Rng& rng, Logger& logger)
    : settings_(std::move(settings)),
      store_(store),
      clock_(clock),
      rng_(rng),
      logger_(logger),
      cookie_name_(session_cookie_name(settings_.origin)),
      signups_per_network_(settings_.limits.signups_per_network),
      login_failures_per_account_(settings_.limits.login_failures_per_account),
      login_failures_per_network_(settings_.limits.login_failures_per_network),
      registrations_per_address_(settings_.limits.registrations_per_address),
      redeems_per_address_(settings_.limits.redeems_per_address),
      grants_per_account_(settings_.limits.grants_per_account) {
  auto dummy = password_hash("not the password of anyone", settings_.password_cost);
  if (dummy.ok()) dummy_password_hash_ = std::move(*dummy);
}

ApiResponse Api::error_response(const Error& error) {
  const auto code = static_cast<AppErrc>(error.code.value());
  return json_answer(http_status(code), Json{{"error", error_name(error.code)}, {"message", error.message}});
}

ApiResponse Api::handle(const ApiRequest& request) {
  try {
    return route(request);
  } catch (const std::exception& e) {
    // Only allocation can throw this far; nothing of the request is logged.
    logger_.write("internal_error", {{"reason", std::string_view(e.what())}});
    return error_response(make_error(AppErrc::internal, "internal error"));
  }
}

ApiResponse Api::route(const ApiRequest& request) {
  struct Route {
    std::string_view method;
    std::string_view path;
    ApiResponse (Api::*handler)(const ApiRequest&);
  };
  static constexpr Route kRoutes[] = {
      {"POST", "/api/signup", &Api::signup},
      {"POST", "/api/login", &Api::login},
      {"POST", "/api/logout", &Api::logout},
      {"GET", "/api/session", &Api::current_session},
      {"POST", "/api/pairings", &Api::register_pairing},
      {"POST", "/api/pairings/lookup", &Api::lookup_pairing},
      {"POST", "/api/grants", &Api::mint_grant},
      {"POST", "/api/redeem", &Api::redeem},
      {"GET", "/api/devices", &Api::list_devices},
      {"POST", "/api/devices/revoke", &Api::revoke_device},
  };
  if (request.path == "/healthz" && is_safe_method(request.method)) return json_answer(200, Json{{"status", "ok"}});
  if (request.path == "/api/config" && is_safe_method(request.method)) return config();
  for (const auto& r : kRoutes) {
    if (r.path != request.path) continue;
    const bool head_for_get = r.method == "GET" && request.method == "HEAD";
    if (r.method != request.method && !head_for_get) {
      auto answer = fail(make_error(AppErrc::method_not_allowed, std::string(r.path) + " takes " +
                                                                     std::string(r.method)),
                         request);
      answer.headers.emplace_back("Allow", std::string(r.method));
      return answer;
    }
    if (!is_safe_method(request.method)) {
      if (auto status = check_origin(request); !status.ok()) return fail(status.error(), request);
    }
    return (this->*r.handler)(request);
  }
  return fail(make_error(AppErrc::not_found, "no such endpoint"), request);
}

ApiResponse Api::config() const {
  return json_answer(200, Json{{"origin", settings_.origin.text},
                               {"relay", settings_.relay_url},
                               {"pairing_lifetime", settings_.pairing_lifetime / 1000},
                               {"grant_lifetime", settings_.grant_lifetime / 1000}});
}

Status Api::check_origin(const ApiRequest& request) const {
  if (request.origin) {
    if (*request.origin == settings_.origin.text) return {};
    return make_error(AppErrc::origin_refused, "requests from another origin are refused");
  }
  if (find_cookie(request.cookie, cookie_name_))
    return make_error(AppErrc::origin_refused, "a request with the session cookie must carry Origin");
  return {};
}

Result<DeviceRow> Api::authenticate(const ApiRequest& request) {
  std::string_view presented;
  std::string_view kind;
  constexpr std::string_view kBearer = "Bearer ";
  if (!request.authorization.empty()) {
    if (!request.authorization.starts_with(kBearer))
      return make_error(AppErrc::not_authenticated, "Authorization must be \"Bearer <device token>\"");
    presented = std::string_view(request.authorization).substr(kBearer.size());
    kind = "token";
  } else if (auto cookie = find_cookie(request.cookie, cookie_name_)) {
    presented = *cookie;
    kind = "cookie";
  } else {
    return make_error(AppErrc::not_authenticated, "not logged in");
  }
  auto hash = hash_presented_secret(presented);
  if (!hash) return make_error(AppErrc::not_authenticated, "not logged in (the session is not one of ours)");
  const UnixMillis now = clock_.now();
  std::optional<DeviceRow> found;
  bool went_idle = false;
  auto status = store_.run([&]() -> Status {
    auto device = store_.find_device_by_secret(*hash);
    if (!device.ok()) return device.error();
    found = std::move(*device);
    return {};
  });
  if (!status.ok()) return status.error();
  if (found && !found->ended_at && found->kind == kind && now - found->last_seen_at > settings_.session_idle) {
    went_idle = true;
    auto ended = store_.transaction([&] { return store_.end_device(found->id, now, "idle"); });
    if (!ended.ok()) return ended.error();
  }
  if (!found || found->kind != kind)
    return make_error(AppErrc::not_authenticated, "not logged in (unknown session)");
  if (went_idle) found->ended_why = "idle";
  if (found->ended_at || went_idle) return make_error(AppErrc::session_ended, ended_message(found->ended_why));
  if (now - found->last_seen_at >= kTouchEvery || found->last_address != request.peer) {
    // Best effort: a database that refuses writes still lets a session read.
    auto touched = store_.run([&] { return store_.touch_device(found->id, now, request.peer); });
    if (!touched.ok()) logger_.write("storage_failed", {{"reason", touched.error().message}, {"during", "touch"}});
    found->last_seen_at = now;
    found->last_address = request.peer;
  }
  return std::move(*found);
}

ApiResponse Api::fail(const Error& error, const ApiRequest& request, long retry_after) {
  const auto code = static_cast<AppErrc>(error.code.value());
  if (code == AppErrc::storage_unavailable) {
    logger_.write("storage_failed", {{"reason", error.message}, {"path", request.path}});
    auto answer = error_response(
        make_error(AppErrc::storage_unavailable, "the application cannot save anything right now; try again later"));
    answer.headers.emplace_back("Retry-After", "30");
    return answer;
  }
  auto answer = error_response(error);
  if (code == AppErrc::rate_limited) answer.headers.emplace_back("Retry-After", std::to_string(retry_after));
  if ((code == AppErrc::session_ended || code == AppErrc::not_authenticated) &&
      find_cookie(request.cookie, cookie_name_))
    answer.headers.emplace_back("Set-Cookie", cleared_session_cookie(settings_.origin));
  return answer;
}

ApiResponse Api::refuse_rate_limited(RateLimiter& limiter, const std::string& key, UnixMillis now,
                                     std::string message, const ApiRequest& request) {
  return fail(make_error(AppErrc::rate_limited, std::move(message)), request, limiter.retry_after_seconds(key, now));
}

ApiResponse Api::session_answer(unsigned status, const DeviceRow& device, const std::string& kind,
                                const SecretString& secret) {
  Json body{{"account", Json{{"name", device.account_name}}}, {"device", device_json(device, device.id)}};
  if (kind == "token") body["token"] = std::string(secret.view());
  auto answer = json_answer(status, body);
  if (kind == "token") secure_wipe(body["token"].get_ref<std::string&>());
  if (kind == "cookie")
    answer.headers.emplace_back("Set-Cookie",
                                session_cookie(settings_.origin, secret.view(), settings_.session_idle / 1000));
  return answer;
}

void Api::announce(std::int64_t account_id, std::string event, const Json& data, std::int64_t device_id) {
  notices_.publish(account_id, Notice{std::move(event), json_text(data), device_id});
}

void Api::announce_login(const DeviceRow& device) {
  announce(device.account_id, "login", device_json(device, 0), device.id);
}

void Api::purge_now_and_then(UnixMillis now) {
  UnixMillis last = last_purge_.load();
  if (now - last < kPurgeEvery || !last_purge_.compare_exchange_strong(last, now)) return;
  auto status = store_.transaction([&] { return store_.purge(now - kKeepEnded); });
  if (!status.ok()) logger_.write("storage_failed", {{"reason", status.error().message}, {"during", "purge"}});
}

}  // namespace qrlogin::app
