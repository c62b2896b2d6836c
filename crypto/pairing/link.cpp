#include "crypto/pairing/link.hpp"

#include <algorithm>
#include <cctype>
#include <charconv>

#include "crypto/pairing/url.hpp"

namespace qrlogin::pairing {

namespace {

constexpr std::string_view kRelayParam = "relay";

Error link_error(LinkErrc code, std::string message) { return make_error(code, std::move(message)); }

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
  if (!url) return link_error(LinkErrc::page_malformed, "the link's page URL is malformed: " + url.error().message);
  if (url->scheme != "https" && url->scheme != "http")
    return link_error(LinkErrc::page_scheme,
                      "the link's page URL must start with https:// (http:// only on this computer)");
  if (url->scheme == "http" && !is_loopback_host(url->host))
    return link_error(LinkErrc::page_insecure,
                      "the link's page URL must use https:// (plain http:// is allowed only for localhost)");
  return url;
}

Status check_relay_url(std::string_view relay_url) {
  auto url = parse_url(relay_url);
  if (!url) return link_error(LinkErrc::relay_malformed, "the relay URL is malformed: " + url.error().message);
  if (url->scheme != "wss" && url->scheme != "ws")
    return link_error(LinkErrc::relay_scheme, "the relay URL must start with wss:// (ws:// only on this computer)");
  if (url->scheme == "ws" && !is_loopback_host(url->host))
    return link_error(LinkErrc::relay_insecure,
                      "the relay URL must use wss:// (plain ws:// is allowed only for localhost)");
  // Even an empty query: the channel path is appended to this URL.
  if (relay_url.find('?') != std::string_view::npos)
    return link_error(LinkErrc::relay_query, "the relay URL must not carry a query");
  return {};
}

std::string relay_from(const Url& page) {
  return (page.scheme == "https" ? "wss://" : "ws://") + page.authority();
}

bool is_base64url_char(char c) {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
}

// The key's checks in this order, so that a key with more than one fault
// gets the same code from both implementations.
Result<Bytes> decode_key(std::string_view key_text) {
  if (key_text.find('=') != std::string_view::npos)
    return link_error(LinkErrc::key_padding, "the link's key is not valid base64url: it must not carry '=' padding");
  if (!std::all_of(key_text.begin(), key_text.end(), is_base64url_char))
    return link_error(LinkErrc::key_alphabet,
                      "the link's key is not valid base64url: it has a character outside A-Z a-z 0-9 - _");
  if (key_text.size() != kPublicKeyTextChars)
    return link_error(LinkErrc::key_length, "the link's key must be 43 characters, exactly 32 bytes (it has " +
                                                std::to_string(key_text.size()) + ")");
  auto key = base64url_decode(key_text);
  if (!key)
    return link_error(LinkErrc::key_trailing_bits,
                      "the link's key is not valid base64url: it is not canonical (non-zero trailing bits)");
  return key;
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

Result<std::string> page_origin(std::string_view page_url) {
  auto page = check_page_url(page_url);
  if (!page) return page.error();
  // Appended piece by piece: GCC 12 at -O3 misreads `a + "://" + b` here
  // as an overlapping memcpy (-Werror=restrict).
  std::string origin;
  origin.reserve(page->scheme.size() + 3 + page->host.size() + 6);
  origin.append(page->scheme).append("://");
  for (char c : page->host) origin.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));  // IPv6 hex too
  if (!page->port.empty()) {
    unsigned port = 0;  // parse_url admits only 1..65535 in at most five digits
    std::from_chars(page->port.data(), page->port.data() + page->port.size(), port);
    if (port != (page->scheme == "https" ? 443U : 80U)) origin.append(":").append(std::to_string(port));
  }
  return origin;
}

std::string channel_url(std::string_view relay_url, std::string_view cid_text) {
  std::string base(relay_url);
  while (!base.empty() && base.back() == '/') base.pop_back();
  return base + "/v1/channels/" + std::string(cid_text);
}

Result<std::string> build_link(std::string_view page_url, ByteView receiver_public_key, std::string_view relay_url) {
  if (receiver_public_key.size() != x25519::kPublicKeyBytes)
    return link_error(LinkErrc::key_length, "the receiver's public key must be 32 bytes");
  auto page = check_page_url(page_url);
  if (!page) return page.error();
  if (!query_values(page->query, kRelayParam).empty())
    return link_error(LinkErrc::page_has_relay,
                      "the page URL already carries a relay parameter: give the relay separately");
  std::string link(page_url);
  // An empty query counts as none: "…/pair?" makes the link "…/pair" makes.
  if (page->query.empty() && !link.empty() && link.back() == '?') link.pop_back();
  if (!relay_url.empty() && relay_url != relay_from(*page)) {
    if (auto relay = check_relay_url(relay_url); !relay) return relay.error();
    link += page->query.empty() ? (page->path.empty() ? "/?" : "?") : "&";
    link += std::string(kRelayParam) + "=" + percent_encode(relay_url);
  }
  link += "#";
  link += kLinkVersionPrefix;
  link += base64url_encode(receiver_public_key);
  return link;
}

Result<Link> parse_link(std::string_view text) {
  auto hash = text.find('#');
  if (hash == std::string_view::npos)
    return link_error(LinkErrc::no_key,
                      "the link has no key: it must end in #v1.<key> (was it cut off when copied?)");
  std::string_view page_url = text.substr(0, hash);
  std::string_view fragment = text.substr(hash + 1);
  if (fragment.substr(0, kLinkVersionPrefix.size()) != kLinkVersionPrefix)
    return link_error(LinkErrc::bad_version,
                      "the link is not a qrlogin v1 link (its key part must start with v1.); update qrlogin or "
                      "ask for a new code");
  auto key = decode_key(fragment.substr(kLinkVersionPrefix.size()));
  if (!key) return key.error();

  auto page = check_page_url(page_url);
  if (!page) return page.error();
  Link link;
  link.page_url = std::string(page_url);
  auto relays = query_values(page->query, kRelayParam);
  if (relays.size() > 1)
    return link_error(LinkErrc::relay_duplicate, "the link gives the relay parameter more than once");
  if (relays.empty()) {
    link.relay_url = relay_from(*page);
  } else {
    auto relay = percent_decode(relays.front());
    if (!relay)
      return link_error(LinkErrc::relay_bad_escape,
                        "the link's relay parameter is malformed: " + relay.error().message);
    if (auto checked = check_relay_url(*relay); !checked)
      return make_error(checked.error().code,
                        "the link's relay parameter is not acceptable: " + checked.error().message);
    link.relay_url = std::move(relay).value();
  }
  std::copy(key->begin(), key->end(), link.receiver_public_key.begin());
  link.cid = channel_id(link.receiver_public_key);
  return link;
}

}  // namespace qrlogin::pairing
