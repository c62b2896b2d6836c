#include "cli/error.hpp"

#include <string_view>

#include "crypto/error_category.hpp"

namespace qrlogin::cli {
namespace {

std::string_view code_name(int code) noexcept {
  switch (static_cast<Errc>(code)) {
    case Errc::usage: return "usage";
    case Errc::file_exists: return "file_exists";
    case Errc::io: return "io";
    case Errc::credential_too_large: return "credential_too_large";
    case Errc::qr_too_large: return "qr_too_large";
    case Errc::bad_relay_url: return "bad_relay_url";
    case Errc::bad_resume: return "bad_resume";
    case Errc::bad_app_url: return "bad_app_url";
    case Errc::credential_refused: return "credential_refused";
    case Errc::token_file: return "token_file";
  }
  return "unknown";
}

}  // namespace

const std::error_category& error_category() noexcept {
  static const NamedErrorCategory category("cli", &code_name);
  return category;
}

}  // namespace qrlogin::cli
