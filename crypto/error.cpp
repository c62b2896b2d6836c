#include "crypto/error.hpp"

#include <string>

namespace qrlogin::crypto {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "crypto"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::invalid_argument: return "invalid_argument";
      case Errc::bad_length: return "bad_length";
      case Errc::bad_encoding: return "bad_encoding";
      case Errc::low_order_point: return "low_order_point";
      case Errc::auth_failed: return "auth_failed";
      case Errc::limit_exceeded: return "limit_exceeded";
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

}  // namespace qrlogin::crypto
