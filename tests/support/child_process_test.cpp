// The child-process base every server and CLI wrapper of the tests stands
// on: exit statuses, signals, timeouts, output, stdin, the environment, no
// leaked file descriptor, and no process left behind.
#include "tests/support/child_process.hpp"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <catch2/catch.hpp>
#include <cstdlib>
#include <stdexcept>

#include "tests/support/scratch_dir.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;

namespace {

ChildOptions sh(std::string script, ChildOptions::Output output = ChildOptions::Output::separate) {
  ChildOptions o;
  o.program = "/bin/sh";
  o.args = {"-c", std::move(script)};
  o.output = output;
  return o;
}

bool alive(pid_t pid) { return ::kill(pid, 0) == 0; }

}  // namespace

TEST_CASE("child process: exit code, and 128 + the signal that ended it") {
  ChildProcess exits(sh("exit 3"));
  CHECK(exits.wait(5s) == 3);
  CHECK(exits.pid() == -1);
  CHECK_FALSE(exits.signal(SIGTERM));

  ChildProcess sleeper(sh("exec sleep 30"));
  CHECK_FALSE(sleeper.wait(50ms));
  CHECK(sleeper.running());
  CHECK(sleeper.stop(SIGTERM, 5s) == 128 + SIGTERM);
}

TEST_CASE("child process: a stopped process still ends on stop(), and wait_or_kill kills at the timeout") {
  ChildProcess frozen(sh("trap 'exit 7' TERM; while :; do sleep 0.05; done"));
  std::this_thread::sleep_for(100ms);  // the trap is set
  REQUIRE(frozen.signal(SIGSTOP));
  CHECK(frozen.stop(SIGTERM, 5s) == 7);

  ChildProcess stubborn(sh("trap '' TERM; exec sleep 30"));
  auto started = std::chrono::steady_clock::now();
  CHECK(stubborn.wait_or_kill(200ms) == 128 + SIGKILL);
  CHECK(std::chrono::steady_clock::now() - started < 5s);
}

TEST_CASE("child process: stdout and stderr apart or merged, lines with a timeout, stdin") {
  ChildProcess apart(sh("echo one; echo two >&2; echo three"));
  REQUIRE(apart.wait(5s) == 0);
  CHECK(apart.out() == "one\nthree\n");
  CHECK(apart.err() == "two\n");
  CHECK(apart.next_line(1s) == "one");
  CHECK(apart.next_line(1s) == "three");
  CHECK_FALSE(apart.next_line(100ms));  // ended: at once, not after the timeout

  ChildProcess merged(sh("echo a; echo b >&2", ChildOptions::Output::merged));
  REQUIRE(merged.wait(5s) == 0);
  CHECK(merged.out().find('a') != std::string::npos);
  CHECK(merged.out().find('b') != std::string::npos);
  CHECK(merged.err().empty());

  auto o = sh("read line; echo \"got $line\"; sleep 30");
  o.stdin_pipe = true;
  ChildProcess echo(o);
  CHECK_FALSE(echo.wait_for_line("got", 100ms));
  echo.write_stdin("hello\n");
  CHECK(echo.wait_for_line("got", 5s) == "got hello");
  CHECK(echo.wait_for_output("hello", 1s));
  CHECK_FALSE(echo.wait_for_output("never printed", 100ms));
}

TEST_CASE("child process: output to a file, the environment, the working directory, no fd of the test") {
  ScratchDir dir;
  ::setenv("QRLOGIN_CHILD_TEST_DROPPED", "x", 1);
  ::setenv("QRLOGIN_CHILD_TEST_KEPT", "old", 1);
  int leaked = ::open("/dev/null", O_RDONLY);  // not close-on-exec
  REQUIRE(leaked >= 0);
  auto o = sh("pwd; echo \"drop=${QRLOGIN_CHILD_TEST_DROPPED-unset} kept=$QRLOGIN_CHILD_TEST_KEPT\"; "
              "ls /proc/self/fd",
              ChildOptions::Output::file);
  o.output_file = dir.file("out");
  o.working_dir = dir.path;
  o.env = {{"QRLOGIN_CHILD_TEST_KEPT", "new"}};
  o.env_drop_prefixes = {"QRLOGIN_CHILD_TEST_DROP"};
  ChildProcess child(o);
  REQUIRE(child.wait(5s) == 0);
  ::close(leaked);
  auto out = dir.read("out");
  INFO(out);
  CHECK(out.starts_with(dir.path + "\n"));
  CHECK(out.find("drop=unset kept=new\n") != std::string::npos);
  // 0, 1, 2 and the one ls opens to list them (3).
  CHECK(out.substr(out.find("kept=new\n") + 9) == "0\n1\n2\n3\n");
}

TEST_CASE("child process: a program that cannot start is an error, and nothing outlives the object") {
  ChildOptions missing;
  missing.program = "/nonexistent/program";
  CHECK_THROWS_AS(ChildProcess(missing), std::runtime_error);

  pid_t pid = -1;
  {
    ChildProcess child(sh("exec sleep 30"));
    pid = child.pid();
    REQUIRE(alive(pid));
  }
  CHECK_FALSE(alive(pid));  // killed and reaped: not even a zombie
}
