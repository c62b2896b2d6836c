// The account's devices: list them (with a short history of logins and
// log-outs), revoke one, and the live notice stream's start.
#include <algorithm>
#include <tuple>

#include "web/app/api.hpp"
#include "web/app/cookies.hpp"
#include "web/app/json_io.hpp"
#include "web/app/network.hpp"

namespace qrlogin::app {
namespace {

// How many devices the history looks back over (each gives a login and,
// once it ended, a log-out or revocation).
constexpr std::int64_t kHistoryDevices = 20;
constexpr std::size_t kHistoryEvents = 20;

// The history, newest first: {"event": "login" | "logout" | "revoked" |
// "idle", "at", "device": {"id", "name"}, ...}.
Json history_json(const std::vector<DeviceRow>& recent) {
  // (time, order, event): at the same millisecond a device's end comes after its login.
  std::vector<std::tuple<UnixMillis, int, Json>> events;
  for (const auto& d : recent) {
    Json device{{"id", d.id}, {"name", d.name}};
    Json approved_by = nullptr;
    if (d.approved_by) approved_by = Json{{"id", *d.approved_by}, {"name", d.approved_by_name}};
    events.emplace_back(d.created_at, 0, Json{{"event", "login"},
                                           {"at", unix_seconds(d.created_at)},
                                           {"device", device},
                                           {"added_by", d.added_by},
                                           {"approved_by", approved_by},
                                           {"network", network_text(d.created_address)}});
    if (d.ended_at)
      events.emplace_back(*d.ended_at, 1, Json{{"event", d.ended_why}, {"at", unix_seconds(*d.ended_at)}, {"device", device}});
  }
  std::stable_sort(events.begin(), events.end(), [](const auto& a, const auto& b) {
    return std::tie(std::get<0>(a), std::get<1>(a)) > std::tie(std::get<0>(b), std::get<1>(b));
  });
  Json out = Json::array();
  for (std::size_t i = 0; i < events.size() && i < kHistoryEvents; ++i) out.push_back(std::move(std::get<2>(events[i])));
  return out;
}

}  // namespace

ApiResponse Api::list_devices(const ApiRequest& request) {
  auto caller = authenticate(request);
  if (!caller.ok()) return fail(caller.error(), request);
  std::vector<DeviceRow> devices;
  std::vector<DeviceRow> recent;
  auto status = store_.run([&]() -> Status {
    auto rows = store_.list_devices(caller->account_id);
    if (!rows.ok()) return rows.error();
    devices = std::move(*rows);
    auto history = store_.recent_devices(caller->account_id, kHistoryDevices);
    if (!history.ok()) return history.error();
    recent = std::move(*history);
    return {};
  });
  if (!status.ok()) return fail(status.error(), request);
  Json list = Json::array();
  for (auto& d : devices) {
    // The caller's own row carries the last-seen time authenticate() just set.
    if (d.id == caller->id) d = *caller;
    list.push_back(device_json(d, caller->id));
  }
  return json_answer(200, Json{{"devices", std::move(list)}, {"history", history_json(recent)}});
}

ApiResponse Api::revoke_device(const ApiRequest& request) {
  auto caller = authenticate(request);
  if (!caller.ok()) return fail(caller.error(), request);
  auto body = read_json_object(request);
  if (!body.ok()) return fail(body.error(), request);
  auto id = body->find("id");
  if (id == body->end() || !id->is_number_integer())
    return fail(make_error(AppErrc::bad_request, "\"id\" must be a device id (an integer)"), request);
  const std::int64_t target = id->get<std::int64_t>();
  std::string target_name;
  auto status = store_.transaction([&]() -> Status {
    auto device = store_.find_device(target);
    if (!device.ok()) return device.error();
    if (!*device || (*device)->account_id != caller->account_id || (*device)->ended_at)
      return make_error(AppErrc::unknown_device, "no such device on this account");
    target_name = (*device)->name;
    return store_.end_device(target, clock_.now(), "revoked");
  });
  if (!status.ok()) return fail(status.error(), request);
  logger_.write("device_revoked", {{"account", caller->account_id}, {"device", target}, {"by", caller->id}});
  announce(caller->account_id, "revoked",
           Json{{"device", Json{{"id", target}, {"name", target_name}}},
                {"by", Json{{"id", caller->id}, {"name", caller->name}}}},
           target);
  auto answer = json_answer(200, Json{{"revoked", target}});
  if (target == caller->id && caller->kind == "cookie")
    answer.headers.emplace_back("Set-Cookie", cleared_session_cookie(settings_.origin));
  return answer;
}

std::variant<ApiResponse, DeviceRow> Api::begin_event_stream(const ApiRequest& request) {
  if (request.method != "GET") {
    auto answer = fail(make_error(AppErrc::method_not_allowed, "/api/events takes GET"), request);
    answer.headers.emplace_back("Allow", "GET");
    return answer;
  }
  auto caller = authenticate(request);
  if (!caller.ok()) return fail(caller.error(), request);
  return std::move(*caller);
}

bool Api::device_active(std::int64_t device_id) {
  bool active = false;
  auto status = store_.run([&]() -> Status {
    auto device = store_.find_device(device_id);
    if (!device.ok()) return device.error();
    active = *device && !(*device)->ended_at;
    return {};
  });
  // A database that cannot be read keeps the stream: the next check decides.
  return !status.ok() || active;
}

}  // namespace qrlogin::app
