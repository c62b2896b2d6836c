#include "relay/redis/result.hpp"

namespace qrlogin::relay::redis {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::unavailable: return "unavailable";
    case Errc::server: return "server";
    case Errc::protocol: return "protocol";
    case Errc::bad_url: return "bad_url";
    case Errc::bad_config: return "bad_config";
  }
  return "unknown";
}

}  // namespace qrlogin::relay::redis
