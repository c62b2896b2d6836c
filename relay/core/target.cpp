#include "relay/core/target.hpp"

#include <algorithm>
#include <charconv>

#include "crypto/bytes.hpp"

namespace qrlogin::relay {

namespace {
Error bad(std::string message) { return make_error(Errc::bad_request, std::move(message)); }
}  // namespace

bool is_channel_target(std::string_view target) noexcept {
  return target.substr(0, target.find('?')).starts_with(kChannelPathPrefix);
}

Result<Cid> parse_cid(std::string_view text) {
  if (text.size() != kCidChars) return bad("the channel id must be 22 base64url characters");
  auto raw = base64url_decode(text);
  if (!raw.ok() || raw->size() != kCidBytes) return bad("the channel id is not canonical base64url");
  Cid cid{};
  std::copy(raw->begin(), raw->end(), cid.begin());
  return cid;
}

Result<Role> parse_role(std::string_view text) {
  if (text == "receiver") return Role::receiver;
  if (text == "sender") return Role::sender;
  return bad("role must be receiver or sender");
}

Result<ChannelRequest> parse_channel_target(std::string_view target) {
  if (!target.starts_with(kChannelPathPrefix)) return bad("not a channel path");
  auto rest = target.substr(kChannelPathPrefix.size());
  auto query_at = rest.find('?');
  auto cid_text = rest.substr(0, query_at);
  auto cid = parse_cid(cid_text);
  if (!cid.ok()) return cid.error();

  ChannelRequest request;
  request.cid = *cid;
  bool have_role = false;
  bool have_kind = false;
  std::string_view query = query_at == std::string_view::npos ? std::string_view{} : rest.substr(query_at + 1);
  while (!query.empty()) {
    auto amp = query.find('&');
    auto param = query.substr(0, amp);
    query = amp == std::string_view::npos ? std::string_view{} : query.substr(amp + 1);
    auto eq = param.find('=');
    if (eq == std::string_view::npos) return bad("a query parameter without a value");
    auto name = param.substr(0, eq);
    auto value = param.substr(eq + 1);
    if (name == "role") {
      if (have_role) return bad("role given twice");
      auto role = parse_role(value);
      if (!role.ok()) return role.error();
      request.role = *role;
      have_role = true;
    } else if (name == "kind") {
      if (have_kind) return bad("kind given twice");
      if (value != "code") return bad("kind must be code (or absent, for a QR code's channel)");
      request.kind = ChannelKind::code;
      have_kind = true;
    } else if (name == "received") {
      if (request.received) return bad("received given twice");
      std::uint64_t n = 0;
      auto [end, ec] = std::from_chars(value.data(), value.data() + value.size(), n);
      if (value.empty() || ec != std::errc{} || end != value.data() + value.size() ||
          (value.size() > 1 && value[0] == '0'))
        return bad("received must be a decimal count");
      request.received = n;
    } else {
      return bad("unknown query parameter");
    }
  }
  if (!have_role) return bad("role is missing");
  return request;
}

}  // namespace qrlogin::relay
