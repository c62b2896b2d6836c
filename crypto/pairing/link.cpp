#include "crypto/pairing/link.hpp"

#include <algorithm>
#include <charconv>

#include "crypto/pairing/url.hpp"

namespace qrlogin::pairing {

namespace {

Error link_error(std::string message) { return make_error(Errc::bad_link, std::move(message)); }

bool is_ipv4_loopback(std::string_view host) {
  // 127.0.0.0/8 in dotted-decimal: four numbers 0-255, the first 127.
  int parts = 0;
  int first = -1;
  while (!host.empty()) {
    auto dot = host.find('.');
    auto part = host.substr(0, dot);
    if (part.empty() || part.size() > 3) return false;
    for (char c : part)
      if (c < '0' || c > '9') return false;  // from_chars alone would accept "-1"
    int value = 0;
    auto [ptr, ec] = std::from_chars(part.data(), part.data() + part.size(), value);
    if (ec != std::errc{} || ptr != part.data() + part.size() || value > 255) return false;
    if (parts == 0) first = value;
    ++parts;
    if (dot == std::string_view::npos) break;
    host = host.substr(dot + 1);
    if (host.empty()) return false;
  }
  return parts == 4 && first == 127;
}

// Checks a page URL and returns it parsed.
Result<Url> check_page_url(std::string_view page_url) {
  auto url = parse_url(page_url);
  if (!url) return link_error("the link's page URL is malformed: " + url.error().message);
  if (url->scheme != "https" && url->scheme != "http")
    return link_error("the link's page URL must start with https:// (http:// only on this computer)");
  if (url->scheme == "http" && !is_loopback_host(url->host))
    return link_error("the link's page URL must use https:// (plain http:// is allowed only for localhost)");
  return url;
}

Result<Url> check_relay_url(std::string_view relay_url) {
  auto url = parse_url(relay_url);
  if (!url) return link_error("the relay URL is malformed: " + url.error().message);
  if (url->scheme != "wss" && url->scheme != "ws")
    return link_error("the relay URL must start with wss:// (ws:// only on this computer)");
  if (url->scheme == "ws" && !is_loopback_host(url->host))
    return link_error("the relay URL must use wss:// (plain ws:// is allowed only for localhost)");
  if (!url->query.empty()) return link_error("the relay URL must not carry a query");
  return url;
}

std::string relay_from(const Url& page) {
  return (page.scheme == "https" ? "wss://" : "ws://") + page.authority();
}

}  // namespace

bool is_loopback_host(std::string_view host) {
  return host == "localhost" || host == "[::1]" || is_ipv4_loopback(host);
}

Result<std::string> relay_url_for_page(std::string_view page_url) {
  auto page = check_page_url(page_url);
  if (!page) return page.error();
  return relay_from(*page);
}

std::string channel_url(std::string_view relay_url, std::string_view cid_text) {
  std::string base(relay_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/v1/channels/" + std::string(cid_text);
}

Result<std::string> build_link(std::string_view page_url, ByteView receiver_public_key, std::string_view relay_url) {
  if (receiver_public_key.size() != x25519::kPublicKeyBytes)
    return link_error("the receiver's public key must be 32 bytes");
  auto page = check_page_url(page_url);
  if (!page) return page.error();
  std::string link(page_url);
  if (!relay_url.empty() && relay_url != relay_from(*page)) {
    if (auto relay = check_relay_url(relay_url); !relay) return relay.error();
    auto existing = query_param(page->query, "relay");
    if (!existing || existing->found) return link_error("the page URL already carries a relay parameter");
    link += page->query.empty() ? (page->path.empty() ? "/?" : "?") : "&";
    link += "relay=" + percent_encode(relay_url);
  }
  link += "#";
  link += kLinkVersionPrefix;
  link += base64url_encode(receiver_public_key);
  return link;
}

Result<Link> parse_link(std::string_view text) {
  auto hash = text.find('#');
  if (hash == std::string_view::npos)
    return link_error("the link has no key: it must end in #v1.<key> (was it cut off when copied?)");
  std::string_view page_url = text.substr(0, hash);
  std::string_view fragment = text.substr(hash + 1);
  if (fragment.substr(0, kLinkVersionPrefix.size()) != kLinkVersionPrefix)
    return link_error("the link is not a qrlogin v1 link (its key part must start with v1.); update qrlogin or ask for a new code");
  std::string_view key_text = fragment.substr(kLinkVersionPrefix.size());
  auto key = base64url_decode(key_text);
  if (!key) return link_error("the link's key is not valid base64url: " + key.error().message);
  if (key->size() != x25519::kPublicKeyBytes || key_text.size() != kPublicKeyTextChars)
    return link_error("the link's key must decode to exactly 32 bytes (got " + std::to_string(key->size()) + ")");

  auto page = check_page_url(page_url);
  if (!page) return page.error();
  auto relay_param = query_param(page->query, "relay");
  if (!relay_param) return link_error("the link's relay parameter is malformed: " + relay_param.error().message);

  Link link;
  link.page_url = std::string(page_url);
  if (relay_param->found) {
    auto relay = check_relay_url(relay_param->value);
    if (!relay) return link_error("the link's relay parameter is not acceptable: " + relay.error().message);
    link.relay_url = relay_param->value;
  } else {
    link.relay_url = relay_from(*page);
  }
  std::copy(key->begin(), key->end(), link.receiver_public_key.begin());
  link.cid = channel_id(link.receiver_public_key);
  return link;
}

}  // namespace qrlogin::pairing
