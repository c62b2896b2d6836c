#include "crypto/pairing/error.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::pairing {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<Errc>(code)) {
    case Errc::bad_url: return "bad_url";
    case Errc::bad_frame: return "bad_frame";
    case Errc::bad_credential: return "bad_credential";
    case Errc::credential_too_large: return "credential_too_large";
    case Errc::invalid_argument: return "invalid_argument";
    case Errc::internal: return "internal";
  }
  return "unknown";
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const NamedErrorCategory category("pairing", &code_name);
  return category;
}

}  // namespace qrlogin::pairing
