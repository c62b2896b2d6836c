#pragma once
// Logs: one JSON object per line on stdout. Callers pass only what may be
// published: ids, codes, counts and reasons; never a password, session id,
// token, grant, registration secret, cookie or request body.
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <mutex>
#include <string_view>
#include <variant>

namespace qrlogin::app {

struct LogField {
  std::string_view key;
  std::variant<std::string_view, std::int64_t> value;
};

class Logger {
 public:
  // Where lines go instead of stdout (tests read them); call before use.
  using Sink = std::function<void(std::string_view line)>;
  void redirect(Sink sink) { sink_ = std::move(sink); }
  void write(std::string_view event, std::initializer_list<LogField> fields);

 private:
  Sink sink_;
  std::mutex mutex_;
};

}  // namespace qrlogin::app
