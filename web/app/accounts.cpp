// Accounts and sessions: sign up, log in, log out, who am I.
#include "web/app/api.hpp"
#include "web/app/cookies.hpp"
#include "web/app/json_io.hpp"
#include "web/app/names.hpp"
#include "web/app/secrets.hpp"

namespace qrlogin::app {
namespace {

struct Credentials {
  std::string name;
  SecretString password;
  std::string kind;
  std::string device_name;
};

// {"name", "password", "kind"?, "device_name"?}; the password is wiped from
// the parsed body as soon as it is copied out.
Result<Credentials> read_credentials(const ApiRequest& request) {
  auto body = read_json_object(request);
  if (!body.ok()) return body.error();
  auto name = read_string(*body, "name", true);
  if (!name.ok()) return name.error();
  auto kind = read_kind(*body);
  if (!kind.ok()) return kind.error();
  auto declared = read_string(*body, "device_name", false);
  if (!declared.ok()) return declared.error();
  auto it = body->find("password");
  if (it == body->end() || !it->is_string())
    return make_error(AppErrc::bad_request, "\"password\" is missing or not a string");
  Credentials c{std::move(**name), SecretString(std::move(it->get_ref<std::string&>())), std::move(*kind), {}};
  if (auto status = check_name(c.name, "the account name"); !status.ok()) return status.error();
  if (c.password.size() < kMinPasswordBytes || c.password.size() > kMaxPasswordBytes)
    return make_error(AppErrc::bad_password, "the password must be " + std::to_string(kMinPasswordBytes) + " to " +
                                                 std::to_string(kMaxPasswordBytes) + " bytes long");
  // A browser is named after its User-Agent; a CLI may say its host name.
  if (c.kind == "token" && declared->has_value()) {
    if (auto status = check_name(**declared, "the device name"); !status.ok()) return status.error();
    c.device_name = std::move(**declared);
  } else {
    c.device_name = device_name_from_user_agent(request.user_agent);
  }
  return c;
}

}  // namespace

ApiResponse Api::signup(const ApiRequest& request) {
  const UnixMillis now = clock_.now();
  const auto network = network_key(request.peer);
  if (!signups_per_network_.try_take(network, now))
    return refuse_rate_limited(signups_per_network_, network, now,
                               "too many new accounts from your network; try again later", request);
  auto credentials = read_credentials(request);
  if (!credentials.ok()) return fail(credentials.error(), request);
  auto hashed = password_hash(credentials->password.view(), settings_.password_cost);
  credentials->password.wipe();
  if (!hashed.ok()) return fail(hashed.error(), request);
  auto session = issue_secret(rng_);
  DeviceRow device;
  auto status = store_.transaction([&]() -> Status {
    auto account_id = store_.insert_account(credentials->name, *hashed, now);
    if (!account_id.ok()) return account_id.error();
    auto row = store_.add_device(NewDevice{*account_id, session.hash, credentials->kind, credentials->device_name,
                                           "signup", std::nullopt, now, request.peer});
    if (!row.ok()) return row.error();
    device = std::move(*row);
    return {};
  });
  if (!status.ok()) return fail(status.error(), request);
  logger_.write("account_created", {{"account", device.account_id}, {"device", device.id}});
  return session_answer(201, device, credentials->kind, session.text);
}

ApiResponse Api::login(const ApiRequest& request) {
  const UnixMillis now = clock_.now();
  auto credentials = read_credentials(request);
  if (!credentials.ok()) return fail(credentials.error(), request);
  const auto network = network_key(request.peer);
  const auto& account_key = credentials->name;
  if (!login_failures_per_network_.has_token(network, now))
    return refuse_rate_limited(login_failures_per_network_, network, now,
                               "too many wrong passwords from your network; try again later", request);
  if (!login_failures_per_account_.has_token(account_key, now))
    return refuse_rate_limited(login_failures_per_account_, account_key, now,
                               "too many wrong passwords for this account; try again later", request);

  std::optional<AccountRow> account;
  auto found = store_.run([&]() -> Status {
    auto row = store_.find_account(credentials->name);
    if (!row.ok()) return row.error();
    account = std::move(*row);
    return {};
  });
  if (!found.ok()) return fail(found.error(), request);
  // An unknown name costs the same Argon2id as a known one.
  const bool verified = account ? password_verify(account->password_hash, credentials->password.view())
                                : (static_cast<void>(password_verify(dummy_password_hash_, credentials->password.view())),
                                   false);
  credentials->password.wipe();
  if (!verified) {
    (void)login_failures_per_network_.try_take(network, now);
    (void)login_failures_per_account_.try_take(account_key, now);
    if (account) logger_.write("login_failed", {{"account", account->id}});
    else logger_.write("login_failed", {{"account", "unknown"}});
    return fail(make_error(AppErrc::login_failed, "wrong name or password"), request);
  }
  auto session = issue_secret(rng_);
  DeviceRow device;
  auto status = store_.transaction([&]() -> Status {
    auto row = store_.add_device(NewDevice{account->id, session.hash, credentials->kind, credentials->device_name,
                                           "password", std::nullopt, now, request.peer});
    if (!row.ok()) return row.error();
    device = std::move(*row);
    return {};
  });
  if (!status.ok()) return fail(status.error(), request);
  logger_.write("login", {{"account", device.account_id}, {"device", device.id}});
  // Every new login is announced to the account's other devices, a
  // password login too (a stolen password shows up at once).
  announce_login(device);
  return session_answer(200, device, credentials->kind, session.text);
}

ApiResponse Api::logout(const ApiRequest& request) {
  auto device = authenticate(request);
  if (!device.ok()) return fail(device.error(), request);
  auto status = store_.transaction([&] { return store_.end_device(device->id, clock_.now(), "logout"); });
  if (!status.ok()) return fail(status.error(), request);
  logger_.write("logout", {{"account", device->account_id}, {"device", device->id}});
  announce(device->account_id, "logout", Json{{"device", Json{{"id", device->id}, {"name", device->name}}}},
           device->id);
  auto answer = json_answer(200, Json{{"logged_out", true}});
  if (device->kind == "cookie") answer.headers.emplace_back("Set-Cookie", cleared_session_cookie(settings_.origin));
  return answer;
}

ApiResponse Api::current_session(const ApiRequest& request) {
  auto device = authenticate(request);
  if (!device.ok()) return fail(device.error(), request);
  return json_answer(200, Json{{"account", Json{{"name", device->account_name}}},
                               {"device", device_json(*device, device->id)}});
}

}  // namespace qrlogin::app
