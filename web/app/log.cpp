#include "web/app/log.hpp"

#include <cstdio>
#include <nlohmann/json.hpp>

namespace qrlogin::app {

void Logger::write(std::string_view event, std::initializer_list<LogField> fields) {
  nlohmann::json line{{"event", event}};
  for (const auto& f : fields)
    std::visit([&](const auto& v) { line[std::string(f.key)] = v; }, f.value);
  const std::string text = line.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace) + "\n";
  std::lock_guard lock(mutex_);
  if (sink_) return sink_(text);
  std::fwrite(text.data(), 1, text.size(), stdout);
  std::fflush(stdout);
}

}  // namespace qrlogin::app
