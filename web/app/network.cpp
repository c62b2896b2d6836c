#include "web/app/network.hpp"

#include <arpa/inet.h>

#include <algorithm>
#include <array>
#include <cstdint>
#include <optional>

namespace qrlogin::app {
namespace {

constexpr int kNetworkBitsV4 = 24;
constexpr int kNetworkBitsV6 = 56;

struct Parsed {
  std::array<std::uint8_t, 16> bytes{};
  bool v4 = false;
};

std::optional<Parsed> parse(const std::string& address) {
  Parsed p;
  if (inet_pton(AF_INET, address.c_str(), p.bytes.data()) == 1) {
    p.v4 = true;
    return p;
  }
  if (inet_pton(AF_INET6, address.c_str(), p.bytes.data()) == 1) return p;
  return std::nullopt;
}

Parsed masked(Parsed p) {
  const int bits = p.v4 ? kNetworkBitsV4 : kNetworkBitsV6;
  const int size = p.v4 ? 4 : 16;
  for (int i = 0; i < size; ++i) {
    const int keep = std::clamp(bits - i * 8, 0, 8);
    p.bytes[static_cast<std::size_t>(i)] &= static_cast<std::uint8_t>(0xFF00 >> keep);
  }
  return p;
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
  auto pa = parse(a);
  auto pb = parse(b);
  if (!pa || !pb || pa->v4 != pb->v4) return NetworkRelation::other_network;
  if (pa->bytes == pb->bytes) return NetworkRelation::same_address;
  if (masked(*pa).bytes == masked(*pb).bytes) return NetworkRelation::same_network;
  return NetworkRelation::other_network;
}

std::string network_text(const std::string& address) {
  auto p = parse(address);
  if (!p) return address;
  auto m = masked(*p);
  char text[INET6_ADDRSTRLEN] = {};
  inet_ntop(m.v4 ? AF_INET : AF_INET6, m.bytes.data(), text, sizeof text);
  return std::string(text) + (m.v4 ? "/24" : "/56");
}

}  // namespace qrlogin::app
