#include "crypto/error.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::crypto {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<Errc>(code)) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::bad_length: return "bad_length";
    case Errc::bad_encoding: return "bad_encoding";
    case Errc::low_order_point: return "low_order_point";
    case Errc::auth_failed: return "auth_failed";
    case Errc::limit_exceeded: return "limit_exceeded";
    case Errc::internal: return "internal";
    case Errc::invalid_point: return "invalid_point";
  }
  return "unknown";
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const NamedErrorCategory category("crypto", &code_name);
  return category;
}

}  // namespace qrlogin::crypto
