#include "web/app/names.hpp"

#include <array>

#include "web/app/error.hpp"

namespace qrlogin::app {

Status check_name(std::string_view name, std::string_view what) {
  if (name.empty()) return make_error(AppErrc::bad_name, std::string(what) + " is empty");
  if (name.size() > kMaxNameBytes)
    return make_error(AppErrc::bad_name, std::string(what) + " is longer than " + std::to_string(kMaxNameBytes) +
                                             " bytes (" + std::to_string(name.size()) + ")");
  for (char c : name) {
    const auto u = static_cast<unsigned char>(c);
    if (u < 0x20 || u == 0x7f)
      return make_error(AppErrc::bad_name, std::string(what) + " holds a control character");
  }
  return {};
}

std::string device_name_from_user_agent(std::string_view ua) {
  struct Mark {
    std::string_view needle;
    std::string_view name;
  };
  // Order matters: Edge and Opera also say Chrome, Chrome also says Safari.
  static constexpr std::array kBrowsers = {
      Mark{"Firefox/", "Firefox"}, Mark{"Edg/", "Edge"},     Mark{"OPR/", "Opera"},
      Mark{"Chromium/", "Chromium"}, Mark{"Chrome/", "Chrome"}, Mark{"Safari/", "Safari"},
      Mark{"curl/", "curl"},         Mark{"qrlogin/", "qrlogin"},  // the CLI: "qrlogin/1.0 (Linux)"
  };
  static constexpr std::array kSystems = {
      Mark{"Android", "Android"}, Mark{"iPhone", "iPhone"},   Mark{"iPad", "iPad"}, Mark{"Windows", "Windows"},
      Mark{"Mac OS X", "macOS"},  Mark{"CrOS", "ChromeOS"}, Mark{"Linux", "Linux"},
  };
  std::string_view browser, system;
  for (const auto& m : kBrowsers)
    if (ua.find(m.needle) != std::string_view::npos) {
      browser = m.name;
      break;
    }
  for (const auto& m : kSystems)
    if (ua.find(m.needle) != std::string_view::npos) {
      system = m.name;
      break;
    }
  if (browser.empty()) return system.empty() ? "Unknown browser" : "Browser on " + std::string(system);
  return system.empty() ? std::string(browser) : std::string(browser) + " on " + std::string(system);
}

}  // namespace qrlogin::app
