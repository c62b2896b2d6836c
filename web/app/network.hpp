#pragma once
// Where two addresses are relative to each other, as the approving screen
// shows it (issue 21, docs/app-api.md "Who is asking"): the same address,
// the same network (IPv4 /24, IPv6 /56: one household, office or mobile
// cell), or another network. Addresses are the ones the application sees
// (the TCP peer, or the client behind a --trust-proxy proxy).
#include <string>
#include <string_view>

namespace qrlogin::app {

enum class NetworkRelation { same_address, same_network, other_network };

[[nodiscard]] std::string_view relation_name(NetworkRelation relation) noexcept;

// Anything that is not an IP address (a test's "unknown") is never the same
// network as anything: the cautious answer.
[[nodiscard]] NetworkRelation network_relation(const std::string& a, const std::string& b);

// The coarse network of an address, e.g. "198.51.100.0/24" or
// "2001:db8:1:100::/56"; the address itself when it is not an IP address.
[[nodiscard]] std::string network_text(const std::string& address);

}  // namespace qrlogin::app
