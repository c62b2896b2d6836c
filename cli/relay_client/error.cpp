#include "cli/relay_client/error.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::relay_client {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<Errc>(code)) {
    case Errc::timeout: return "timeout";
    case Errc::tls: return "tls";
    case Errc::connect_failed: return "connect_failed";
    case Errc::tls_untrusted: return "tls_untrusted";
    case Errc::too_large: return "too_large";
  }
  return "unknown";
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const NamedErrorCategory category("relay_client", &code_name);
  return category;
}

}  // namespace qrlogin::relay_client
