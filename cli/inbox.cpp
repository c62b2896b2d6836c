#include "cli/inbox.hpp"

#include <fcntl.h>
#include <termios.h>
#include <unistd.h>

#include <cerrno>

namespace qrlogin::cli {

void Inbox::wake() {
  {
    std::lock_guard lock(mutex_);
    woken_ = true;
  }
  cv_.notify_one();
}

void Inbox::push_line(Line line) {
  {
    std::lock_guard lock(mutex_);
    lines_.push_back(std::move(line));
  }
  cv_.notify_one();
}

Inbox::Wait Inbox::wait(std::optional<Clock::time_point> deadline) {
  std::unique_lock lock(mutex_);
  auto ready = [&] { return woken_ || !lines_.empty(); };
  Wait result;
  if (deadline) {
    if (!cv_.wait_until(lock, *deadline, ready)) result.timed_out = true;
  } else {
    cv_.wait(lock, ready);
  }
  result.woken = woken_;
  woken_ = false;
  if (!lines_.empty()) {
    result.line = std::move(lines_.front());
    lines_.pop_front();
  }
  return result;
}

AnswerReader::~AnswerReader() {
  // The reader thread is detached: a read() blocked on a terminal cannot be
  // interrupted portably, and the process is about to exit anyway.
  if (own_fd_ && fd_ >= 0 && !started_) ::close(fd_);
}

bool AnswerReader::terminal_available() {
  if (::isatty(STDIN_FILENO)) return true;
  int fd = ::open("/dev/tty", O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ::close(fd);
  return true;
}

void AnswerReader::start() {
  if (started_) return;
  started_ = true;
  if (input_ != AnswerInput::terminal_not_stdin && ::isatty(STDIN_FILENO)) {
    fd_ = STDIN_FILENO;
  } else {
    fd_ = ::open("/dev/tty", O_RDONLY | O_CLOEXEC);
    own_fd_ = fd_ >= 0;
    if (fd_ < 0 && input_ == AnswerInput::terminal_or_stdin) fd_ = STDIN_FILENO;
  }
  if (fd_ < 0) {  // no terminal, and stdin may not answer: no one can
    inbox_->push_line({true, {}});
    return;
  }
  // Keys typed before the code was on screen must not count as the answer.
  if (::isatty(fd_)) ::tcflush(fd_, TCIFLUSH);
  std::thread([fd = fd_, inbox = inbox_] {
    std::string pending;
    bool discarding = false;  // the rest of an over-long line
    char buf[256];
    for (;;) {
      ssize_t n = ::read(fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      if (n <= 0) {
        if (!pending.empty()) inbox->push_line({false, pending});
        inbox->push_line({true, {}});
        return;
      }
      pending.append(buf, static_cast<std::size_t>(n));
      for (auto nl = pending.find('\n'); nl != std::string::npos; nl = pending.find('\n')) {
        if (!discarding) inbox->push_line({false, pending.substr(0, nl)});
        discarding = false;
        pending.erase(0, nl + 1);
      }
      if (pending.size() > 1024) {  // nobody types that much at a y/n prompt
        pending.clear();
        discarding = true;
      }
    }
  }).detach();
}

}  // namespace qrlogin::cli
