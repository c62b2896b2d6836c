#pragma once
// Account and device names: what is accepted, and the name a browser gets
// from its User-Agent. Names are stored and returned exactly as given (SQL
// metacharacters included: every statement binds them).
#include <string>
#include <string_view>

#include "crypto/result.hpp"

namespace qrlogin::app {

inline constexpr std::size_t kMaxNameBytes = 64;
inline constexpr std::size_t kMaxUserAgentBytes = 512;  // what a pairing keeps of it

// 1 to 64 bytes of UTF-8 (the JSON parser checked the encoding), no control
// characters. Errors: bad_name saying which rule, `what` naming the field.
Status check_name(std::string_view name, std::string_view what);

// "Firefox on Android", "Chrome on Linux", "curl"...; "Unknown browser"
// when nothing is recognised. Always a valid name.
[[nodiscard]] std::string device_name_from_user_agent(std::string_view user_agent);

}  // namespace qrlogin::app
