#include "crypto/pairing/code_error.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::pairing {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<CodeErrc>(code)) {
    case CodeErrc::code_chars: return "code_chars";
    case CodeErrc::code_length: return "code_length";
    case CodeErrc::code_check: return "code_check";
  }
  return "unknown";
}

}  // namespace

const std::error_category& code_error_category() noexcept {
  static const NamedErrorCategory category("code", &code_name);
  return category;
}

}  // namespace qrlogin::pairing
