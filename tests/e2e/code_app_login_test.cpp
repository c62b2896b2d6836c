// qrlogin receive --code --app / send --code --app against the real relay
// and the real qrlogin-app: a phone's account approves a server by the
// code it shows, and the server gets its own token; a wrong code mints no
// grant and three stop the server; a code the application never saw
// spends nothing; an unused code is replaced before the application
// forgets it.
#include <catch2/catch.hpp>

#include "tests/e2e/app_helpers.hpp"
#include "tests/e2e/code_helpers.hpp"
#include "tests/support/relay_process.hpp"

using namespace qrlogin;
using namespace qrlogin::testing;

namespace {

std::unique_ptr<CliProcess> receive_code_app(const AppProcess& app, const ScratchDir& dir,
                                             std::vector<std::string> extra = {}) {
  std::vector<std::string> args{"receive", "--code", "--app", app.origin(), "--out", dir.file("token"), "--json"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<CliProcess>(args, std::string{}, CliProcess::Input::terminal);
}

// Its stdin is a pipe: the typed code, then the answer.
std::unique_ptr<CliProcess> send_code_app(const AppProcess& app, const Phone& phone) {
  return std::make_unique<CliProcess>(std::vector<std::string>{"send", "--code", "--app", app.origin(),
                                                               "--token-file", phone.file, "--json"});
}

// How many grants the account's devices list shows were used: the devices
// added by a pairing.
int paired_devices(const AppProcess& app, const Phone& phone) {
  int count = 0;
  auto listed = json_of(app.call("GET", "/api/devices", phone.token));
  for (const auto& d : listed["devices"])
    if (d["added_by"] == "qr") ++count;
  return count;
}

}  // namespace

TEST_CASE("code app login: the phone types the server's code, confirms, and the server gets its own token") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  use_state_dir(dir);
  Phone phone(app, dir);

  auto receive = receive_code_app(app, dir, {"--device-name", "build-server"});
  require_output(*receive, "\"event\":\"registered\"", "the receiver");
  auto code = shown_code(*receive);
  auto send = send_code_app(app, phone);
  send->write_stdin(code + "\n");
  // Before the code's one guess is spent: who is asking, as the application saw it.
  require_output(*send, "\"event\":\"pairing_request\"", "the sender");
  CHECK(send->json_field("pairing_request", "device_name") == "qrlogin CLI on build-server");
  require_output(*send, "\"event\":\"code_accepted\"", "the sender");
  require_output(*send, "Code accepted. Log in the device showing this code as \"alice\" at " + app.origin() + "?",
                 "the sender");
  CHECK(paired_devices(app, phone) == 0);  // no grant before the person's yes
  send->write_stdin("y\n");
  require_output(*send, "\"event\":\"minting\"", "the sender");
  require_output(*receive, "\"event\":\"waiting_confirmation\"", "the receiver");
  receive->write_stdin("y\n");
  REQUIRE(exit_of(*send) == 0);
  REQUIRE(exit_of(*receive) == 0);
  CHECK(receive->json_field("logged_in", "account") == "alice");
  CHECK(receive->json_field("logged_in", "device") == "build-server");
  CHECK(send->err().find("is logged in to " + app.origin()) != std::string::npos);

  auto token = without_newline(dir.read("token"));
  REQUIRE(token.size() == 43);
  auto session = app.call("GET", "/api/session", token);
  REQUIRE(session.status == 200);
  CHECK(json_of(session)["device"]["name"] == "build-server");
  CHECK(paired_devices(app, phone) == 1);
  for (const auto* p : {receive.get(), send.get()})
    for (const auto& printed_text : {p->out(), p->err()}) {
      CHECK(printed_text.find(token) == std::string::npos);
      CHECK(printed_text.find(phone.token) == std::string::npos);
      CHECK(printed_text.find("\"grant\"") == std::string::npos);
    }
}

TEST_CASE("code app login: a wrong code mints no grant, each fresh code is registered, and three stop the server") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  use_state_dir(dir);
  Phone phone(app, dir);

  auto receive = receive_code_app(app, dir);
  for (int attempt = 1; attempt <= 3; ++attempt) {
    INFO("attempt " << attempt);
    auto wrong = wrong_code_for(next_code(*receive, attempt));
    CHECK(receive->count_events("registered") == attempt);
    auto send = send_code_app(app, phone);
    send->write_stdin(wrong + "\n");
    CHECK(exit_of(*send) == 3);
    CHECK(send->json_field("error", "code") == "wrong_code");
    CHECK(send->count_events("minting") == 0);
  }
  CHECK(exit_of(*receive) == 9);
  CHECK(receive->json_field("error", "code") == "too_many_attempts");
  CHECK_FALSE(dir.exists("token"));
  CHECK(paired_devices(app, phone) == 0);
}

TEST_CASE("code app login: a code the application never registered is refused before any guess is spent") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  use_state_dir(dir);
  Phone phone(app, dir);

  auto send = send_code_app(app, phone);
  send->write_stdin("48210733159065\n");  // a well-formed code nobody shows
  CHECK(exit_of(*send) == 4);
  CHECK(send->json_field("error", "code") == "unknown_code");
  CHECK(send->json_field("error", "message").find("No device shows this code at " + app.origin()) !=
        std::string::npos);
  CHECK(sender_joins(relay) == 0);
  // Nothing was spent: the same code may still be typed once it is shown.
  CHECK_FALSE(dir.exists("state/qrlogin/spent-codes"));
}

TEST_CASE("code app login: an unused code is replaced before the application forgets it, and the fresh one logs in") {
  RelayProcess relay;
  // Registrations last 13 s: the CLI replaces an unused code 10 s before.
  AppProcess app(app_flags(relay.port(), {"--pairing-lifetime", "13"}));
  ScratchDir dir;
  use_state_dir(dir);
  Phone phone(app, dir);

  auto receive = receive_code_app(app, dir);
  auto first = next_code(*receive, 1);
  // It says how long the code lasts: until it is replaced, not the relay's 5 minutes.
  CHECK(std::stoll(receive->json_field("code", "expires_in_ms")) <= 3000);
  auto fresh = next_code(*receive, 2);
  CHECK(fresh != first);
  CHECK(receive->count_events("registered") == 2);
  CHECK(receive->count_events("attempt_failed") == 0);  // a replaced code is no failed attempt
  auto send = send_code_app(app, phone);
  send->write_stdin(fresh + "\n");
  require_output(*send, "\"event\":\"code_accepted\"", "the sender");
  send->write_stdin("y\n");
  require_output(*receive, "\"event\":\"waiting_confirmation\"", "the receiver");
  receive->write_stdin("y\n");
  CHECK(exit_of(*send) == 0);
  CHECK(exit_of(*receive) == 0);
  CHECK(receive->json_field("logged_in", "account") == "alice");
}
