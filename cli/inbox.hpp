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

enum class AnswerInput {
  // A terminal only: stdin when it is one, else /dev/tty. The receiver's
  // confirmation is a deliberate act of its user (contract rev. 3).
  terminal,
  // A terminal when there is one, else stdin (a sender run by a script).
  terminal_or_stdin,
  // /dev/tty only: the sender's stdin carries the credential.
  terminal_not_stdin,
};

// Reads answers line by line on a thread of its own. Starts reading (and
// drops what was typed before) only when first asked to.
class AnswerReader {
 public:
  // The inbox is shared with the reader thread, which may outlive this object.
  AnswerReader(std::shared_ptr<Inbox> inbox, AnswerInput input) : inbox_(std::move(inbox)), input_(input) {}
  // Whether a user could answer at a terminal: stdin is one, or /dev/tty opens.
  static bool terminal_available();
  ~AnswerReader();
  AnswerReader(const AnswerReader&) = delete;
  AnswerReader& operator=(const AnswerReader&) = delete;

  void start();

 private:
  std::shared_ptr<Inbox> inbox_;
  AnswerInput input_;
  bool started_ = false;
  int fd_ = -1;
  bool own_fd_ = false;
};

}  // namespace qrlogin::cli
