#include "crypto/pairing/link_error.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::pairing {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<LinkErrc>(code)) {
    case LinkErrc::no_key: return "no_key";
    case LinkErrc::bad_version: return "bad_version";
    case LinkErrc::key_padding: return "key_padding";
    case LinkErrc::key_alphabet: return "key_alphabet";
    case LinkErrc::key_length: return "key_length";
    case LinkErrc::key_trailing_bits: return "key_trailing_bits";
    case LinkErrc::page_malformed: return "page_malformed";
    case LinkErrc::page_scheme: return "page_scheme";
    case LinkErrc::page_insecure: return "page_insecure";
    case LinkErrc::page_has_relay: return "page_has_relay";
    case LinkErrc::relay_duplicate: return "relay_duplicate";
    case LinkErrc::relay_bad_escape: return "relay_bad_escape";
    case LinkErrc::relay_malformed: return "relay_malformed";
    case LinkErrc::relay_scheme: return "relay_scheme";
    case LinkErrc::relay_insecure: return "relay_insecure";
    case LinkErrc::relay_query: return "relay_query";
  }
  return "unknown";
}

}  // namespace

const std::error_category& link_error_category() noexcept {
  static const NamedErrorCategory category("link", &code_name);
  return category;
}

}  // namespace qrlogin::pairing
