#pragma once
// Loopback ports for the servers a test starts.
#include <cstdint>

namespace qrlogin::testing {

// A port on 127.0.0.1 that was free a moment ago (another process may take
// it before the server binds it: callers try again on a failed start).
std::uint16_t free_loopback_port();

// Whether something accepts TCP connections on 127.0.0.1:port.
bool accepts_connections(std::uint16_t port);

}  // namespace qrlogin::testing
