#pragma once
// The pairing link the QR code holds:  <page-url>#v1.<base64url(pkR)>
// Parsing is strict (docs/protocol.md, "The pairing link"): every way a link
// can be wrong has its own code (LinkErrc) and message, and nothing about a
// bad link is guessed. web/src/link.js follows the same rules, and both are
// checked against tests/vectors/links-v1.json.
#include <string>
#include <string_view>

#include "crypto/pairing/channel.hpp"
#include "crypto/pairing/link_error.hpp"
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
// page URL's `relay` query parameter, after '?' or, when the page URL has a
// query, '&'. An empty query counts as none: a lone '?' at the end of the
// page URL is dropped, so "…/pair?" makes the same link as "…/pair".
// Errors (LinkErrc): the page or relay URL is not acceptable (same rules as
// parse_link), the page URL has a relay parameter of its own
// (page_has_relay), the key is not 32 bytes (key_length).
Result<std::string> build_link(std::string_view page_url, ByteView receiver_public_key,
                               std::string_view relay_url = {});

// The query follows the one rule of protocol rev. 3: parameter names are
// compared exactly, never decoded; only the `relay` value is decoded (%XX,
// UTF-8; '+' is a plus); other parameters are ignored. Errors (LinkErrc,
// with a message that says what is wrong), checked in this order: no_key,
// bad_version, key_padding, key_alphabet, key_length, key_trailing_bits,
// page_malformed, page_scheme, page_insecure, relay_duplicate,
// relay_bad_escape, relay_malformed, relay_scheme, relay_insecure,
// relay_query.
Result<Link> parse_link(std::string_view text);

// The WebSocket URL of a channel: relay base + "/v1/channels/" + cid.
std::string channel_url(std::string_view relay_url, std::string_view cid_text);

// The relay a page URL implies: https -> wss, http -> ws, same authority.
Result<std::string> relay_url_for_page(std::string_view page_url);

// The ASCII serialization of the page URL's origin (RFC 6454 §6.2, as the
// WHATWG URL parser gives it): lower-case scheme and host, the port only
// when it is not the scheme's default, no path, no trailing slash:
// "https://LOGIN.Example.com:443/pair?x" -> "https://login.example.com".
// Hosts are ASCII (parse_url refuses others: write an IDN as its xn-- A-label);
// an IPv6 host is only lower-cased, so write it in its shortest form.
// Errors: those of the page URL in parse_link.
Result<std::string> page_origin(std::string_view page_url);

// True for localhost, 127.0.0.0/8 and [::1].
[[nodiscard]] bool is_loopback_host(std::string_view host);

}  // namespace qrlogin::pairing
