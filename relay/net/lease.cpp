#include "relay/net/lease.hpp"

#include <utility>

#include "relay/net/hub.hpp"

namespace qrlogin::relay {

ConnectionLease::ConnectionLease(ConnectionLease&& other) noexcept
    : hub_(std::exchange(other.hub_, nullptr)), address_(std::exchange(other.address_, std::nullopt)) {}

ConnectionLease& ConnectionLease::operator=(ConnectionLease&& other) noexcept {
  if (this != &other) {
    release();
    hub_ = std::exchange(other.hub_, nullptr);
    address_ = std::exchange(other.address_, std::nullopt);
  }
  return *this;
}

ConnectionLease::~ConnectionLease() { release(); }

std::optional<Refusal> ConnectionLease::bind_address(const AddressKey& key) {
  if (hub_ == nullptr) return Refusal{Code::unavailable, Limit::max_connections};
  if (address_ == key) return std::nullopt;
  if (auto refused = hub_->acquire_address(key)) return refused;
  if (address_) hub_->release_address(*address_);
  address_ = key;
  return std::nullopt;
}

void ConnectionLease::release() noexcept {
  if (hub_ == nullptr) return;
  if (address_) hub_->release_address(*address_);
  hub_->release_connection();
  hub_ = nullptr;
  address_.reset();
}

}  // namespace qrlogin::relay
