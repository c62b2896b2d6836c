#pragma once
// The one JSON rule for every JSON body qrlogin reads (the credential's J,
// the RESULT and ABORT status messages; docs/protocol.md "The JSON rule"):
// RFC 8259 JSON in valid UTF-8, with no byte order mark, no lone surrogate
// escape, every number a finite IEEE 754 double, no member name twice in one
// object, and arrays and objects nested at most 32 levels deep. The same
// rule, in the same order and with the same messages, is web/src/strict_json.js.
#include <string_view>

#include <nlohmann/json.hpp>

#include "crypto/bytes.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/error.hpp"

namespace qrlogin::pairing {

// The value `text` holds, or an error with `code` whose message starts with
// `subject` ("the credential", "the status message"). One pass, no recursion
// on the text's depth. The value's strings may hold secrets: the caller
// wipes them.
Result<nlohmann::json> parse_strict_json(ByteView text, Errc code, std::string_view subject);

// Overwrites every string a parsed value holds (best effort: names, and
// anything nlohmann copied, are not reached). Iterative.
void wipe_json(nlohmann::json& value) noexcept;

// The same checks as parse_strict_json, keeping nothing.
Status check_strict_json(ByteView text, Errc code, std::string_view subject);

}  // namespace qrlogin::pairing
