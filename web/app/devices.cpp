// The account's devices: list them, revoke one.
#include "web/app/api.hpp"
#include "web/app/cookies.hpp"
#include "web/app/json_io.hpp"

namespace qrlogin::app {

ApiResponse Api::list_devices(const ApiRequest& request) {
  auto caller = authenticate(request);
  if (!caller.ok()) return fail(caller.error(), request);
  std::vector<DeviceRow> devices;
  auto status = store_.run([&]() -> Status {
    auto rows = store_.list_devices(caller->account_id);
    if (!rows.ok()) return rows.error();
    devices = std::move(*rows);
    return {};
  });
  if (!status.ok()) return fail(status.error(), request);
  Json list = Json::array();
  for (auto& d : devices) {
    // The caller's own row carries the last-seen time authenticate() just set.
    if (d.id == caller->id) d = *caller;
    list.push_back(device_json(d, caller->id));
  }
  return json_answer(200, Json{{"devices", std::move(list)}});
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
  auto status = store_.transaction([&]() -> Status {
    auto device = store_.find_device(target);
    if (!device.ok()) return device.error();
    if (!*device || (*device)->account_id != caller->account_id || (*device)->ended_at)
      return make_error(AppErrc::unknown_device, "no such device on this account");
    return store_.end_device(target, clock_.now(), "revoked");
  });
  if (!status.ok()) return fail(status.error(), request);
  logger_.write("device_revoked", {{"account", caller->account_id}, {"device", target}, {"by", caller->id}});
  auto answer = json_answer(200, Json{{"revoked", target}});
  if (target == caller->id && caller->kind == "cookie")
    answer.headers.emplace_back("Set-Cookie", cleared_session_cookie(settings_.origin));
  return answer;
}

}  // namespace qrlogin::app
