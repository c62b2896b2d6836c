#pragma once
// The CLI's one event loop waits here for whatever comes first: the relay
// client has an event, the user typed a line (or closed the input), or a
// deadline passed. Sources run on their own threads and only push.
#include <chrono>
#include <condition_variable>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

namespace qrlogin::cli {

using Clock = std::chrono::steady_clock;

class Inbox {
 public:
  struct Line {
    bool end_of_input = false;
    std::string text;
  };

  // Called from the relay client's thread when it queued an event.
  void wake();
  void push_line(Line line);

  // Waits until woken, a line arrives, or the deadline. Returns the next
  // line if one is queued; `woken` tells whether the relay may have events.
  struct Wait {
    std::optional<Line> line;
    bool woken = false;
    bool timed_out = false;
  };
  Wait wait(std::optional<Clock::time_point> deadline);

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<Line> lines_;
  bool woken_ = false;
};

// Reads answers line by line on a thread of its own, from the terminal when
// there is one (so a credential on stdin is never mistaken for an answer),
// else from stdin. Starts reading only when first asked to.
class AnswerReader {
 public:
  // The inbox is shared with the reader thread, which may outlive this object.
  AnswerReader(std::shared_ptr<Inbox> inbox, bool stdin_is_busy)
      : inbox_(std::move(inbox)), stdin_is_busy_(stdin_is_busy) {}
  ~AnswerReader();
  AnswerReader(const AnswerReader&) = delete;
  AnswerReader& operator=(const AnswerReader&) = delete;

  void start();

 private:
  std::shared_ptr<Inbox> inbox_;
  bool stdin_is_busy_;
  bool started_ = false;
  int fd_ = -1;
  bool own_fd_ = false;
};

}  // namespace qrlogin::cli
