#include "cli/error.hpp"

#include <string>

namespace qrlogin::cli {
namespace {

class Category final : public std::error_category {
 public:
  const char* name() const noexcept override { return "cli"; }
  std::string message(int code) const override {
    switch (static_cast<Errc>(code)) {
      case Errc::usage: return "usage";
      case Errc::file_exists: return "file_exists";
      case Errc::io: return "io";
      case Errc::credential_too_large: return "credential_too_large";
      case Errc::qr_too_large: return "qr_too_large";
      case Errc::bad_relay_url: return "bad_relay_url";
      case Errc::bad_resume: return "bad_resume";
    }
    return "unknown";
  }
};

}  // namespace

const std::error_category& error_category() noexcept {
  static const Category category;
  return category;
}

}  // namespace qrlogin::cli
