#include "relay/redis/result.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::relay::redis {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<Errc>(code)) {
    case Errc::unavailable: return "unavailable";
    case Errc::server: return "server";
    case Errc::protocol: return "protocol";
    case Errc::bad_url: return "bad_url";
    case Errc::bad_config: return "bad_config";
    case Errc::timeout: return "timeout";
  }
  return "unknown";
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const NamedErrorCategory category("redis", &code_name);
  return category;
}

}  // namespace qrlogin::relay::redis
