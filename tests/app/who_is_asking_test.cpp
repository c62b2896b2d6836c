// Who is asking (issue 21): the network relation the phone is shown, the
// deliberate step a grant for another network needs (or its refusal), the
// client behind a trusted proxy, the device history, and the live notices
// of GET /api/events. Other networks are other loopback /24s: 127.0.5.x is
// not 127.0.0.x's network.
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>
#include <arpa/inet.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/app/app_fixture.hpp"

using namespace qrlogin::testing;

namespace {

Json redeem_body(const Registration& r, const std::string& grant, const std::string& kind = "token") {
  return Json{{"cid", r.cid}, {"grant", grant}, {"registration_secret", r.secret}, {"kind", kind}};
}

// GET /api/events on a raw socket, read as it arrives.
class EventReader {
 public:
  EventReader(std::uint16_t port, const std::string& token) {
    fd_ = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in to{};
    to.sin_family = AF_INET;
    to.sin_port = htons(port);
    to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (::connect(fd_, reinterpret_cast<sockaddr*>(&to), sizeof to) != 0) throw std::runtime_error("connect");
    std::string request = "GET /api/events HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer " + token + "\r\n\r\n";
    if (::send(fd_, request.data(), request.size(), MSG_NOSIGNAL) != static_cast<ssize_t>(request.size()))
      throw std::runtime_error("send");
  }
  ~EventReader() { ::close(fd_); }
  EventReader(const EventReader&) = delete;
  EventReader& operator=(const EventReader&) = delete;

  // Reads until `wanted` has arrived (true) or 5 s passed or the server
  // closed (false).
  bool wait_for(const std::string& wanted) {
    const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    while (text.find(wanted) == std::string::npos) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now());
      if (left.count() <= 0) return false;
      pollfd p{fd_, POLLIN, 0};
      if (::poll(&p, 1, static_cast<int>(left.count())) <= 0) return false;
      char buf[4096];
      const auto n = ::recv(fd_, buf, sizeof buf, 0);
      if (n <= 0) {
        closed = true;
        return text.find(wanted) != std::string::npos;
      }
      text.append(buf, static_cast<std::size_t>(n));
    }
    return true;
  }
  // Whether the server closes the stream within 5 s.
  bool closes() {
    (void)wait_for("\x01never\x01");
    return closed;
  }

  std::string text;
  bool closed = false;

 private:
  int fd_ = -1;
};

// A phone with a device token (a Cli), signed up from `source`.
Cli token_phone(const InProcessApp& app, const std::string& name, const std::string& source = "127.0.0.1") {
  Cli phone(app.port(), source);
  auto reply = phone.post("/api/signup", {{"name", name}, {"password", kPassword}, {"kind", "token"},
                                          {"device_name", "phone"}});
  if (reply.status != 201) throw std::runtime_error("signup failed: " + reply.body);
  phone.token = body_of(reply)["token"].get<std::string>();
  return phone;
}

}  // namespace

TEST_CASE("the lookup tells where the device asking is: same address, same network, another network") {
  InProcessApp app;
  auto phone = signed_up_phone(app);  // from 127.0.0.1
  struct Case {
    const char* source;
    const char* relation;
    const char* requester;
    const char* approval;
  };
  for (const auto& c : {Case{"127.0.0.1", "same_address", "127.0.0.0/24", "confirm"},
                        Case{"127.0.0.9", "same_network", "127.0.0.0/24", "confirm"},
                        Case{"127.0.5.7", "other_network", "127.0.5.0/24", "deliberate"}}) {
    INFO(c.source);
    Cli device(app.port(), c.source);
    auto r = register_pairing(device);
    app.clock.advance(std::chrono::seconds(3));
    auto lookup = phone.post("/api/pairings/lookup", {{"cid", r.cid}});
    REQUIRE(lookup.status == 200);
    auto body = body_of(lookup);
    CHECK(body["network"]["relation"] == c.relation);
    CHECK(body["network"]["requester"] == c.requester);
    CHECK(body["network"]["approver"] == "127.0.0.0/24");
    CHECK(body["approval"] == c.approval);
    CHECK(body["age"] == 3);
    CHECK(body["address"] == c.source);
  }
}

TEST_CASE("a program declares its name when it registers: the phone sees qrlogin CLI on that name") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Cli cli(app.port());  // User-Agent qrlogin/0.1.0
  const auto cid = new_cid();
  REQUIRE(cli.post("/api/pairings", {{"cid", cid}, {"device_name", "build-server"}}).status == 201);
  auto lookup = body_of(phone.post("/api/pairings/lookup", {{"cid", cid}}));
  CHECK(lookup["device_name"] == "qrlogin CLI on build-server");
  CHECK(lookup["declared_name"] == "build-server");

  auto undeclared = register_pairing(cli);
  CHECK(body_of(phone.post("/api/pairings/lookup", {{"cid", undeclared.cid}}))["declared_name"] == "");
  auto too_long = cli.post("/api/pairings", {{"cid", new_cid()}, {"device_name", std::string(4096, 'x')}});
  CHECK(too_long.status == 400);
  CHECK(error_of(too_long) == "bad_name");
  CHECK(error_of(cli.post("/api/pairings", {{"cid", new_cid()}, {"device_name", "a\nb"}})) == "bad_name");
}

TEST_CASE("a grant for a device on another network needs the deliberate step, or is refused by policy") {
  SECTION("--other-network confirm (the default)") {
    InProcessApp app;
    auto phone = signed_up_phone(app);
    Cli far_device(app.port(), "127.0.5.7");
    auto r = register_pairing(far_device);
    auto plain = phone.post("/api/grants", {{"cid", r.cid}});
    CHECK(plain.status == 428);
    CHECK(error_of(plain) == "other_network_unconfirmed");
    CHECK(body_of(plain)["message"].get<std::string>().find("another network") != std::string::npos);
    CHECK(error_of(phone.post("/api/grants", {{"cid", r.cid}, {"other_network_confirmed", "yes"}})) == "bad_request");
    auto deliberate = phone.post("/api/grants", {{"cid", r.cid}, {"other_network_confirmed", true}});
    REQUIRE(deliberate.status == 201);
    auto grant = body_of(deliberate)["grant"].get<std::string>();
    CHECK(far_device.post("/api/redeem", redeem_body(r, grant)).status == 201);

    // The same network needs no step.
    Cli near_device(app.port(), "127.0.0.9");
    auto near = register_pairing(near_device);
    CHECK(phone.post("/api/grants", {{"cid", near.cid}}).status == 201);
  }
  SECTION("--other-network refuse") {
    InProcessApp app([](qrlogin::app::Config& c) { c.refuse_other_network = true; });
    auto phone = signed_up_phone(app);
    Cli far_device(app.port(), "127.0.5.7");
    auto r = register_pairing(far_device);
    auto lookup = phone.post("/api/pairings/lookup", {{"cid", r.cid}});
    CHECK(body_of(lookup)["approval"] == "refused");
    auto refused = phone.post("/api/grants", {{"cid", r.cid}, {"other_network_confirmed", true}});
    CHECK(refused.status == 403);
    CHECK(error_of(refused) == "other_network_refused");
    Cli near_device(app.port(), "127.0.0.9");
    CHECK(phone.post("/api/grants", {{"cid", register_pairing(near_device).cid}}).status == 201);
  }
}

TEST_CASE("a trusted proxy: X-Forwarded-For is read from --trust-proxy peers only") {
  InProcessApp app([](qrlogin::app::Config& c) {
    c.trusted_proxies = qrlogin::relay::parse_cidr_list("127.0.0.1/32").value();
  });
  auto phone = signed_up_phone(app, "alice");  // from 127.0.0.1, the "proxy", without the header
  auto register_from = [&](const std::string& source) {
    Cli device(app.port(), source);
    Registration r{new_cid(), {}};
    auto reply = device.send(HttpCall{"POST", "/api/pairings", Json{{"cid", r.cid}}.dump(),
                                      {{"Content-Type", "application/json"}, {"X-Forwarded-For", "198.51.100.7"}}});
    REQUIRE(reply.status == 201);
    return body_of(phone.post("/api/pairings/lookup", {{"cid", r.cid}}));
  };
  auto via_proxy = register_from("127.0.0.1");
  CHECK(via_proxy["address"] == "198.51.100.7");
  CHECK(via_proxy["network"]["requester"] == "198.51.100.0/24");
  CHECK(via_proxy["network"]["relation"] == "other_network");
  auto not_a_proxy = register_from("127.0.0.2");
  CHECK(not_a_proxy["address"] == "127.0.0.2");
}

TEST_CASE("notices: the other devices hear of a new login and a revocation at once, and a revoked device's stream ends") {
  InProcessApp app;
  auto phone = token_phone(app, "alice");
  EventReader events(app.port(), phone.token);
  REQUIRE(events.wait_for("retry: 3000"));
  CHECK(events.text.starts_with("HTTP/1.1 200 OK\r\n"));
  CHECK(events.text.find("Content-Type: text/event-stream") != std::string::npos);

  Browser desktop(app.port(), app.origin(), kChromeLinux, "127.0.0.2");
  auto r = register_pairing(desktop);
  auto grant = phone.post("/api/grants", {{"cid", r.cid}});
  REQUIRE(grant.status == 201);
  auto redeemed =
      desktop.post("/api/redeem", redeem_body(r, body_of(grant)["grant"].get<std::string>(), "cookie"));
  REQUIRE(redeemed.status == 201);
  const auto desktop_id = body_of(redeemed)["device"]["id"].get<std::int64_t>();
  REQUIRE(events.wait_for("event: login\ndata: "));
  REQUIRE(events.wait_for("\n\n"));
  auto login_at = events.text.find("event: login\ndata: ") + 19;
  auto login = Json::parse(events.text.substr(login_at, events.text.find('\n', login_at) - login_at));
  CHECK(login["name"] == "Chrome on Linux");
  CHECK(login["added_by"] == "qr");
  CHECK(login["approved_by"]["name"] == "phone");
  CHECK(login["created_network"] == "127.0.0.0/24");

  REQUIRE(phone.post("/api/devices/revoke", {{"id", desktop_id}}).status == 200);
  REQUIRE(events.wait_for("event: revoked\ndata: "));
  CHECK(events.text.find("\"name\":\"Chrome on Linux\"") != std::string::npos);
  CHECK_FALSE(events.closed);

  // The history, newest first: the revocation, then the login, then the signup.
  auto list = body_of(phone.get("/api/devices"));
  REQUIRE(list["history"].size() == 3);
  CHECK(list["history"][0]["event"] == "revoked");
  CHECK(list["history"][0]["device"]["id"] == desktop_id);
  CHECK(list["history"][1]["event"] == "login");
  CHECK(list["history"][1]["added_by"] == "qr");
  CHECK(list["history"][2]["added_by"] == "signup");

  // A password login is announced too; then revoking the phone itself
  // (from that second device) ends its stream.
  Cli laptop(app.port());
  auto login_reply = laptop.post("/api/login", {{"name", "alice"}, {"password", kPassword}, {"kind", "token"},
                                                {"device_name", "laptop"}});
  REQUIRE(login_reply.status == 200);
  laptop.token = body_of(login_reply)["token"].get<std::string>();
  REQUIRE(events.wait_for("\"name\":\"laptop\""));
  auto laptop_at = events.text.rfind("event: login\ndata: ");
  REQUIRE(laptop_at != std::string::npos);
  CHECK(events.text.find("\"added_by\":\"password\"", laptop_at) != std::string::npos);
  auto phone_id = body_of(phone.get("/api/session"))["device"]["id"].get<std::int64_t>();
  REQUIRE(laptop.post("/api/devices/revoke", {{"id", phone_id}}).status == 200);
  REQUIRE(events.wait_for("event: ended\n"));
  CHECK(events.closes());
}

TEST_CASE("notices: a stream needs a session, takes GET only, and is bounded per account") {
  InProcessApp app;
  Cli stranger(app.port());
  auto refused = stranger.get("/api/events");
  CHECK(refused.status == 401);
  CHECK(error_of(refused) == "not_authenticated");
  auto phone = token_phone(app, "alice");
  auto post = phone.post("/api/events");
  CHECK(post.status == 405);

  std::vector<std::unique_ptr<EventReader>> streams;
  for (int i = 0; i < 16; ++i) {
    streams.push_back(std::make_unique<EventReader>(app.port(), phone.token));
    REQUIRE(streams.back()->wait_for("retry: 3000"));
  }
  EventReader one_too_many(app.port(), phone.token);
  REQUIRE(one_too_many.wait_for("too_many_streams"));
  CHECK(one_too_many.text.starts_with("HTTP/1.1 429"));
  CHECK(one_too_many.closes());
}
