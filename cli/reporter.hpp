#pragma once
// Everything the CLI tells its user. Human text goes to stderr (stdout may
// carry the credential with --out -); with --json every event is also one
// JSON object per line on stdout. A credential is never passed in here.
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "cli/exit_codes.hpp"

namespace qrlogin::cli {

class Reporter {
 public:
  explicit Reporter(bool json) : json_(json) {}

  // A line for the person at the terminal.
  void say(std::string_view text) const;
  // A machine-readable event (with --json) and its human line.
  void event(std::string_view type, nlohmann::json fields, std::string_view human) const;
  // Reports why the command stops (an `error` event and a "qrlogin: ..."
  // line) and returns the exit code to stop with.
  ExitCode failure(ExitCode code, std::string_view error_code, const std::string& message) const;
  [[nodiscard]] bool json() const noexcept { return json_; }

 private:
  bool json_;
};

// Text that came from the other device or the relay, made safe to print:
// control characters (terminal escapes!) become '?', length is capped.
std::string printable(std::string_view untrusted, std::size_t max_chars = 80);

}  // namespace qrlogin::cli
