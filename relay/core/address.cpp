#include "relay/core/address.hpp"

#include <arpa/inet.h>

#include <charconv>
#include <cstring>

namespace qrlogin::relay {

namespace {
constexpr std::array<std::uint8_t, 12> kV4Mapped = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}
}  // namespace

bool IpAddress::is_v4() const noexcept { return std::memcmp(bytes.data(), kV4Mapped.data(), kV4Mapped.size()) == 0; }

Result<IpAddress> parse_ip(std::string_view text) {
  if (text.empty() || text.size() > 45) return make_error(Errc::bad_address, "not an IP address");
  char buf[46] = {};
  std::memcpy(buf, text.data(), text.size());
  IpAddress out;
  in_addr v4{};
  if (inet_pton(AF_INET, buf, &v4) == 1) {
    std::memcpy(out.bytes.data(), kV4Mapped.data(), kV4Mapped.size());
    std::memcpy(out.bytes.data() + 12, &v4, 4);
    return out;
  }
  in6_addr v6{};
  if (inet_pton(AF_INET6, buf, &v6) == 1) {
    std::memcpy(out.bytes.data(), &v6, 16);
    return out;
  }
  return make_error(Errc::bad_address, "not an IP address");
}

std::string format_ip(const IpAddress& address) {
  char buf[INET6_ADDRSTRLEN] = {};
  if (address.is_v4()) inet_ntop(AF_INET, address.bytes.data() + 12, buf, sizeof buf);
  else inet_ntop(AF_INET6, address.bytes.data(), buf, sizeof buf);
  return buf;
}

std::size_t AddressKeyHash::operator()(const AddressKey& key) const noexcept {
  std::uint64_t a = 0;
  std::uint64_t b = 0;
  std::memcpy(&a, key.bytes.data(), 8);
  std::memcpy(&b, key.bytes.data() + 8, 8);
  // Keys are addresses the attacker controls only in their own /64 or /32,
  // and the table is bounded by the connection cap.
  return static_cast<std::size_t>((a * 0x9E3779B97F4A7C15ull) ^ (b + 0x632BE59BD9B4E019ull + (a >> 7)));
}

AddressKey limit_key(const IpAddress& address) noexcept {
  AddressKey key;
  key.bytes = address.bytes;
  if (!address.is_v4()) std::memset(key.bytes.data() + 8, 0, 8);  // /64
  return key;
}

std::string_view scope_name(Scope scope) noexcept {
  switch (scope) {
    case Scope::address: return "address";
    case Scope::network: return "network";
    case Scope::site: return "site";
  }
  return "address";
}

bool key_is_v4(const AddressKey& key) noexcept {
  return std::memcmp(key.bytes.data(), kV4Mapped.data(), kV4Mapped.size()) == 0;
}

std::optional<AddressKey> scope_key(const AddressKey& key, Scope scope) noexcept {
  AddressKey out = key;
  bool v4 = key_is_v4(key);
  switch (scope) {
    case Scope::address: return out;
    case Scope::network:
      if (v4) out.bytes[15] = 0;                       // /24
      else std::memset(out.bytes.data() + 7, 0, 9);    // /56
      return out;
    case Scope::site:
      if (v4) return std::nullopt;
      std::memset(out.bytes.data() + 6, 0, 10);        // /48
      return out;
  }
  return std::nullopt;
}

std::string log_address(const IpAddress& address) {
  IpAddress masked = address;
  if (address.is_v4()) {
    masked.bytes[15] = 0;
    return format_ip(masked) + "/24";
  }
  std::memset(masked.bytes.data() + 6, 0, 10);
  return format_ip(masked) + "/48";
}

Result<Cidr> parse_cidr(std::string_view text) {
  text = trim(text);
  auto slash = text.find('/');
  auto ip = parse_ip(text.substr(0, slash));
  if (!ip.ok()) return make_error(Errc::bad_address, "bad CIDR: " + std::string(text));
  unsigned max = ip->is_v4() ? 32 : 128;
  unsigned prefix = max;
  if (slash != std::string_view::npos) {
    auto digits = text.substr(slash + 1);
    auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), prefix);
    if (digits.empty() || ec != std::errc{} || end != digits.data() + digits.size() || prefix > max)
      return make_error(Errc::bad_address, "bad CIDR prefix: " + std::string(text));
  }
  return Cidr{*ip, ip->is_v4() ? prefix + 96 : prefix};
}

Result<std::vector<Cidr>> parse_cidr_list(std::string_view text) {
  std::vector<Cidr> out;
  while (!trim(text).empty()) {
    auto comma = text.find(',');
    auto cidr = parse_cidr(text.substr(0, comma));
    if (!cidr.ok()) return cidr.error();
    out.push_back(*cidr);
    text = comma == std::string_view::npos ? std::string_view{} : text.substr(comma + 1);
  }
  return out;
}

bool cidr_contains(const Cidr& cidr, const IpAddress& address) noexcept {
  unsigned bits = cidr.prefix;
  for (std::size_t i = 0; i < 16 && bits > 0; ++i) {
    unsigned take = bits >= 8 ? 8 : bits;
    auto mask = static_cast<std::uint8_t>(0xff << (8 - take));
    if ((cidr.network.bytes[i] & mask) != (address.bytes[i] & mask)) return false;
    bits -= take;
  }
  return true;
}

bool any_contains(const std::vector<Cidr>& list, const IpAddress& address) noexcept {
  for (const auto& cidr : list)
    if (cidr_contains(cidr, address)) return true;
  return false;
}

IpAddress resolve_client(const IpAddress& peer, std::string_view forwarded_for,
                         const std::vector<Cidr>& trusted) {
  if (!any_contains(trusted, peer)) return peer;
  IpAddress client = peer;
  // Walk right to left: each hop appended the address it saw.
  while (!trim(forwarded_for).empty()) {
    auto comma = forwarded_for.rfind(',');
    auto entry = trim(comma == std::string_view::npos ? forwarded_for : forwarded_for.substr(comma + 1));
    forwarded_for = comma == std::string_view::npos ? std::string_view{} : forwarded_for.substr(0, comma);
    auto ip = parse_ip(entry);
    if (!ip.ok()) return client;  // malformed: stop at the last address we could trust
    client = *ip;
    if (!any_contains(trusted, client)) return client;
  }
  return client;
}

}  // namespace qrlogin::relay
