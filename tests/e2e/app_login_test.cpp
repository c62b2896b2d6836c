// qrlogin receive --app / send --app against the real relay and the real
// qrlogin-app, as a user runs them: a phone's account approves a server,
// which gets its own token, listed on the phone and revocable there; and
// what each refusal looks like.
#include <signal.h>
#include <sys/stat.h>

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

#include "cli/relay_client/client.hpp"
#include "crypto/pairing/credential.hpp"
#include "tests/e2e/app_helpers.hpp"
#include "tests/support/cli_runs.hpp"
#include "tests/support/http_client.hpp"
#include "tests/support/pairing_helpers.hpp"
#include "tests/support/relay_process.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace qrlogin;
using namespace qrlogin::test;
using namespace qrlogin::testing;
using namespace std::chrono_literals;
using Json = nlohmann::json;

namespace {

// A sender driven by hand over the relay client: it hands over whatever
// credential J the test gives, and returns the receiver's RESULT.
ShowResult send_by_hand(const RelayProcess& relay, const std::string& link_text, Secret j) {
  auto link = parse_link(link_text).value();
  auto sender = Sender::create(link, std::move(j)).value();
  relay_client::Options o;
  o.port = relay.port();
  o.cid = link.cid.text;
  o.role = "sender";
  auto c = relay_client::Client::connect(o);
  REQUIRE(c);
  auto client = std::move(c.client);
  REQUIRE(client->next_control("joined"));
  auto next_frame = [&] {
    for (;;) {
      auto e = client->next(20s);
      REQUIRE(e);
      REQUIRE(e->kind != relay_client::Event::Kind::closed);
      if (e->kind == relay_client::Event::Kind::binary) return e->bytes;
    }
  };
  REQUIRE(client->send(only_frame(sender.start())));
  REQUIRE(client->send(only_frame(sender.on_frame(next_frame()))));  // READY in, REVEAL out
  REQUIRE(client->send(only_frame(sender.on_user_confirmed())));
  auto result = sender.on_frame(next_frame());
  REQUIRE(find_action<ShowResult>(result));
  return *find_action<ShowResult>(result);
}

int file_mode(const std::string& path) {
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  return static_cast<int>(st.st_mode & 0777);
}

}  // namespace

TEST_CASE("app login: a phone account approves a server that gets its own token listed and revocable") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  Phone phone(app, dir);

  auto receive = receive_app(app, dir, {"--device-name", "build-server"});
  auto link = wait_link(*receive);
  CHECK(link.rfind(app.origin() + "/pair", 0) == 0);  // the application's page, the relay from its config
  auto send = send_app(app, link, phone.file);
  require_output(*send, "\"event\":\"pairing_request\"", "the sender");
  // Before any code: who is asking, as the application saw it.
  CHECK(send->json_field("pairing_request", "device_name") == "qrlogin CLI on build-server");
  CHECK(send->json_field("pairing_request", "address") == "127.0.0.1");
  require_output(*send, "A device asks to log in to " + app.origin(), "the sender");  // stderr, read apart

  require_output(*receive, "\"event\":\"sas\"", "the receiver");
  require_output(*send, "\"event\":\"sas\"", "the sender");
  auto code = receive->json_field("sas", "sas");
  CHECK(code == send->json_field("sas", "sas"));
  send->write_stdin("y\n");
  receive->write_stdin("y\n");
  REQUIRE(exit_of(*send) == 0);
  REQUIRE(exit_of(*receive) == 0);
  CHECK(receive->json_field("logged_in", "account") == "alice");
  CHECK(receive->json_field("logged_in", "device") == "build-server");
  CHECK(send->err().find("is logged in to " + app.origin()) != std::string::npos);

  // The token file: 0600, and the token works.
  CHECK(file_mode(dir.file("token")) == 0600);
  auto token = without_newline(dir.read("token"));
  REQUIRE(token.size() == 43);
  auto session = app.call("GET", "/api/session", token);
  REQUIRE(session.status == 200);
  CHECK(json_of(session)["account"]["name"] == "alice");
  CHECK(json_of(session)["device"]["name"] == "build-server");
  // Neither token, nor anything secret, is printed by either CLI.
  for (const auto* p : {receive.get(), send.get()})
    for (const auto& printed_text : {p->out(), p->err()}) {
      CHECK(printed_text.find(token) == std::string::npos);
      CHECK(printed_text.find(phone.token) == std::string::npos);
      CHECK(printed_text.find("\"grant\"") == std::string::npos);
    }

  // The phone lists the server: added by QR, approved by the phone.
  auto devices = json_of(app.call("GET", "/api/devices", phone.token))["devices"];
  Json server;
  for (const auto& d : devices)
    if (d["name"] == "build-server") server = d;
  REQUIRE(server.is_object());
  CHECK(server["added_by"] == "qr");
  CHECK(server["kind"] == "token");
  CHECK(server["approved_by"]["id"] == phone.device_id);
  CHECK(server["approved_by"]["name"] == "alice-phone");

  // The phone revokes it: the server's token is refused from then on.
  auto revoked = app.call("POST", "/api/devices/revoke", phone.token, {{"id", server["id"]}});
  REQUIRE(revoked.status == 200);
  auto after = app.call("GET", "/api/session", token);
  CHECK(after.status == 401);
  CHECK(json_of(after)["error"] == "session_ended");

  // And a revoked device cannot approve anyone: "log in again", exit 8, nothing shown.
  ScratchDir other;
  other.write("server-token", token + "\n");
  REQUIRE(::chmod(other.file("server-token").c_str(), 0600) == 0);
  auto next = receive_app(app, other, {"--timeout", "20"});
  auto next_link = wait_link(*next);
  auto refused = send_app(app, next_link, other.file("server-token"));
  CHECK(exit_of(*refused) == 8);
  CHECK(refused->json_field("error", "code") == "session_ended");
  CHECK(refused->json_field("error", "message").find("log in again") != std::string::npos);
  CHECK(refused->count_events("sas") == 0);
  next->kill();
}

TEST_CASE("app login: a credential for another application is refused and nothing is written") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  auto receive = receive_app(app, dir, {"--yes"});
  // A well-formed grant, of another origin.
  auto j = credential_json(Json{{"grant", "Zm9yZ2VkLWdyYW50LWZvci1hbm90aGVyLWFwcGxpY2F0aW9u"},
                                {"app", "https://evil.example"}},
                           "")
               .value();
  auto result = send_by_hand(relay, wait_link(*receive), std::move(j));
  CHECK_FALSE(result.accepted);
  CHECK(result.reason == "not a login grant for " + app.origin());

  CHECK(exit_of(*receive) == 8);
  CHECK(receive->json_field("error", "code") == "credential_refused");
  auto message = receive->json_field("error", "message");
  CHECK(message.find("https://evil.example") != std::string::npos);
  CHECK(message.find("Nothing was written") != std::string::npos);
  CHECK(receive->count_events("redeeming") == 0);
  CHECK_FALSE(dir.exists("token"));
}

TEST_CASE("app login: an existing token file is refused without --force before the application is asked") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  dir.write("token", "an older token\n");
  auto receive = receive_app(app, dir);
  CHECK(exit_of(*receive) == 1);
  CHECK(receive->json_field("error", "code") == "output_exists");
  CHECK(receive->json_field("error", "message").find("--force") != std::string::npos);
  CHECK(receive->count_events("registered") == 0);
  CHECK(receive->count_events("link") == 0);
  CHECK(dir.read("token") == "an older token\n");
}

TEST_CASE("app login: send refuses a token file others can read and a code the application did not make") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  Phone phone(app, dir);
  // A code the application never registered (made here, as any receiver could).
  auto receiver = Receiver::create(app.origin() + "/pair", ws_url(relay.port())).value();

  REQUIRE(::chmod(phone.file.c_str(), 0644) == 0);
  auto open_file = send_app(app, receiver.link(), phone.file);
  CHECK(exit_of(*open_file) == 1);
  CHECK(open_file->json_field("error", "code") == "token_file");
  CHECK(open_file->json_field("error", "message").find("mode 0644") != std::string::npos);
  CHECK(open_file->json_field("error", "message").find("chmod 600 " + phone.file) != std::string::npos);

  REQUIRE(::chmod(phone.file.c_str(), 0600) == 0);
  auto unknown = send_app(app, receiver.link(), phone.file);
  CHECK(exit_of(*unknown) == 8);
  CHECK(unknown->json_field("error", "code") == "unknown_cid");
  CHECK(unknown->json_field("error", "message").find("this code was not made by " + app.origin()) !=
        std::string::npos);
  CHECK(unknown->count_events("sas") == 0);
}

TEST_CASE("app login: a grant the application refuses ends with its code and advice and exit 8 and nothing written") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  Phone phone(app, dir);
  auto receive = receive_app(app, dir, {"--yes"});
  auto link = wait_link(*receive);
  auto cid = parse_link(link).value().cid.text;
  // The phone mints a grant for the code, then logs out: the grant is void.
  auto minted = app.call("POST", "/api/grants", phone.token, {{"cid", cid}});
  REQUIRE(minted.status == 201);
  auto j = credential_json(json_of(minted)["credential"], "").value();
  REQUIRE(app.call("POST", "/api/logout", phone.token).status == 200);

  auto result = send_by_hand(relay, link, std::move(j));
  CHECK_FALSE(result.accepted);
  CHECK(result.reason == "the application refused the grant (grant_revoked)");
  CHECK(exit_of(*receive) == 8);
  CHECK(receive->json_field("error", "code") == "grant_revoked");
  auto message = receive->json_field("error", "message");
  CHECK(message.find("has logged out since") != std::string::npos);
  CHECK(message.find("approve it from a device that is logged in") != std::string::npos);
  CHECK_FALSE(dir.exists("token"));
}
