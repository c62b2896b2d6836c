#include "relay/net/log.hpp"

#include <poll.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <ctime>
#include <deque>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>

namespace qrlogin::relay {

namespace {
std::string_view level_name(LogLevel level) {
  switch (level) {
    case LogLevel::error: return "error";
    case LogLevel::warn: return "warn";
    case LogLevel::info: return "info";
    case LogLevel::debug: return "debug";
  }
  return "info";
}

std::string timestamp() {
  auto now = std::chrono::system_clock::now();
  auto seconds = std::chrono::system_clock::to_time_t(now);
  auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm utc{};
  gmtime_r(&seconds, &utc);
  char buf[64];
  std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", utc.tm_year + 1900, utc.tm_mon + 1,
                utc.tm_mday, utc.tm_hour, utc.tm_min, utc.tm_sec, static_cast<int>(ms));
  return buf;
}

constexpr auto kDrainAtExit = std::chrono::seconds{2};

// Writes all of `text` to stdout; false when stdout is gone (closed pipe).
bool write_all(std::string_view text) {
  while (!text.empty()) {
    auto n = ::write(STDOUT_FILENO, text.data(), text.size());
    if (n < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN) {  // a non-blocking stdout someone else set up
        pollfd p{STDOUT_FILENO, POLLOUT, 0};
        ::poll(&p, 1, 100);
        continue;
      }
      return false;
    }
    text.remove_prefix(static_cast<std::size_t>(n));
  }
  return true;
}
}  // namespace

struct Logger::Queue {
  explicit Queue(std::size_t lines_max) : capacity(lines_max) {}
  const std::size_t capacity;
  std::mutex mutex;
  std::condition_variable wake;
  std::condition_variable drained;
  std::deque<std::string> lines;
  bool stopping = false;
  bool done = false;
  std::atomic<std::uint64_t> dropped{0};

  // The writer thread: takes every waiting line at once and writes them
  // as one block, outside the lock.
  void run() {
    std::deque<std::string> batch;
    std::string block;
    for (;;) {
      {
        std::unique_lock lock(mutex);
        wake.wait(lock, [&] { return stopping || !lines.empty(); });
        if (lines.empty()) break;  // stopping, and everything written
        batch.swap(lines);
      }
      block.clear();
      for (auto& line : batch) block.append(line).push_back('\n');
      batch.clear();
      if (!write_all(block)) {
        std::lock_guard lock(mutex);
        stopping = true;  // stdout is gone: later lines are dropped
      }
    }
    std::lock_guard lock(mutex);
    done = true;
    drained.notify_all();
  }

  void push(std::string line) {
    {
      std::lock_guard lock(mutex);
      if (stopping || lines.size() >= capacity) {
        dropped.fetch_add(1, std::memory_order_relaxed);
        return;
      }
      lines.push_back(std::move(line));
    }
    wake.notify_one();
  }
};

Logger::Logger(LogLevel level, std::size_t queue_lines)
    : level_(level),
      queue_(std::make_shared<Queue>(queue_lines)),
      refusals_(kRefusalsPerSecond, kRefusalBurst, Clock::now()) {
  writer_ = std::thread([queue = queue_] { queue->run(); });
}

Logger::~Logger() {
  bool done = false;
  {
    std::unique_lock lock(queue_->mutex);
    queue_->stopping = true;
    queue_->wake.notify_one();
    done = queue_->drained.wait_for(lock, kDrainAtExit, [&] { return queue_->done; });
  }
  // A writer still blocked on a stdout nobody reads is left behind: it
  // holds its own reference to the queue, and the process is about to end.
  if (done) writer_.join();
  else writer_.detach();
}

std::uint64_t Logger::lines_dropped() const noexcept { return queue_->dropped.load(std::memory_order_relaxed); }

void Logger::write(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  emit(level_name(level), event, fields, 0);
}

void Logger::write_always(std::string_view event, std::initializer_list<LogField> fields) {
  emit("info", event, fields, 0);
}

void Logger::write_refusal(LogLevel level, std::string_view event, std::initializer_list<LogField> fields) {
  if (!enabled(level)) return;
  std::uint64_t suppressed = 0;
  {
    std::lock_guard lock(refusal_mutex_);
    if (!refusals_.try_take(Clock::now())) {
      ++suppressed_since_;
      suppressed_total_.fetch_add(1, std::memory_order_relaxed);
      return;
    }
    suppressed = std::exchange(suppressed_since_, 0);
  }
  emit(level_name(level), event, fields, suppressed);
}

void Logger::emit(std::string_view level, std::string_view event, std::initializer_list<LogField> fields,
                  std::uint64_t suppressed) {
  nlohmann::ordered_json line = {{"ts", timestamp()}, {"level", level}, {"event", event}};
  for (const auto& field : fields)
    std::visit([&](const auto& v) { line[std::string(field.key)] = v; }, field.value);
  if (suppressed > 0) line["suppressed"] = suppressed;
  // Strings we did not make (none should reach here) must not break the line.
  queue_->push(line.dump(-1, ' ', false, nlohmann::ordered_json::error_handler_t::replace));
}

}  // namespace qrlogin::relay
