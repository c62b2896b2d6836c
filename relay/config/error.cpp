#include "relay/config/error.hpp"

#include <string>

namespace qrlogin::relay {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "relay.config"; }
  std::string message(int code) const override {
    switch (static_cast<ConfigErrc>(code)) {
      case ConfigErrc::bad_flag: return "bad_flag";
      case ConfigErrc::unsafe: return "unsafe";
      case ConfigErrc::file_limit: return "file_limit";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& config_error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace qrlogin::relay
