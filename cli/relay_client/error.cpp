#include "cli/relay_client/error.hpp"

#include <string>

namespace qrlogin::relay_client {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "relay_client"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::timeout: return "timeout";
      case Errc::tls: return "tls";
      case Errc::connect_failed: return "connect_failed";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace qrlogin::relay_client
