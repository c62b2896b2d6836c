#pragma once
// The one std::error_category every module's error enum uses: its name()
// is the module's ("crypto", "redis", ...) and message() the code's stable
// machine name, from the module's own table.
#include <string>
#include <string_view>
#include <system_error>

namespace qrlogin {

class NamedErrorCategory final : public std::error_category {
 public:
  using Names = std::string_view (*)(int code) noexcept;
  NamedErrorCategory(const char* name, Names names) noexcept : name_(name), names_(names) {}
  [[nodiscard]] const char* name() const noexcept override { return name_; }
  [[nodiscard]] std::string message(int code) const override { return std::string(names_(code)); }

 private:
  const char* name_;
  Names names_;
};

}  // namespace qrlogin
