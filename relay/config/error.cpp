#include "relay/config/error.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::relay {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<ConfigErrc>(code)) {
    case ConfigErrc::bad_flag: return "bad_flag";
    case ConfigErrc::unsafe: return "unsafe";
    case ConfigErrc::file_limit: return "file_limit";
  }
  return "unknown";
}

}  // namespace

const std::error_category& config_error_category() noexcept {
  static const NamedErrorCategory category("relay.config", &code_name);
  return category;
}

}  // namespace qrlogin::relay
