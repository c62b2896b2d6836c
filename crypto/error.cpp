#include "crypto/error.hpp"

namespace qrlogin {

std::string_view errc_name(Errc code) noexcept {
  switch (code) {
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::bad_length: return "bad_length";
    case Errc::bad_encoding: return "bad_encoding";
    case Errc::low_order_point: return "low_order_point";
    case Errc::auth_failed: return "auth_failed";
    case Errc::limit_exceeded: return "limit_exceeded";
    case Errc::bad_link: return "bad_link";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

}  // namespace qrlogin
