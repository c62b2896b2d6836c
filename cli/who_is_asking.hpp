#pragma once
// What `qrlogin send --app` tells its person about the device asking to be
// logged in, before any code: what the application saw of it, how long ago,
// and where it is compared with this device (docs/app-api.md, POST
// /api/pairings/lookup). The same facts the phone page shows.
#include <cstdint>
#include <string>

#include <nlohmann/json.hpp>

namespace qrlogin::cli {

// What approving a device takes, given where it is.
enum class Approval {
  confirm,     // the same address or network: the usual confirmation
  deliberate,  // another network: "this is my device, somewhere else" and the typed code
  refused,     // another network, and the application allows no such login
};

// What the application saw of a registered code (all of it untrusted text
// from the registering device or the network).
struct PairingRequest {
  std::string device_name;
  std::string user_agent;
  std::string address;
  std::int64_t registered_at = 0;
  std::int64_t age = -1;  // seconds since the code was registered; -1: not told
  std::int64_t expires_in = 0;
  // Where the two devices are, as the application sees both addresses:
  // "same_address", "same_network" or "other_network"; empty from an
  // application that does not say.
  std::string relation;
  std::string requester_network;  // e.g. "198.51.100.0/24"
  std::string approver_network;
  Approval approval = Approval::confirm;
};

std::string_view approval_name(Approval approval) noexcept;

struct WhoIsAsking {
  nlohmann::json fields;  // the `pairing_request` event's (nothing secret)
  std::string human;      // what the person reads, warning included
};

// `now`: this machine's Unix time, used only when the application did not
// say the request's age.
WhoIsAsking describe_request(const PairingRequest& request, const std::string& origin, std::int64_t now);

// "3 seconds ago", "2 minutes ago", "just now".
std::string how_long_ago(std::int64_t seconds);

}  // namespace qrlogin::cli
