#pragma once
// Client addresses as the relay's limits and logs see them: pure functions
// over 16-byte addresses (IPv4 is kept as an IPv4-mapped IPv6 address).
#include <array>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "relay/core/error.hpp"

namespace qrlogin::relay {

struct IpAddress {
  std::array<std::uint8_t, 16> bytes{};  // IPv4 as ::ffff:a.b.c.d
  [[nodiscard]] bool is_v4() const noexcept;
  friend bool operator==(const IpAddress&, const IpAddress&) = default;
};

// Accepts dotted IPv4 and IPv6 text (no brackets, no zone, no port).
Result<IpAddress> parse_ip(std::string_view text);
std::string format_ip(const IpAddress& address);

// The key per-address limits count under: IPv4 /32, IPv6 /64.
struct AddressKey {
  std::array<std::uint8_t, 16> bytes{};
  friend bool operator==(const AddressKey&, const AddressKey&) = default;
};
struct AddressKeyHash {
  std::size_t operator()(const AddressKey& key) const noexcept;
};
AddressKey limit_key(const IpAddress& address) noexcept;

// The wider prefixes one household, office or attacker usually holds, each
// with its own limits (docs/relay.md): `network` is IPv4 /24 and IPv6 /56;
// `site` is IPv6 /48 (an IPv4 client has no site key). Derived from the
// per-address key, so they need nothing but what the relay already keeps.
enum class Scope : std::uint8_t { address = 0, network = 1, site = 2 };
inline constexpr std::size_t kScopeCount = 3;
std::string_view scope_name(Scope scope) noexcept;
[[nodiscard]] bool key_is_v4(const AddressKey& key) noexcept;
// nullopt for Scope::site of an IPv4 key.
std::optional<AddressKey> scope_key(const AddressKey& key, Scope scope) noexcept;

// The form logs carry: IPv4 /24 ("203.0.113.0/24"), IPv6 /48 ("2001:db8:1::/48").
std::string log_address(const IpAddress& address);

struct Cidr {
  IpAddress network;
  unsigned prefix = 0;  // over the 128-bit form; IPv4 /n is stored as /(96+n)
};
// "10.0.0.0/8", "::1/128", a bare address means /32 or /128.
Result<Cidr> parse_cidr(std::string_view text);
Result<std::vector<Cidr>> parse_cidr_list(std::string_view comma_separated);
bool cidr_contains(const Cidr& cidr, const IpAddress& address) noexcept;
bool any_contains(const std::vector<Cidr>& list, const IpAddress& address) noexcept;

// The client behind trusted proxies: when the TCP peer is inside `trusted`,
// the rightmost X-Forwarded-For entry that is not trusted (or the leftmost
// if all are). Otherwise, or when the header is absent or malformed, the
// TCP peer itself.
IpAddress resolve_client(const IpAddress& peer, std::string_view forwarded_for,
                         const std::vector<Cidr>& trusted);

// Every X-Forwarded-For line of a request's headers (Beast's http::fields)
// in order, as one list (RFC 9110 5.3): a proxy may append a line rather
// than extend the first, and the client is the rightmost untrusted entry of
// the whole list. A template so that relay/core stays free of Beast.
template <class Fields>
std::string joined_forwarded_for(const Fields& headers) {
  std::string out;
  auto [first, last] = headers.equal_range("X-Forwarded-For");
  for (auto it = first; it != last; ++it) {
    if (!out.empty()) out += ',';
    out += std::string_view(it->value());
  }
  return out;
}

}  // namespace qrlogin::relay
