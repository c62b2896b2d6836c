#include "web/app/network.hpp"

#include "relay/core/address.hpp"

namespace qrlogin::app {
namespace {

// The relay's own "network" scope (IPv4 /24, IPv6 /56), so that the
// application and the relay's limits mean the same by a network.
relay::AddressKey network_of(const relay::IpAddress& address) {
  return *relay::scope_key(relay::limit_key(address), relay::Scope::network);
}

}  // namespace

std::string_view relation_name(NetworkRelation relation) noexcept {
  switch (relation) {
    case NetworkRelation::same_address: return "same_address";
    case NetworkRelation::same_network: return "same_network";
    case NetworkRelation::other_network: return "other_network";
  }
  return "other_network";
}

NetworkRelation network_relation(const std::string& a, const std::string& b) {
  auto pa = relay::parse_ip(a);
  auto pb = relay::parse_ip(b);
  if (!pa.ok() || !pb.ok() || pa->is_v4() != pb->is_v4()) return NetworkRelation::other_network;
  if (*pa == *pb) return NetworkRelation::same_address;
  if (network_of(*pa) == network_of(*pb)) return NetworkRelation::same_network;
  return NetworkRelation::other_network;
}

std::string network_text(const std::string& address) {
  auto parsed = relay::parse_ip(address);
  if (!parsed.ok()) return address;
  relay::IpAddress network{network_of(*parsed).bytes};
  return relay::format_ip(network) + (parsed->is_v4() ? "/24" : "/56");
}

}  // namespace qrlogin::app
