// Accounts and sessions over HTTP: signup, login, logout, the cookie's
// attributes, Origin checks.
#include <catch2/catch.hpp>

#include "tests/app/app_fixture.hpp"

using namespace qrlogin::testing;

TEST_CASE("signup sets an HttpOnly SameSite=Strict session cookie, and the session knows its account") {
  InProcessApp app;
  Browser browser(app.port(), app.origin());
  auto reply = browser.post("/api/signup", {{"name", "alice"}, {"password", kPassword}});
  REQUIRE(reply.status == 201);
  auto body = body_of(reply);
  CHECK(body["account"]["name"] == "alice");
  CHECK(body["device"]["name"] == "Chrome on Linux");
  CHECK(body["device"]["added_by"] == "signup");
  CHECK_FALSE(body.contains("token"));

  // Plain http (loopback development): no __Host- prefix, no Secure.
  const auto& set = browser.set_cookie_header;
  CHECK(set.starts_with("qrlogin_session="));
  CHECK(set.find("; HttpOnly") != std::string::npos);
  CHECK(set.find("; SameSite=Strict") != std::string::npos);
  CHECK(set.find("; Path=/") != std::string::npos);
  CHECK(set.find("Secure") == std::string::npos);
  // 256 bits, base64url.
  CHECK(browser.cookie.size() == std::string("qrlogin_session=").size() + 43);

  auto session = browser.get("/api/session");
  REQUIRE(session.status == 200);
  CHECK(body_of(session)["account"]["name"] == "alice");
  CHECK(body_of(session)["device"]["current"] == true);
}

TEST_CASE("over https the cookie is __Host- and Secure") {
  InProcessApp app([](auto& c) { c.origin = "https://app.example"; });
  Browser browser(app.port(), "https://app.example");
  REQUIRE(browser.post("/api/signup", {{"name", "alice"}, {"password", kPassword}}).status == 201);
  const auto& set = browser.set_cookie_header;
  CHECK(set.starts_with("__Host-qrlogin_session="));
  CHECK(set.find("; Secure") != std::string::npos);
  CHECK(set.find("; Path=/") != std::string::npos);
  CHECK(set.find("Domain") == std::string::npos);
  CHECK(browser.get("/api/session").status == 200);
}

TEST_CASE("login with the right password makes a second device, a wrong one is refused") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser laptop(app.port(), app.origin());
  auto wrong = laptop.post("/api/login", {{"name", "alice"}, {"password", "not the password"}});
  CHECK(wrong.status == 401);
  CHECK(error_of(wrong) == "login_failed");
  CHECK(laptop.cookie.empty());
  auto unknown = laptop.post("/api/login", {{"name", "bob"}, {"password", kPassword}});
  CHECK(unknown.status == 401);
  CHECK(error_of(unknown) == "login_failed");

  auto ok = laptop.post("/api/login", {{"name", "alice"}, {"password", kPassword}});
  REQUIRE(ok.status == 200);
  CHECK(body_of(ok)["device"]["added_by"] == "password");
  auto devices = body_of(phone.get("/api/devices"))["devices"];
  REQUIRE(devices.size() == 2);
  CHECK(devices[0]["current"] == true);
  CHECK(devices[1]["current"] == false);
  CHECK(devices[1]["name"] == "Chrome on Linux");
  CHECK(devices[1]["last_address"] == "127.0.0.1");
}

TEST_CASE("signup refuses a taken name, a short password and a malformed body") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser other(app.port(), app.origin());
  CHECK(error_of(other.post("/api/signup", {{"name", "alice"}, {"password", kPassword}})) == "name_taken");
  CHECK(error_of(other.post("/api/signup", {{"name", "carol"}, {"password", "short"}})) == "bad_password");
  CHECK(error_of(other.post("/api/signup", {{"name", 42}, {"password", kPassword}})) == "bad_request");
  CHECK(error_of(other.send("POST", "/api/signup", "{not json")) == "bad_request");
  auto form = other.send("POST", "/api/signup", "name=carol&password=xxxxxxxxxx", "application/x-www-form-urlencoded");
  CHECK(form.status == 415);
  CHECK(error_of(form) == "unsupported_media_type");
  CHECK(other.cookie.empty());
}

TEST_CASE("logout ends the session: the same cookie is refused afterwards and cleared") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  const auto old_cookie = phone.cookie;
  auto out = phone.post("/api/logout");
  REQUIRE(out.status == 200);
  CHECK(phone.cookie.empty());
  CHECK(phone.set_cookie_header.find("Max-Age=0") != std::string::npos);

  phone.cookie = old_cookie;  // a copy of the cookie taken before the logout
  auto again = phone.get("/api/session");
  CHECK(again.status == 401);
  CHECK(error_of(again) == "session_ended");
  CHECK(phone.cookie.empty());
}

TEST_CASE("a cross-origin POST is refused and changes nothing") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser evil(app.port(), "http://evil.example");
  evil.cookie = phone.cookie;  // the browser would attach the victim's cookie (were it not SameSite)
  auto mint = evil.post("/api/grants", {{"cid", new_cid()}});
  CHECK(mint.status == 403);
  CHECK(error_of(mint) == "origin_refused");
  auto signup = evil.post("/api/signup", {{"name", "mallory"}, {"password", kPassword}});
  CHECK(error_of(signup) == "origin_refused");
  auto logout = evil.post("/api/logout");
  CHECK(error_of(logout) == "origin_refused");
  CHECK(phone.get("/api/session").status == 200);  // still logged in
  Browser check(app.port(), app.origin());
  CHECK(error_of(check.post("/api/login", {{"name", "mallory"}, {"password", kPassword}})) == "login_failed");

  // The cookie without any Origin: refused too (browsers always send Origin on POST).
  Browser no_origin(app.port(), "");
  no_origin.cookie = phone.cookie;
  CHECK(error_of(no_origin.post("/api/logout")) == "origin_refused");
  // Without a cookie and without Origin it is a non-browser client: allowed.
  Cli cli(app.port());
  CHECK(cli.post("/api/signup", {{"name", "bob"}, {"password", kPassword}, {"kind", "token"}}).status == 201);
}

TEST_CASE("a session unused for longer than --session-idle ends") {
  InProcessApp app([](auto& c) { c.session_idle_seconds = 3600; });
  auto phone = signed_up_phone(app);
  app.clock.advance(std::chrono::minutes(59));
  CHECK(phone.get("/api/session").status == 200);  // use refreshes it
  app.clock.advance(std::chrono::minutes(61));
  auto idle = phone.get("/api/session");
  CHECK(error_of(idle) == "session_ended");
}

TEST_CASE("unknown endpoints, wrong methods and oversized bodies get JSON errors") {
  InProcessApp app;
  Browser browser(app.port(), app.origin());
  CHECK(error_of(browser.get("/api/nothing")) == "not_found");
  auto wrong = browser.get("/api/signup");
  CHECK(wrong.status == 405);
  CHECK(wrong.header("Allow") == "POST");
  auto big = browser.send("POST", "/api/signup", std::string(20000, ' '));
  CHECK(big.status == 413);
  CHECK(error_of(big) == "body_too_large");
  CHECK(body_of(http_send(app.port(), HttpCall{"GET", "/healthz", {}, {}}))["status"] == "ok");
  auto config = body_of(browser.get("/api/config"));
  CHECK(config["origin"] == app.origin());
  CHECK(config["grant_lifetime"] == 60);
}
