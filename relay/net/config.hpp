#pragma once
// The configuration moved to its own library: include relay/config/config.hpp.
// Kept only until hub.hpp and server.hpp include that directly.
#include "relay/config/config.hpp"
