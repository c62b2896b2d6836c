// check_upgrade_headers on arbitrary Origin and Sec-WebSocket-Protocol
// values and allowed origins: never crashes, and what it accepts holds up.
// Input: [flags][origin]\0[protocols]\0[allowed, one per line].
#include <algorithm>
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "relay/core/upgrade_headers.hpp"

using namespace qrlogin::relay;

namespace {

std::string_view take_until_nul(std::string_view& rest) {
  auto nul = rest.find('\0');
  auto part = rest.substr(0, nul);
  rest = nul == std::string_view::npos ? std::string_view{} : rest.substr(nul + 1);
  return part;
}

bool within(std::string_view inner, std::string_view outer) {
  return inner.data() >= outer.data() && inner.data() + inner.size() <= outer.data() + outer.size();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  std::string_view rest(reinterpret_cast<const char*>(data) + 1, size - 1);
  const auto flags = data[0];
  auto origin = take_until_nul(rest);
  auto protocols = take_until_nul(rest);
  std::vector<std::string> allowed;
  while (!rest.empty()) {
    auto nl = rest.find('\n');
    allowed.emplace_back(rest.substr(0, nl));
    rest = nl == std::string_view::npos ? std::string_view{} : rest.substr(nl + 1);
  }

  UpgradeHeaders headers;
  if (flags & 1) headers.origin = origin;
  if (flags & 2) headers.protocols = protocols;
  auto result = check_upgrade_headers(headers, allowed);

  if (const auto* refusal = std::get_if<UpgradeRefusal>(&result)) {
    auto response = refusal_response(*refusal);
    if (response.code.empty() || response.message.empty() || (response.status != 400 && response.status != 403))
      std::abort();
    if (*refusal == UpgradeRefusal::forbidden_origin && (!headers.origin || origin_allowed(allowed, origin)))
      std::abort();
    if (*refusal != UpgradeRefusal::forbidden_origin && !headers.protocols) std::abort();
    return 0;
  }
  const auto& offer = std::get<UpgradeOffer>(result);
  if (headers.origin && !origin_allowed(allowed, origin)) std::abort();
  if (offer.answer_subprotocol != headers.protocols.has_value()) std::abort();
  if (offer.answer_subprotocol && !offers_subprotocol(protocols, kSubprotocol)) std::abort();
  if (offer.resume_token) {
    const auto token = *offer.resume_token;
    // A view into the header, preceded by the prefix, and a valid token.
    if (!within(token, protocols) || token.empty() || token.size() > kMaxResumeTokenChars) std::abort();
    auto at = static_cast<std::size_t>(token.data() - protocols.data());
    if (at < kResumeSubprotocolPrefix.size() ||
        protocols.substr(at - kResumeSubprotocolPrefix.size(), kResumeSubprotocolPrefix.size()) !=
            kResumeSubprotocolPrefix)
      std::abort();
    if (!std::all_of(token.begin(), token.end(), [](char c) {
          return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
        }))
      std::abort();
  } else if (offer.answer_subprotocol && protocols.find(kResumeSubprotocolPrefix) != std::string_view::npos) {
    // Only an entry that starts with the prefix (after spaces) is a resume
    // offer; "x-qrlogin.resume.abc" is just another subprotocol.
    std::string_view list = protocols;
    while (!list.empty()) {
      auto comma = list.find(',');
      auto item = list.substr(0, comma);
      while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
      if (item.starts_with(kResumeSubprotocolPrefix)) std::abort();
      list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    }
  }
  // The same headers give the same answer.
  auto again = check_upgrade_headers(headers, allowed);
  const auto* offer2 = std::get_if<UpgradeOffer>(&again);
  if (!offer2 || offer2->answer_subprotocol != offer.answer_subprotocol || offer2->resume_token != offer.resume_token)
    std::abort();
  return 0;
}
