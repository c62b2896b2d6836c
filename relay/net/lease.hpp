#pragma once
// A connection's place in the admission counts (one in total, and one under
// its client's address once known), given back when the connection dies.
#include <optional>

#include "relay/core/address.hpp"
#include "relay/core/admission.hpp"
#include "relay/core/codes.hpp"

namespace qrlogin::relay {

class Hub;

class ConnectionLease {
 public:
  ConnectionLease() = default;
  explicit ConnectionLease(Hub& hub) noexcept : hub_(&hub) {}  // the total is already counted
  ConnectionLease(ConnectionLease&& other) noexcept;
  ConnectionLease& operator=(ConnectionLease&& other) noexcept;
  ConnectionLease(const ConnectionLease&) = delete;
  ConnectionLease& operator=(const ConnectionLease&) = delete;
  ~ConnectionLease();

  // Counts the connection under `key` (instead of a previous key).
  [[nodiscard]] std::optional<Refusal> bind_address(const AddressKey& key);
  [[nodiscard]] const std::optional<AddressKey>& address() const noexcept { return address_; }

 private:
  void release() noexcept;
  Hub* hub_ = nullptr;
  std::optional<AddressKey> address_;
};

}  // namespace qrlogin::relay
