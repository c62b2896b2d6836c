#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <termios.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>

extern char** environ;

namespace qrlogin::testing {

namespace {

constexpr auto kPollStep = std::chrono::milliseconds{5};
// After the child is reaped, how long its output may take to drain: longer
// only when something it started still holds the pipe.
constexpr auto kDrainTimeout = std::chrono::seconds{2};

int status_of(int raw) { return WIFEXITED(raw) ? WEXITSTATUS(raw) : 128 + WTERMSIG(raw); }

void close_fd(int& fd) {
  if (fd >= 0) ::close(fd);
  fd = -1;
}

struct Pipe {
  int read = -1;
  int write = -1;
  Pipe() {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0) throw std::runtime_error(std::string("pipe: ") + std::strerror(errno));
    read = fds[0];
    write = fds[1];
  }
  ~Pipe() {
    close_fd(read);
    close_fd(write);
  }
  // A pseudo-terminal as a pipe: `read` is the terminal the child gets,
  // `write` our end (what we write there is what the user typed).
  struct Terminal {};
  explicit Pipe(Terminal /*unused*/) {
    write = ::posix_openpt(O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (write < 0 || ::grantpt(write) != 0 || ::unlockpt(write) != 0)
      throw std::runtime_error(std::string("pseudo-terminal: ") + std::strerror(errno));
    read = ::open(::ptsname(write), O_RDWR | O_NOCTTY | O_CLOEXEC);
    if (read < 0) throw std::runtime_error(std::string("pseudo-terminal: ") + std::strerror(errno));
    // Typed answers are not echoed back: nobody reads them on our side.
    termios t{};
    if (::tcgetattr(read, &t) == 0) {
      t.c_lflag &= ~static_cast<tcflag_t>(ECHO | ECHONL);
      (void)::tcsetattr(read, TCSANOW, &t);
    }
  }
  Pipe(const Pipe&) = delete;
  Pipe& operator=(const Pipe&) = delete;
};

// Owns an fd opened in the parent for the child to inherit.
struct Fd {
  int fd = -1;
  explicit Fd(int f) : fd(f) {}
  ~Fd() { close_fd(fd); }
  Fd(const Fd&) = delete;
  Fd& operator=(const Fd&) = delete;
};

std::vector<std::string> environment_for(const ChildOptions& options) {
  std::vector<std::string> out;
  for (char** e = environ; *e != nullptr; ++e) {
    std::string_view entry(*e);
    auto dropped = std::any_of(options.env_drop_prefixes.begin(), options.env_drop_prefixes.end(),
                               [&](const std::string& prefix) { return entry.starts_with(prefix); });
    auto replaced = std::any_of(options.env.begin(), options.env.end(), [&](const auto& kv) {
      return entry.size() > kv.first.size() && entry.starts_with(kv.first) && entry[kv.first.size()] == '=';
    });
    if (!dropped && !replaced) out.emplace_back(entry);
  }
  for (const auto& [k, v] : options.env) out.push_back(k + "=" + v);
  return out;
}

// execve takes a path: a bare name is looked up in $PATH as a shell would.
std::string resolve(const std::string& program) {
  if (program.find('/') != std::string::npos) return program;
  const char* path = std::getenv("PATH");
  std::string_view dirs = path != nullptr ? path : "/usr/bin:/bin";
  while (!dirs.empty()) {
    auto colon = dirs.find(':');
    auto dir = dirs.substr(0, colon);
    auto candidate = std::string(dir.empty() ? "." : dir) + "/" + program;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    if (colon == std::string_view::npos) break;
    dirs.remove_prefix(colon + 1);
  }
  return program;  // execve fails, and the error names it
}

std::vector<char*> pointers_to(std::vector<std::string>& strings) {
  std::vector<char*> out;
  for (auto& s : strings) out.push_back(s.data());
  out.push_back(nullptr);
  return out;
}

// Tells the parent why the child could not start, and ends the child.
[[noreturn]] void fail_exec(int report_fd) {
  int e = errno;
  (void)!::write(report_fd, &e, sizeof e);
  ::_exit(127);
}

// Between fork and exec only async-signal-safe calls: the test process has
// other threads, whose locks the child inherits held.
[[noreturn]] void exec_child(const ChildOptions& options, char* const* argv, char* const* envp, pid_t parent,
                             int in_fd, int out_fd, int err_fd, int report_fd) {
  // SIGKILL when the thread that started it ends: tests start their
  // programs from the thread that runs the test case.
  if (::prctl(PR_SET_PDEATHSIG, SIGKILL) != 0) fail_exec(report_fd);
  if (::getppid() != parent) ::_exit(127);  // the test died before prctl
  if (options.new_session && ::setsid() < 0) fail_exec(report_fd);
  // A terminal on stdin becomes the session's controlling terminal.
  if (options.stdin_terminal && ::ioctl(in_fd, TIOCSCTTY, 0) != 0) fail_exec(report_fd);
  // The test may ignore SIGPIPE or block signals; the program starts as
  // from a shell.
  struct sigaction dfl {};
  dfl.sa_handler = SIG_DFL;
  (void)::sigaction(SIGPIPE, &dfl, nullptr);
  sigset_t none;
  ::sigemptyset(&none);
  (void)::sigprocmask(SIG_SETMASK, &none, nullptr);
  if (::dup2(in_fd, 0) < 0 || ::dup2(out_fd, 1) < 0 || ::dup2(err_fd, 2) < 0) fail_exec(report_fd);
  if (report_fd != 3) {
    if (::dup2(report_fd, 3) < 0) fail_exec(report_fd);
    report_fd = 3;
    if (::fcntl(report_fd, F_SETFD, FD_CLOEXEC) != 0) fail_exec(report_fd);
  }
  ::close_range(4, ~0U, 0);  // nothing of the test's leaks in
  if (!options.working_dir.empty() && ::chdir(options.working_dir.c_str()) != 0) fail_exec(report_fd);
  ::execve(options.program.c_str(), argv, envp);
  fail_exec(report_fd);
}

}  // namespace

std::string require_program(const std::vector<std::string>& candidates, std::string_view why) {
  for (const auto& candidate : candidates)
    if (::access(candidate.c_str(), X_OK) == 0) return candidate;
  std::fprintf(stderr, "SKIPPED: %.*s\n", static_cast<int>(why.size()), why.data());
  std::exit(kSkipExitCode);
}

ChildProcess::ChildProcess(ChildOptions options) {
  using Output = ChildOptions::Output;
  options.program = resolve(options.program);
  std::vector<std::string> argv_strings{options.program};
  argv_strings.insert(argv_strings.end(), options.args.begin(), options.args.end());
  auto argv = pointers_to(argv_strings);
  auto env_strings = environment_for(options);
  auto envp = pointers_to(env_strings);

  Fd dev_null(::open("/dev/null", O_RDWR | O_CLOEXEC));
  if (dev_null.fd < 0) throw std::runtime_error("cannot open /dev/null");
  std::optional<Pipe> in, out, err;
  std::optional<Fd> file;
  if (options.stdin_terminal) {
    if (!options.new_session) throw std::runtime_error("a terminal on stdin needs a session of its own");
    in.emplace(Pipe::Terminal{});
  } else if (options.stdin_pipe) {
    in.emplace();
  }
  int child_out = dev_null.fd;
  int child_err = dev_null.fd;
  switch (options.output) {
    case Output::separate:
      out.emplace();
      err.emplace();
      child_out = out->write;
      child_err = err->write;
      break;
    case Output::merged:
      out.emplace();
      child_out = child_err = out->write;
      break;
    case Output::file:
      file.emplace(::open(options.output_file.c_str(), O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0600));
      if (file->fd < 0) throw std::runtime_error("cannot open " + options.output_file);
      child_out = child_err = file->fd;
      break;
    case Output::discard:
      break;
  }
  Pipe report;
  auto parent = ::getpid();
  pid_t pid = ::fork();
  if (pid < 0) throw std::runtime_error(std::string("fork: ") + std::strerror(errno));
  if (pid == 0)
    exec_child(options, argv.data(), envp.data(), parent, in ? in->read : dev_null.fd, child_out, child_err,
               report.write);

  close_fd(report.write);
  int exec_errno = 0;
  ssize_t n = 0;
  do n = ::read(report.read, &exec_errno, sizeof exec_errno);
  while (n < 0 && errno == EINTR);
  if (n > 0) {
    int ignored = 0;
    ::waitpid(pid, &ignored, 0);
    throw std::runtime_error("cannot start " + options.program + ": " + std::strerror(exec_errno));
  }
  pid_ = pid;
  if (in) {
    close_fd(in->read);
    stdin_fd_ = std::exchange(in->write, -1);
  }
  int out_fd = -1;
  int err_fd = -1;
  if (out) {
    close_fd(out->write);
    out_fd = std::exchange(out->read, -1);
    ++open_streams_;
  }
  if (err) {
    close_fd(err->write);
    err_fd = std::exchange(err->read, -1);
    ++open_streams_;
  }
  if (open_streams_ > 0) reader_ = std::thread([this, out_fd, err_fd] { read_output(out_fd, err_fd); });
}

ChildProcess::~ChildProcess() {
  kill();
  close_stdin();
  join_reader();
}

pid_t ChildProcess::pid() const {
  std::lock_guard lock(mutex_);
  return pid_;
}

bool ChildProcess::running() { return !wait(std::chrono::milliseconds{0}); }

bool ChildProcess::signal(int sig) {
  std::lock_guard reap(reap_mutex_);  // the pid stays ours while we use it
  auto pid = this->pid();
  return pid > 0 && ::kill(pid, sig) == 0;
}

std::optional<int> ChildProcess::wait(std::chrono::milliseconds timeout) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    {
      std::lock_guard reap(reap_mutex_);
      if (auto s = exit_status()) return s;
      auto pid = this->pid();
      int raw = 0;
      if (::waitpid(pid, &raw, WNOHANG) == pid) {
        reaped(raw);
        return exit_status();
      }
    }
    if (std::chrono::steady_clock::now() >= deadline) return std::nullopt;
    std::this_thread::sleep_for(kPollStep);
  }
}

int ChildProcess::wait_or_kill(std::chrono::milliseconds timeout) {
  auto s = wait(timeout);
  return s ? *s : kill();
}

int ChildProcess::stop(int sig, std::chrono::milliseconds timeout) {
  resume_output();
  signal(sig);
  signal(SIGCONT);
  return wait_or_kill(timeout);
}

int ChildProcess::kill() {
  resume_output();
  std::lock_guard reap(reap_mutex_);
  if (auto s = exit_status()) return *s;
  auto pid = this->pid();
  ::kill(pid, SIGKILL);
  int raw = 0;
  while (::waitpid(pid, &raw, 0) < 0 && errno == EINTR) {
  }
  reaped(raw);
  return *exit_status();
}

std::optional<int> ChildProcess::exit_status() const {
  std::lock_guard lock(mutex_);
  return status_;
}

void ChildProcess::reaped(int raw_status) {
  {
    std::unique_lock lock(mutex_);
    status_ = status_of(raw_status);
    pid_ = -1;
    paused_ = false;
    cv_.notify_all();
    if (!cv_.wait_for(lock, kDrainTimeout, [&] { return open_streams_ == 0; })) abandon_output_ = true;
  }
  join_reader();
}

void ChildProcess::join_reader() {
  if (reader_.joinable() && reader_.get_id() != std::this_thread::get_id()) reader_.join();
}

bool ChildProcess::output_ended() const { return open_streams_ == 0; }

void ChildProcess::read_output(int out_fd, int err_fd) {
  std::vector<pollfd> fds;
  if (out_fd >= 0) fds.push_back({out_fd, POLLIN, 0});
  if (err_fd >= 0) fds.push_back({err_fd, POLLIN, 0});
  char buf[4096];
  while (!fds.empty()) {
    {
      std::unique_lock lock(mutex_);
      cv_.wait(lock, [&] { return !paused_ || abandon_output_; });
      if (abandon_output_) break;
    }
    if (::poll(fds.data(), fds.size(), 50) <= 0) continue;  // look at paused_ again
    for (auto it = fds.begin(); it != fds.end();) {
      if (it->revents == 0) {
        ++it;
        continue;
      }
      auto n = ::read(it->fd, buf, sizeof buf);
      if (n < 0 && errno == EINTR) continue;
      std::lock_guard lock(mutex_);
      if (n > 0) {
        (it->fd == out_fd ? out_ : err_).append(buf, static_cast<std::size_t>(n));
        ++it;
      } else {
        ::close(it->fd);
        --open_streams_;
        it = fds.erase(it);
      }
      cv_.notify_all();
    }
  }
  std::lock_guard lock(mutex_);
  for (auto& p : fds) {
    ::close(p.fd);
    --open_streams_;
  }
  cv_.notify_all();
}

std::string ChildProcess::out() const {
  std::lock_guard lock(mutex_);
  return out_;
}

std::string ChildProcess::err() const {
  std::lock_guard lock(mutex_);
  return err_;
}

bool ChildProcess::wait_for_output(std::string_view needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  auto found = [&] { return out_.find(needle) != std::string::npos || err_.find(needle) != std::string::npos; };
  cv_.wait_for(lock, timeout, [&] { return found() || output_ended(); });
  return found();
}

std::optional<std::string> ChildProcess::wait_for_line(std::string_view needle, std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  std::optional<std::string> line;
  auto find = [&] {
    for (std::size_t start = 0;;) {
      auto end = out_.find('\n', start);
      if (end == std::string::npos) return false;
      std::string_view candidate(out_.data() + start, end - start);
      if (candidate.find(needle) != std::string_view::npos) {
        line.emplace(candidate);
        return true;
      }
      start = end + 1;
    }
  };
  cv_.wait_for(lock, timeout, [&] { return find() || output_ended(); });
  return line;
}

std::optional<std::string> ChildProcess::next_line(std::chrono::milliseconds timeout) {
  std::unique_lock lock(mutex_);
  auto complete = [&] { return out_.find('\n', line_cursor_) != std::string::npos; };
  if (!cv_.wait_for(lock, timeout, [&] { return complete() || output_ended(); }) || !complete())
    return std::nullopt;
  auto end = out_.find('\n', line_cursor_);
  auto line = out_.substr(line_cursor_, end - line_cursor_);
  line_cursor_ = end + 1;
  return line;
}

void ChildProcess::write_stdin(std::string_view text) {
  // A program that already exited has closed its end: the write fails
  // (EPIPE), which the test then sees in the exit status and output.
  // SIGPIPE's default would end the whole test process and orphan every
  // server it started.
  static const bool ignoring_sigpipe = [] { return ::signal(SIGPIPE, SIG_IGN) != SIG_ERR; }();
  (void)ignoring_sigpipe;
  std::lock_guard lock(mutex_);
  while (stdin_fd_ >= 0 && !text.empty()) {
    auto n = ::write(stdin_fd_, text.data(), text.size());
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    text.remove_prefix(static_cast<std::size_t>(n));
  }
}

void ChildProcess::close_stdin() {
  std::lock_guard lock(mutex_);
  close_fd(stdin_fd_);
}

void ChildProcess::pause_output() {
  std::lock_guard lock(mutex_);
  paused_ = true;
}

void ChildProcess::resume_output() {
  {
    std::lock_guard lock(mutex_);
    paused_ = false;
  }
  cv_.notify_all();
}

ProgramRun run_program(const std::string& program, const std::vector<std::string>& args,
                       std::chrono::milliseconds timeout) {
  ChildOptions options;
  options.program = program;
  options.args = args;
  options.output = ChildOptions::Output::merged;
  ChildProcess child(std::move(options));
  ProgramRun run;
  run.exit_status = child.wait_or_kill(timeout);
  run.output = child.out();
  return run;
}

}  // namespace qrlogin::testing
