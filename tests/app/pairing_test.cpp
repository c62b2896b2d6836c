// Registration -> grant -> redemption over HTTP, for a browser (cookie) and
// a CLI (device token), and every way a redemption must fail.
#include <catch2/catch.hpp>

#include "tests/app/app_fixture.hpp"

using namespace qrlogin::testing;

namespace {

Json redeem_body(const Registration& r, const std::string& grant, const std::string& kind = "cookie") {
  return Json{{"cid", r.cid}, {"grant", grant}, {"registration_secret", r.secret}, {"kind", kind}};
}

}  // namespace

TEST_CASE("QR login of a browser: register, look up, mint, redeem for its own session cookie") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser desktop(app.port(), app.origin(), kChromeLinux, "127.0.0.2");
  auto registration = desktop.post("/api/pairings", {{"cid", new_cid()}});
  REQUIRE(registration.status == 201);
  Registration r{body_of(registration)["cid"], body_of(registration)["registration_secret"]};
  CHECK(r.secret.size() == 43);
  CHECK(body_of(registration)["expires_in"] == 150);

  // The phone sees what the application saw of the new device.
  auto lookup = phone.post("/api/pairings/lookup", {{"cid", r.cid}});
  REQUIRE(lookup.status == 200);
  CHECK(body_of(lookup)["address"] == "127.0.0.2");
  CHECK(body_of(lookup)["device_name"] == "Chrome on Linux");
  CHECK(body_of(lookup)["user_agent"] == kChromeLinux);

  auto minted = phone.post("/api/grants", {{"cid", r.cid}});
  REQUIRE(minted.status == 201);
  auto grant = body_of(minted)["grant"].get<std::string>();
  CHECK(grant.size() == 43);
  CHECK(body_of(minted)["expires_in"] == 60);
  // What the phone sends across the relay.
  CHECK(body_of(minted)["credential"] == Json{{"grant", grant}, {"app", app.origin()}});

  auto redeemed = desktop.post("/api/redeem", redeem_body(r, grant));
  REQUIRE(redeemed.status == 201);
  CHECK(body_of(redeemed)["account"]["name"] == "alice");
  CHECK_FALSE(body_of(redeemed).contains("token"));
  CHECK(desktop.cookie.starts_with("qrlogin_session="));
  CHECK(desktop.cookie != phone.cookie);
  auto session = body_of(desktop.get("/api/session"));
  CHECK(session["account"]["name"] == "alice");
  CHECK(session["device"]["added_by"] == "qr");

  // The phone lists the desktop, approved by the phone.
  auto devices = body_of(phone.get("/api/devices"))["devices"];
  REQUIRE(devices.size() == 2);
  CHECK(devices[1]["name"] == "Chrome on Linux");
  CHECK(devices[1]["added_by"] == "qr");
  CHECK(devices[1]["approved_by"]["id"] == devices[0]["id"]);
  CHECK(devices[1]["approved_by"]["name"] == "Firefox on Android");
  CHECK(devices[1]["created_address"] == "127.0.0.2");

  // A second redeem: "already used", and the first device stays logged in.
  Browser thief(app.port(), app.origin());
  auto second = thief.post("/api/redeem", redeem_body(r, grant));
  CHECK(second.status == 409);
  CHECK(error_of(second) == "grant_used");
  CHECK(thief.cookie.empty());
  CHECK(desktop.get("/api/session").status == 200);
  CHECK(body_of(phone.get("/api/devices"))["devices"].size() == 2);

  // The log tells the story without a secret.
  const auto log = app.log();
  CHECK(log.find("\"device_added\"") != std::string::npos);
  for (const auto& secret : {grant, r.secret, desktop.cookie.substr(16), phone.cookie.substr(16), std::string(kPassword)})
    CHECK(log.find(secret) == std::string::npos);
}

TEST_CASE("QR login of a CLI: a device token that works until the phone revokes it") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Cli cli(app.port());
  auto r = register_pairing(cli);
  auto grant = mint(phone, r.cid);
  auto body = redeem_body(r, grant, "token");
  body["device_name"] = "build-server";
  auto redeemed = cli.post("/api/redeem", body);
  REQUIRE(redeemed.status == 201);
  CHECK(redeemed.all("Set-Cookie").empty());
  cli.token = body_of(redeemed)["token"].get<std::string>();
  CHECK(cli.token.size() == 43);
  CHECK(body_of(redeemed)["device"]["name"] == "build-server");
  CHECK(body_of(redeemed)["device"]["kind"] == "token");

  auto devices = cli.get("/api/devices");
  REQUIRE(devices.status == 200);
  auto list = body_of(devices)["devices"];
  REQUIRE(list.size() == 2);
  CHECK(list[1]["current"] == true);
  const auto cli_id = list[1]["id"].get<std::int64_t>();

  // A token is accepted only as a Bearer token, never as a cookie.
  Browser as_cookie(app.port(), app.origin());
  as_cookie.cookie = "qrlogin_session=" + cli.token;
  CHECK(error_of(as_cookie.get("/api/session")) == "not_authenticated");

  auto revoked = phone.post("/api/devices/revoke", {{"id", cli_id}});
  REQUIRE(revoked.status == 200);
  auto refused = cli.get("/api/devices");
  CHECK(refused.status == 401);
  CHECK(error_of(refused) == "session_ended");
  CHECK(body_of(phone.get("/api/devices"))["devices"].size() == 1);
}

TEST_CASE("a revoked browser session is logged out at its next request") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser desktop(app.port(), app.origin());
  auto r = register_pairing(desktop);
  REQUIRE(desktop.post("/api/redeem", redeem_body(r, mint(phone, r.cid))).status == 201);
  auto id = body_of(desktop.get("/api/session"))["device"]["id"];
  REQUIRE(phone.post("/api/devices/revoke", {{"id", id}}).status == 200);
  auto next = desktop.get("/api/devices");
  CHECK(next.status == 401);
  CHECK(error_of(next) == "session_ended");
  CHECK(body_of(next)["message"].get<std::string>().find("another of your devices") != std::string::npos);
  CHECK(desktop.cookie.empty());  // the application cleared it
  // Revoking a device of another account, or one already revoked, finds nothing.
  auto bob = signed_up_phone(app, "bob");
  CHECK(error_of(bob.post("/api/devices/revoke", {{"id", id}})) == "unknown_device");
  CHECK(error_of(phone.post("/api/devices/revoke", {{"id", id}})) == "unknown_device");
}

TEST_CASE("an expired grant and an expired code are refused (time moved, not slept)") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser desktop(app.port(), app.origin());
  auto r = register_pairing(desktop);
  auto grant = mint(phone, r.cid);
  app.clock.advance(std::chrono::seconds(61));
  auto late = desktop.post("/api/redeem", redeem_body(r, grant));
  CHECK(late.status == 410);
  CHECK(error_of(late) == "grant_expired");
  CHECK(desktop.cookie.empty());

  auto r2 = register_pairing(desktop);
  app.clock.advance(std::chrono::seconds(151));
  auto stale = phone.post("/api/grants", {{"cid", r2.cid}});
  CHECK(stale.status == 410);
  CHECK(error_of(stale) == "pairing_expired");
  CHECK(error_of(phone.post("/api/pairings/lookup", {{"cid", r2.cid}})) == "pairing_expired");
  CHECK(error_of(phone.post("/api/grants", {{"cid", new_cid()}})) == "unknown_cid");
}

TEST_CASE("a grant for another cid, a missing or wrong registration secret are refused, the grant survives") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser desktop(app.port(), app.origin());
  auto r = register_pairing(desktop);
  auto other = register_pairing(desktop);
  auto grant = mint(phone, r.cid);

  auto mismatch = desktop.post("/api/redeem", redeem_body(other, grant));
  CHECK(mismatch.status == 403);
  CHECK(error_of(mismatch) == "grant_mismatch");

  auto without = desktop.post("/api/redeem", {{"cid", r.cid}, {"grant", grant}, {"kind", "cookie"}});
  CHECK(without.status == 403);
  CHECK(error_of(without) == "registration_refused");
  auto wrong = desktop.post("/api/redeem", redeem_body(Registration{r.cid, other.secret}, grant));
  CHECK(error_of(wrong) == "registration_refused");
  auto garbage = desktop.post("/api/redeem", redeem_body(Registration{r.cid, "x"}, grant));
  CHECK(error_of(garbage) == "registration_refused");
  CHECK(desktop.cookie.empty());

  // None of that used the grant up: its own device still redeems it.
  CHECK(desktop.post("/api/redeem", redeem_body(r, grant)).status == 201);
  // And the code is spent: another grant for it cannot be minted.
  CHECK(error_of(phone.post("/api/grants", {{"cid", r.cid}})) == "pairing_used");
}

TEST_CASE("minting needs a session, registering and redeeming check their input") {
  InProcessApp app;
  Browser anonymous(app.port(), app.origin());
  auto r = register_pairing(anonymous);
  auto mint_without = anonymous.post("/api/grants", {{"cid", r.cid}});
  CHECK(mint_without.status == 401);
  CHECK(error_of(mint_without) == "not_authenticated");
  anonymous.cookie = "qrlogin_session=" + std::string(43, 'A');
  CHECK(error_of(anonymous.post("/api/grants", {{"cid", r.cid}})) == "not_authenticated");
  CHECK(error_of(anonymous.post("/api/pairings/lookup", {{"cid", r.cid}})) == "not_authenticated");
  anonymous.cookie.clear();

  for (const char* bad : {"short", "AAAAAAAAAAAAAAAAAAAAA!", "AAAAAAAAAAAAAAAAAAAAAB", "AAAAAAAAAAAAAAAAAAAAAAAA"})
    CHECK(error_of(anonymous.post("/api/pairings", {{"cid", bad}})) == "bad_cid");
  CHECK(error_of(anonymous.post("/api/pairings", {{"cid", r.cid}})) == "cid_registered");
  CHECK(error_of(anonymous.post("/api/redeem", redeem_body(r, std::string(43, 'B')))) == "unknown_grant");
  CHECK(error_of(anonymous.post("/api/redeem", redeem_body(r, "not-a-grant"))) == "unknown_grant");
  CHECK(error_of(anonymous.post("/api/redeem", {{"cid", r.cid}, {"grant", std::string(43, 'B')}, {"kind", "both"}})) ==
        "bad_request");
}

TEST_CASE("a grant dies with the session that approved it") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser desktop(app.port(), app.origin());
  auto r = register_pairing(desktop);
  auto grant = mint(phone, r.cid);
  REQUIRE(phone.post("/api/logout").status == 200);
  auto redeemed = desktop.post("/api/redeem", redeem_body(r, grant));
  CHECK(redeemed.status == 410);
  CHECK(error_of(redeemed) == "grant_revoked");
}
