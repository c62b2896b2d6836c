#pragma once
// The pairing link the QR code holds:  <page-url>#v1.<base64url(pkR)>
// Parsing is strict (docs/protocol.md, "The pairing link"): every way a link
// can be wrong has its own message, and nothing about a bad link is guessed.
#include <string>
#include <string_view>

#include "crypto/pairing/channel.hpp"
#include "crypto/pairing/error.hpp"
#include "crypto/x25519.hpp"

namespace qrlogin::pairing {

struct Link {
  std::string page_url;   // without the fragment
  std::string relay_url;  // ws:// or wss:// base; the channel path is appended to it
  x25519::PublicKey receiver_public_key{};
  ChannelId cid;
};

// Builds the link for a page URL and a key. When relay_url is not empty and
// differs from the relay derived from the page URL, it is carried as the
// page URL's `relay` query parameter. Errors: the page or relay URL is not
// acceptable (same rules as parse_link).
Result<std::string> build_link(std::string_view page_url, ByteView receiver_public_key,
                               std::string_view relay_url = {});

// Errors (pairing::Errc::bad_link, with a message that says what is wrong):
// no fragment, wrong version, key not canonical base64url or not 32 bytes,
// page URL not http(s), https/wss required off loopback, relay parameter not
// a ws(s) URL, malformed URL.
Result<Link> parse_link(std::string_view text);

// The WebSocket URL of a channel: relay base + "/v1/channels/" + cid.
std::string channel_url(std::string_view relay_url, std::string_view cid_text);

// The relay a page URL implies: https -> wss, http -> ws, same authority.
Result<std::string> relay_url_for_page(std::string_view page_url);

// True for localhost, 127.0.0.0/8 and [::1].
[[nodiscard]] bool is_loopback_host(std::string_view host);

}  // namespace qrlogin::pairing
