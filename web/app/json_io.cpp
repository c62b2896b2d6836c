#include "web/app/json_io.hpp"

#include "web/app/error.hpp"
#include "web/app/network.hpp"

namespace qrlogin::app {

Result<Json> read_json_object(const ApiRequest& request) {
  std::string_view type = request.content_type;
  if (auto semicolon = type.find(';'); semicolon != std::string_view::npos) type = type.substr(0, semicolon);
  while (!type.empty() && type.back() == ' ') type.remove_suffix(1);
  if (type != "application/json")
    return make_error(AppErrc::unsupported_media_type, "the body must be JSON (Content-Type: application/json)");
  Json body = Json::parse(request.body, nullptr, /*allow_exceptions=*/false);
  if (body.is_discarded()) return make_error(AppErrc::bad_request, "the body is not valid JSON");
  if (!body.is_object()) return make_error(AppErrc::bad_request, "the body must be a JSON object");
  return body;
}

namespace {

// "\"key\" <what>", appended piece by piece: "literal" + std::string&&
// trips GCC 12's -Wrestrict at -O3 (bug 105329).
std::string member_message(std::string_view key, std::string_view what) {
  std::string text = "\"";
  text.append(key).append("\" ").append(what);
  return text;
}

}  // namespace

Result<std::optional<std::string>> read_string(const Json& body, std::string_view key, bool required) {
  auto it = body.find(key);
  if (it == body.end() || it->is_null()) {
    if (required) return make_error(AppErrc::bad_request, member_message(key, "is missing"));
    return std::optional<std::string>{};
  }
  if (!it->is_string()) return make_error(AppErrc::bad_request, member_message(key, "must be a string"));
  return std::optional<std::string>(it->get<std::string>());
}

Result<std::string> read_kind(const Json& body) {
  auto kind = read_string(body, "kind", false);
  if (!kind.ok()) return kind.error();
  if (!kind->has_value()) return std::string("cookie");
  if (**kind != "cookie" && **kind != "token")
    return make_error(AppErrc::bad_request, "\"kind\" must be \"cookie\" or \"token\"");
  return **kind;
}

std::string json_text(const Json& value) { return value.dump(-1, ' ', false, Json::error_handler_t::replace); }

ApiResponse json_answer(unsigned status, const Json& body) { return ApiResponse{status, json_text(body), {}}; }

Json device_json(const DeviceRow& d, std::int64_t current_device_id) {
  Json approved_by = nullptr;
  if (d.approved_by) approved_by = Json{{"id", *d.approved_by}, {"name", d.approved_by_name}};
  return Json{
      {"id", d.id},
      {"name", d.name},
      {"kind", d.kind},
      {"added_by", d.added_by},
      {"approved_by", approved_by},
      {"created_at", unix_seconds(d.created_at)},
      {"created_address", d.created_address},
      {"created_network", network_text(d.created_address)},
      {"last_seen_at", unix_seconds(d.last_seen_at)},
      {"last_address", d.last_address},
      {"current", d.id == current_device_id},
  };
}

}  // namespace qrlogin::app
