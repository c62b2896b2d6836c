// qrlogin receive --code / send --code against a real relay: the typed
// code pairs, a wrong code is said on both sides and the receiver stops
// after three, a typo never leaves the sender, a second sender is told
// someone else entered the code first, and a spent nameplate is refused.
#include <catch2/catch.hpp>

#include <string>

#include "tests/e2e/code_helpers.hpp"
#include "tests/support/cli_runs.hpp"
#include "tests/support/relay_process.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace qrlogin;
using namespace qrlogin::testing;

namespace {

using Dir = qrlogin::testing::ScratchDir;

std::unique_ptr<CliProcess> start_code_receive(std::uint16_t port, const Dir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"receive", "--code", "--relay", ws_url(port), "--out", dir.file("out"), "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<CliProcess>(args, std::string{}, CliProcess::Input::terminal);
}

// Its stdin is a pipe: the typed code, then the answer.
std::unique_ptr<CliProcess> start_code_send(std::uint16_t port, const Dir& dir, std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"send", "--code", "--relay", ws_url(port), "--credential-file", dir.file("cred"),
                                "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<CliProcess>(args);
}

}  // namespace

TEST_CASE("receive --code and send --code pair: the code and its spoken form shown, both confirm, the file written") {
  RelayProcess relay;
  Dir dir;
  use_state_dir(dir);
  dir.write("cred", "the credential");
  auto receive = start_code_receive(relay.port(), dir);
  auto code = shown_code(*receive);
  CHECK(receive->json_field("code", "spoken").size() == 30);  // "4 8 2, 1 0 7 3, 3 1 5, 9 0 6 5"
  require_output(*receive, "Spoken: " + receive->json_field("code", "spoken"), "the receiver");
  auto send = start_code_send(relay.port(), dir, {"--label", "CI phone"});
  require_output(*send,
                 "Enter a code only from a screen in front of you. Never enter a code someone sent you or read to you.",
                 "the sender");
  send->write_stdin(code + "\n");
  require_output(*send, "\"event\":\"code_accepted\"", "the sender");
  require_output(*send,
                 "Code accepted. Log in the device showing this code as \"CI phone\"? Only if that device is in "
                 "front of you.",
                 "the sender");
  require_output(*receive, "\"event\":\"code_verified\"", "the receiver");
  send->write_stdin("y\n");
  require_output(*receive, "\"event\":\"waiting_confirmation\"", "the receiver");
  require_output(*receive,
                 "Did you just enter this code on your own device, and does it say 'Code accepted'? Accept the login "
                 "from \"CI phone\"?",
                 "the receiver");
  receive->write_stdin("y\n");
  CHECK(exit_of(*send) == 0);
  CHECK(exit_of(*receive) == 0);
  check_written(dir, "the credential");
}

TEST_CASE("a wrong code: both say so, the receiver shows a fresh code, and after three it stops with too_many_attempts") {
  RelayProcess relay;
  Dir dir;
  use_state_dir(dir);
  dir.write("cred", "token");
  auto receive = start_code_receive(relay.port(), dir);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    INFO("attempt " << attempt);
    auto code = next_code(*receive, attempt);
    auto wrong = wrong_code_for(code);
    auto send = start_code_send(relay.port(), dir);
    send->write_stdin(wrong + "\n");
    CHECK(exit_of(*send) == 3);
    CHECK(send->json_field("error", "code") == "wrong_code");
    auto message = send->json_field("error", "message");
    CHECK(message.find("The code was not accepted") != std::string::npos);
    CHECK(message.find("This code can't be used again. Choose New code on the new device.") != std::string::npos);
    CHECK(send->err().find("Sending the credential") == std::string::npos);
    if (attempt == 1) {
      // The same code typed again: its one guess is spent, nothing reaches the relay.
      auto joins = sender_joins(relay);
      auto again = start_code_send(relay.port(), dir);
      again->write_stdin(wrong + "\n");
      CHECK(exit_of(*again) == 4);
      CHECK(again->json_field("error", "code") == "code_spent");
      CHECK(again->json_field("error", "message") ==
            "This code can't be used again. Choose New code on the new device.");
      CHECK(sender_joins(relay) == joins);
    }
  }
  CHECK(exit_of(*receive) == 9);
  CHECK(receive->json_field("error", "code") == "too_many_attempts");
  CHECK(receive->count_events("attempt_failed") == 2);
  CHECK(receive->count_events("code") == 3);
  require_output(*receive, "A wrong code was entered on another device (a typo, or someone guessing)", "the receiver");
  CHECK_FALSE(dir.exists("out"));
}

TEST_CASE("a typed code with a typo, the wrong length or a letter is refused locally: nothing reaches the relay") {
  RelayProcess relay;
  Dir dir;
  use_state_dir(dir);
  dir.write("cred", "token");
  auto receive = start_code_receive(relay.port(), dir);
  auto digits = digits_of(shown_code(*receive));
  auto typo = digits;
  typo[3] = typo[3] == '9' ? '0' : static_cast<char>(typo[3] + 1);
  for (auto [typed, error] : {std::pair<std::string, std::string>{typo, "code_check"},
                              {digits.substr(0, 13), "code_length"},
                              {digits.substr(0, 13) + "x", "code_chars"}}) {
    INFO(typed);
    auto send = start_code_send(relay.port(), dir);
    send->write_stdin(typed + "\n");
    CHECK(exit_of(*send) == 2);
    CHECK(send->json_field("error", "code") == error);
    CHECK(send->json_field("error", "message").find("nothing was sent") != std::string::npos);
  }
  CHECK(sender_joins(relay) == 0);
  CHECK(receive->count_events("attempt_failed") == 0);
  receive->kill();
}

TEST_CASE("code mode has no auto-accept, and send --code never takes the code from the command line") {
  Dir dir;
  dir.write("cred", "token");
  auto yes = std::make_unique<CliProcess>(std::vector<std::string>{
      "receive", "--code", "--yes", "--relay", "ws://127.0.0.1:1", "--out", dir.file("out"), "--json"});
  CHECK(exit_of(*yes) == 2);
  CHECK(yes->err().find("--code cannot be combined with --yes") != std::string::npos);
  auto argv = std::make_unique<CliProcess>(std::vector<std::string>{
      "send", "--code", "48210733159065", "--credential-file", dir.file("cred"), "--json"});
  CHECK(exit_of(*argv) == 2);
  CHECK(argv->err().find("never from the command line") != std::string::npos);
}

TEST_CASE("a second sender with the same code is told someone else entered it first (code_in_use)") {
  RelayProcess relay;
  Dir dir;
  use_state_dir(dir);
  dir.write("cred", "token");
  auto receive = start_code_receive(relay.port(), dir);
  auto code = shown_code(*receive);
  auto first = start_code_send(relay.port(), dir);
  first->write_stdin(code + "\n");
  require_output(*first, "\"event\":\"code_accepted\"", "the first sender");
  auto second = start_code_send(relay.port(), dir);
  second->write_stdin(code + "\n");
  CHECK(exit_of(*second) == 7);
  CHECK(second->json_field("error", "code") == "code_in_use");
  CHECK(second->json_field("error", "message") ==
        "Someone else entered this code first. Reject the login on the new device.");
  // No intrusion notice on a code channel: the first pairing goes on.
  first->write_stdin("y\n");
  require_output(*receive, "\"event\":\"waiting_confirmation\"", "the receiver");
  receive->write_stdin("y\n");
  CHECK(exit_of(*first) == 0);
  CHECK(exit_of(*receive) == 0);
  check_written(dir, "token");
}
