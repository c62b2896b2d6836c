#pragma once
// Why typed text is not a code (category "code"). The names are the ones
// web/src/code.js uses and tests/vectors/code-v1.json lists.
#include <system_error>

#include "crypto/result.hpp"

namespace qrlogin::pairing {

enum class CodeErrc {
  code_chars = 1,  // a character that is neither a digit nor a separator
  code_length,     // not 14 digits
  code_check,      // the check digit does not match: a typo
};

[[nodiscard]] const std::error_category& code_error_category() noexcept;
[[nodiscard]] inline std::error_code make_error_code(CodeErrc code) noexcept {
  return {static_cast<int>(code), code_error_category()};
}

}  // namespace qrlogin::pairing

template <>
struct std::is_error_code_enum<qrlogin::pairing::CodeErrc> : std::true_type {};
