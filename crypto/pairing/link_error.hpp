#pragma once
// Why a pairing link is refused, or cannot be made: one stable machine code
// per rule of docs/protocol.md, "The pairing link" (category "link"). The
// names are the ones web/src/link.js uses and tests/vectors/links-v1.json
// lists, so both implementations are checked against the same table.
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::pairing {

enum class LinkErrc {
  no_key = 1,          // no '#': no fragment, so no key
  bad_version,         // the fragment does not start with exactly "v1."
  key_padding,         // the key carries '=' padding
  key_alphabet,        // the key has a character outside A-Z a-z 0-9 - _
  key_length,          // the key is not 43 characters, so not 32 bytes
  key_trailing_bits,   // the key's last character has non-zero unused bits
  page_malformed,      // the page URL is not scheme://host[:port][/path][?query]
  page_scheme,         // the page URL is not http(s)
  page_insecure,       // http off loopback
  page_has_relay,      // making a link: the page URL already has a relay parameter
  relay_duplicate,     // the relay parameter is given more than once
  relay_bad_escape,    // the relay value has a bad %-escape or is not UTF-8 once decoded
  relay_malformed,     // the relay URL is not scheme://host[:port][/path]
  relay_scheme,        // the relay URL is not ws(s)
  relay_insecure,      // ws off loopback
  relay_query,         // the relay URL has a query (even an empty one)
};

[[nodiscard]] const std::error_category& link_error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(LinkErrc code) noexcept {
  return {static_cast<int>(code), link_error_category()};
}

}  // namespace qrlogin::pairing

template <>
struct std::is_error_code_enum<qrlogin::pairing::LinkErrc> : std::true_type {};
