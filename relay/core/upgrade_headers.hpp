#pragma once
// The headers of a channel upgrade, checked before any channel is touched:
// Origin against the allowed origins, Sec-WebSocket-Protocol for qrlogin.v1
// and at most one qrlogin.resume.<token>. Pure functions (fuzzed); the HTTP
// session turns a refusal into its response.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <variant>

namespace qrlogin::relay {

inline constexpr std::string_view kSubprotocol = "qrlogin.v1";
inline constexpr std::string_view kResumeSubprotocolPrefix = "qrlogin.resume.";
inline constexpr std::size_t kMaxResumeTokenChars = 128;

// A header that was not sent is nullopt; one sent empty is an empty view.
struct UpgradeHeaders {
  std::optional<std::string_view> origin;     // not sent: not a browser, nothing to check
  std::optional<std::string_view> protocols;  // Sec-WebSocket-Protocol; not sent: curl and the like
};

struct UpgradeOffer {
  bool answer_subprotocol = false;  // the client sent Sec-WebSocket-Protocol (with qrlogin.v1)
  // A view into UpgradeHeaders::protocols: the caller decides where the
  // token goes, and the headers' owner keeps the only other copy.
  std::optional<std::string_view> resume_token;
};

enum class UpgradeRefusal : std::uint8_t {
  forbidden_origin,  // an Origin not in the allowed list
  no_subprotocol,    // Sec-WebSocket-Protocol sent without qrlogin.v1
  bad_resume_token,  // two resume entries, or a token empty, too long or not base64url
};

// What the client is told: the HTTP status, the `error` code of the JSON
// body and its message. Never includes anything the client sent.
struct UpgradeRefusalResponse {
  unsigned status = 400;
  std::string_view code;
  std::string_view message;
};
UpgradeRefusalResponse refusal_response(UpgradeRefusal refusal) noexcept;

// Checked in this order, the first failure wins: Origin, the subprotocol,
// the resume token.
std::variant<UpgradeOffer, UpgradeRefusal> check_upgrade_headers(const UpgradeHeaders& headers,
                                                                 std::span<const std::string> allowed_origins);

// The parts, for tests and the fuzzer.
// Whether the comma-separated list names `wanted` (spaces around items ignored).
bool offers_subprotocol(std::string_view list, std::string_view wanted) noexcept;
// The token of the one qrlogin.resume.<token> item (nullopt when there is
// none); bad_resume_token when there are several or the token is empty,
// over kMaxResumeTokenChars or not base64url.
std::variant<std::optional<std::string_view>, UpgradeRefusal> offered_resume_token(std::string_view list) noexcept;
// An exact match with one of `allowed`, ASCII case-insensitive.
bool origin_allowed(std::span<const std::string> allowed, std::string_view origin) noexcept;

}  // namespace qrlogin::relay
