#include "relay/redis/result.hpp"

#include <string>

namespace qrlogin::relay::redis {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "redis"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::unavailable: return "unavailable";
      case Errc::server: return "server";
      case Errc::protocol: return "protocol";
      case Errc::bad_url: return "bad_url";
      case Errc::bad_config: return "bad_config";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace qrlogin::relay::redis
