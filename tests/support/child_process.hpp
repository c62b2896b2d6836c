#pragma once
// A program a test runs as a child process: started with fork+exec (no file
// descriptor of the test leaks into it; it is SIGKILLed when the thread that
// started it ends, so a crashed or timed-out test leaves no server behind),
// its output kept in memory (or appended to a file), signalled, waited for
// with a timeout, and killed and reaped by the destructor.
//
// Exit statuses are the shell's: the exit code, or 128 + the signal that
// ended it.
#include <sys/types.h>

#include <chrono>
#include <condition_variable>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

namespace qrlogin::testing {

struct ChildOptions {
  enum class Output {
    separate,  // stdout and stderr each to a pipe we read: out() and err()
    merged,    // both to one pipe we read: out()
    file,      // both appended to output_file
    discard,   // /dev/null
  };

  std::string program;            // a path, or a name looked up in $PATH; also argv[0]
  std::vector<std::string> args;  // argv[1...]
  // The test's environment, less every variable whose name starts with one
  // of `env_drop_prefixes`, plus `env`.
  std::vector<std::pair<std::string, std::string>> env;
  std::vector<std::string> env_drop_prefixes;
  std::string working_dir;  // empty: the test's
  bool stdin_pipe = false;  // write_stdin(); otherwise stdin is /dev/null
  // Instead of a pipe, stdin is a terminal (a pseudo-terminal, without
  // echo) that becomes the program's controlling terminal: what a user types
  // at it (write_stdin). Needs new_session. close_stdin() hangs it up.
  bool stdin_terminal = false;
  Output output = Output::separate;
  std::string output_file;
  // In a session of its own: no controlling terminal, so a program that
  // would prompt on /dev/tty reads the pipe instead.
  bool new_session = false;
};

// What ctest reports as skipped (SKIP_RETURN_CODE).
inline constexpr int kSkipExitCode = 77;

// The first of `candidates` that is an executable file; otherwise prints
// "SKIPPED: <why>" and exits the test with kSkipExitCode.
std::string require_program(const std::vector<std::string>& candidates, std::string_view why);

class ChildProcess {
 public:
  // Throws std::runtime_error when the program cannot be started.
  explicit ChildProcess(ChildOptions options);
  // SIGKILL if still running, then reaped.
  ~ChildProcess();
  ChildProcess(const ChildProcess&) = delete;
  ChildProcess& operator=(const ChildProcess&) = delete;

  // -1 once it has been reaped (a pid that may already be another
  // process's is never handed out).
  [[nodiscard]] pid_t pid() const;
  [[nodiscard]] bool running();
  // Sends `sig` (SIGTERM, SIGKILL, SIGSTOP, SIGCONT, SIGHUP, ...); false
  // when it has already been reaped.
  bool signal(int sig);

  // The exit status once it has exited; nullopt if it is still running
  // after `timeout` (it is left running).
  std::optional<int> wait(std::chrono::milliseconds timeout);
  // Waits `timeout`, then SIGKILLs and reaps it: always the exit status.
  int wait_or_kill(std::chrono::milliseconds timeout);
  // `sig` (SIGCONT too, so a stopped process can act on it), then
  // wait_or_kill(timeout).
  int stop(int sig, std::chrono::milliseconds timeout);
  // SIGKILL and reap.
  int kill();
  [[nodiscard]] std::optional<int> exit_status() const;

  // What it printed so far (with Output::merged, out() holds both streams).
  [[nodiscard]] std::string out() const;
  [[nodiscard]] std::string err() const;
  // Waits until stdout or stderr holds `needle`; false at the timeout or
  // once both streams ended without it.
  bool wait_for_output(std::string_view needle, std::chrono::milliseconds timeout);
  // The first complete stdout line holding `needle` (without its newline).
  std::optional<std::string> wait_for_line(std::string_view needle, std::chrono::milliseconds timeout);
  // The next complete stdout line not yet returned by next_line().
  std::optional<std::string> next_line(std::chrono::milliseconds timeout);

  void write_stdin(std::string_view text);
  void close_stdin();

  // Stops reading its output (its writes block once a pipe is full) until
  // resume_output(); stop() and kill() resume it, and so does its exit.
  void pause_output();
  void resume_output();

 private:
  void read_output(int out_fd, int err_fd);
  void reaped(int raw_status);
  void join_reader();
  [[nodiscard]] bool output_ended() const;

  std::mutex reap_mutex_;     // held from a look at pid_ to the waitpid or kill that uses it
  mutable std::mutex mutex_;  // everything below
  std::condition_variable cv_;
  pid_t pid_ = -1;
  std::optional<int> status_;
  int stdin_fd_ = -1;
  std::string out_, err_;
  std::size_t line_cursor_ = 0;
  int open_streams_ = 0;
  bool paused_ = false;
  bool abandon_output_ = false;
  std::thread reader_;
};

// A tool run to its end (openssl, zbarimg, rsvg-convert...), no shell in
// between: its exit status and its stdout and stderr as one text.
struct ProgramRun {
  int exit_status = -1;  // or 128 + signal (SIGKILL when it overran `timeout`)
  std::string output;
};
ProgramRun run_program(const std::string& program, const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout = std::chrono::seconds{60});

}  // namespace qrlogin::testing
