#include "crypto/pairing/error.hpp"

#include <string>

namespace qrlogin::pairing {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "pairing"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::bad_link: return "bad_link";
      case Errc::bad_url: return "bad_url";
      case Errc::bad_frame: return "bad_frame";
      case Errc::bad_credential: return "bad_credential";
      case Errc::credential_too_large: return "credential_too_large";
      case Errc::invalid_argument: return "invalid_argument";
      case Errc::internal: return "internal";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace qrlogin::pairing
