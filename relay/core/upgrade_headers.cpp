#include "relay/core/upgrade_headers.hpp"

#include <algorithm>
#include <cctype>

namespace qrlogin::relay {

namespace {

std::string_view trimmed(std::string_view item) noexcept {
  while (!item.empty() && item.front() == ' ') item.remove_prefix(1);
  while (!item.empty() && item.back() == ' ') item.remove_suffix(1);
  return item;
}

// Calls f(item) for each item of a comma-separated list until it returns false.
template <class F>
void for_each_item(std::string_view list, F f) {
  while (!list.empty()) {
    auto comma = list.find(',');
    auto item = trimmed(list.substr(0, comma));
    list = comma == std::string_view::npos ? std::string_view{} : list.substr(comma + 1);
    if (!f(item)) return;
  }
}

bool is_base64url(char c) noexcept {
  return std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '-' || c == '_';
}

}  // namespace

UpgradeRefusalResponse refusal_response(UpgradeRefusal refusal) noexcept {
  switch (refusal) {
    case UpgradeRefusal::forbidden_origin:
      return {403, "forbidden_origin", "this relay does not serve pages of that origin"};
    case UpgradeRefusal::no_subprotocol:
      return {400, "bad_request", "the WebSocket subprotocol must include qrlogin.v1"};
    case UpgradeRefusal::bad_resume_token:
      return {400, "bad_request", "at most one qrlogin.resume.<token>, a base64url token"};
  }
  return {400, "bad_request", "bad upgrade request"};
}

bool offers_subprotocol(std::string_view list, std::string_view wanted) noexcept {
  bool found = false;
  for_each_item(list, [&](std::string_view item) {
    found = item == wanted;
    return !found;
  });
  return found;
}

std::variant<std::optional<std::string_view>, UpgradeRefusal> offered_resume_token(std::string_view list) noexcept {
  std::optional<std::string_view> token;
  bool bad = false;
  for_each_item(list, [&](std::string_view item) {
    if (!item.starts_with(kResumeSubprotocolPrefix)) return true;
    item.remove_prefix(kResumeSubprotocolPrefix.size());
    bad = token || item.empty() || item.size() > kMaxResumeTokenChars ||
          !std::all_of(item.begin(), item.end(), is_base64url);
    token = item;
    return !bad;
  });
  if (bad) return UpgradeRefusal::bad_resume_token;
  return token;
}

bool origin_allowed(std::span<const std::string> allowed, std::string_view origin) noexcept {
  return std::any_of(allowed.begin(), allowed.end(), [&](const std::string& a) {
    return a.size() == origin.size() && std::equal(a.begin(), a.end(), origin.begin(), [](char x, char y) {
             return std::tolower(static_cast<unsigned char>(x)) == std::tolower(static_cast<unsigned char>(y));
           });
  });
}

std::variant<UpgradeOffer, UpgradeRefusal> check_upgrade_headers(const UpgradeHeaders& headers,
                                                                 std::span<const std::string> allowed_origins) {
  if (headers.origin && !origin_allowed(allowed_origins, *headers.origin)) return UpgradeRefusal::forbidden_origin;
  UpgradeOffer offer;
  if (!headers.protocols) return offer;
  if (!offers_subprotocol(*headers.protocols, kSubprotocol)) return UpgradeRefusal::no_subprotocol;
  offer.answer_subprotocol = true;
  auto token = offered_resume_token(*headers.protocols);
  if (const auto* refusal = std::get_if<UpgradeRefusal>(&token)) return *refusal;
  offer.resume_token = std::get<std::optional<std::string_view>>(token);
  return offer;
}

}  // namespace qrlogin::relay
