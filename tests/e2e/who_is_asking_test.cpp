// qrlogin send --app shows who is asking and where it is, and asks the way
// the phone page does: a device on this network needs the usual
// confirmation; one on another network (the receiver connects from
// 127.0.5.7 with --bind, not 127.0.0.1's /24) gets a warning naming its
// network, and only "my device" plus the code typed from the other screen
// approves it; an application that refuses such logins ends it with exit 8.
#include <catch2/catch.hpp>

#include "tests/e2e/app_helpers.hpp"
#include "tests/support/relay_process.hpp"

using namespace qrlogin::testing;

namespace {

constexpr const char* kOtherNetworkAddress = "127.0.5.7";  // 127.0.5.0/24, not 127.0.0.0/24

Json event_field(const CliProcess& p, const char* event, const char* key) {
  auto text = p.json_field(event, key);
  auto j = Json::parse(text, nullptr, false);
  return j.is_discarded() ? Json(text) : j;
}

// The phone's device list has only the phone: nothing was logged in.
void check_nobody_logged_in(const AppProcess& app, const Phone& phone) {
  auto devices = json_of(app.call("GET", "/api/devices", phone.token))["devices"];
  REQUIRE(devices.is_array());
  CHECK(devices.size() == 1);
}

}  // namespace

TEST_CASE("who is asking: a device on this network needs only the usual confirmation") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  Phone phone(app, dir);
  // 127.0.0.9 is another address on 127.0.0.1's network.
  auto receive = receive_app(app, dir, {"--bind", "127.0.0.9"});
  auto send = send_app(app, wait_link(*receive), phone.file);
  require_output(*send, "\"event\":\"pairing_request\"", "the sender");
  CHECK(send->json_field("pairing_request", "address") == "127.0.0.9");
  CHECK(send->json_field("pairing_request", "approval") == "confirm");
  auto network = event_field(*send, "pairing_request", "network");
  CHECK(network["relation"] == "same_network");
  CHECK(network["requester"] == "127.0.0.0/24");
  require_output(*send, "on this network (127.0.0.0/24)", "the sender");
  CHECK(send->err().find("WARNING") == std::string::npos);

  require_output(*send, "\"event\":\"sas\"", "the sender");
  require_output(*receive, "\"event\":\"sas\"", "the receiver");
  send->write_stdin("y\n");
  receive->write_stdin("y\n");
  REQUIRE(exit_of(*send) == 0);
  REQUIRE(exit_of(*receive) == 0);
  CHECK(receive->json_field("logged_in", "account") == "alice");
}

TEST_CASE("who is asking: a device on another network is named with a warning and a plain yes approves nothing") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  Phone phone(app, dir);
  auto receive = receive_app(app, dir, {"--bind", kOtherNetworkAddress});
  auto send = send_app(app, wait_link(*receive), phone.file);
  require_output(*send, "\"event\":\"pairing_request\"", "the sender");
  CHECK(send->json_field("pairing_request", "address") == kOtherNetworkAddress);
  CHECK(send->json_field("pairing_request", "approval") == "deliberate");
  auto network = event_field(*send, "pairing_request", "network");
  CHECK(network["relation"] == "other_network");
  CHECK(network["requester"] == "127.0.5.0/24");
  CHECK(network["approver"] == "127.0.0.0/24");
  require_output(*send, "on ANOTHER network: 127.0.5.0/24", "the sender");
  require_output(*send, "Someone may be trying to trick you", "the sender");

  // Not the code: the question that needs the explicit answer.
  require_output(*send, "\"event\":\"other_network_question\"", "the sender");
  require_output(*receive, "\"event\":\"sas\"", "the receiver");
  CHECK(send->count_events("sas") == 0);
  CHECK(send->err().find(receive->json_field("sas", "sas")) == std::string::npos);
  send->write_stdin("y\n");
  CHECK(exit_of(*send) == 3);
  CHECK(send->json_field("error", "code") == "not_approved");
  CHECK(send->json_field("error", "message").find("a plain yes is not enough") != std::string::npos);
  CHECK(send->count_events("minting") == 0);

  CHECK(exit_of(*receive) != 0);
  CHECK(receive->count_events("logged_in") == 0);
  CHECK_FALSE(dir.exists("token"));
  check_nobody_logged_in(app, phone);
}

TEST_CASE("who is asking: a device on another network is approved by my device and the code typed from its screen") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port()));
  ScratchDir dir;
  Phone phone(app, dir);
  auto receive = receive_app(app, dir, {"--bind", kOtherNetworkAddress, "--device-name", "far-server"});
  auto send = send_app(app, wait_link(*receive), phone.file);
  require_output(*send, "\"event\":\"other_network_question\"", "the sender");
  require_output(*receive, "\"event\":\"sas\"", "the receiver");
  auto code = receive->json_field("sas", "sas");
  REQUIRE(code.size() >= 6);

  send->write_stdin("My Device\n");
  require_output(*send, "\"event\":\"type_code\"", "the sender");
  send->write_stdin("yes\n");  // still not enough: it asks for the digits again
  require_output(*send, "Type the six digits the other device shows", "the sender");
  send->write_stdin(code + "\n");
  receive->write_stdin("y\n");
  REQUIRE(exit_of(*send) == 0);
  REQUIRE(exit_of(*receive) == 0);
  CHECK(receive->json_field("logged_in", "device") == "far-server");

  auto token = without_newline(dir.read("token"));
  auto session = app.call("GET", "/api/session", token);
  REQUIRE(session.status == 200);
  CHECK(json_of(session)["device"]["name"] == "far-server");
  CHECK(json_of(session)["device"]["created_address"] == kOtherNetworkAddress);
}

TEST_CASE("who is asking: an application that refuses other-network logins ends the sender with exit 8") {
  RelayProcess relay;
  AppProcess app(app_flags(relay.port(), {"--other-network", "refuse"}));
  ScratchDir dir;
  Phone phone(app, dir);
  auto receive = receive_app(app, dir, {"--bind", kOtherNetworkAddress, "--timeout", "20"});
  auto send = send_app(app, wait_link(*receive), phone.file);
  CHECK(exit_of(*send) == 8);
  CHECK(send->json_field("pairing_request", "approval") == "refused");
  CHECK(send->err().find("on ANOTHER network: 127.0.5.0/24") != std::string::npos);
  CHECK(send->json_field("error", "code") == "other_network_refused");
  CHECK(send->json_field("error", "message").find("Nothing was approved") != std::string::npos);
  CHECK(send->count_events("sas") == 0);
  CHECK(send->count_events("other_network_question") == 0);

  receive->kill();
  CHECK(receive->count_events("logged_in") == 0);
  CHECK_FALSE(dir.exists("token"));
  check_nobody_logged_in(app, phone);
}

TEST_CASE("who is asking: --bind takes an IP address of this host, not a name") {
  CliProcess p({"receive", "--app", "http://127.0.0.1:1", "--out", "x", "--bind", "localhost"});
  CHECK(exit_of(p) == 2);
  CHECK(p.err().find("--bind takes this host's own IP address") != std::string::npos);
}
