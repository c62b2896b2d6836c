#include "relay/core/error.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::relay {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<Errc>(code)) {
    case Errc::bad_config: return "bad_config";
    case Errc::bad_certificate: return "bad_certificate";
    case Errc::bad_address: return "bad_address";
    case Errc::bad_request: return "bad_request";
    case Errc::bad_control: return "bad_control";
    case Errc::listen_failed: return "listen_failed";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const NamedErrorCategory category("relay", &code_name);
  return category;
}

}  // namespace qrlogin::relay
