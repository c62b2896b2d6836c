#pragma once
// Reading request bodies and writing answers as JSON, for the API's files.
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/result.hpp"
#include "web/app/http_types.hpp"
#include "web/app/store.hpp"

namespace qrlogin::app {

using Json = nlohmann::json;

// The body as a JSON object. Errors: unsupported_media_type (not
// application/json), bad_request (not JSON, or not an object).
Result<Json> read_json_object(const ApiRequest& request);
// A string member. Errors: bad_request when it is missing (and required)
// or not a string.
Result<std::optional<std::string>> read_string(const Json& body, std::string_view key, bool required);
// "cookie" (the default) or "token". Errors: bad_request.
Result<std::string> read_kind(const Json& body);

// One line of JSON text; invalid UTF-8 in a stored name is replaced, never thrown on.
[[nodiscard]] std::string json_text(const Json& value);
ApiResponse json_answer(unsigned status, const Json& body);
[[nodiscard]] inline std::int64_t unix_seconds(UnixMillis ms) { return ms / 1000; }
// A device as the API shows it; `current` marks the caller's own.
Json device_json(const DeviceRow& device, std::int64_t current_device_id);

}  // namespace qrlogin::app
