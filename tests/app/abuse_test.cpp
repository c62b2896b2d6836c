// What an attacker or a failing disk does to the application: guessing
// passwords, flooding redeems, hostile names, a database that refuses writes.
#include <sqlite3.h>

#include <catch2/catch.hpp>
#include <chrono>

#include "tests/app/app_fixture.hpp"
#include "web/app/rate_limit.hpp"

using namespace qrlogin::testing;

namespace {

// Rows that only a half-done transaction could leave: an account without
// its first device, a used grant without the device it made.
int orphans(const std::string& database) {
  sqlite3* db = nullptr;
  REQUIRE(sqlite3_open_v2(database.c_str(), &db, SQLITE_OPEN_READONLY, nullptr) == SQLITE_OK);
  int count = -1;
  sqlite3_stmt* q = nullptr;
  REQUIRE(sqlite3_prepare_v2(db,
                             "SELECT (SELECT count(*) FROM accounts WHERE id NOT IN (SELECT account_id FROM devices))"
                             " + (SELECT count(*) FROM grants WHERE used_at IS NOT NULL AND device_id IS NULL)",
                             -1, &q, nullptr) == SQLITE_OK);
  if (sqlite3_step(q) == SQLITE_ROW) count = sqlite3_column_int(q, 0);
  sqlite3_finalize(q);
  sqlite3_close(db);
  return count;
}

}  // namespace

TEST_CASE("wrong passwords are rate-limited per account, even for the right password, until time passes") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser guesser(app.port(), app.origin());
  for (int i = 0; i < 5; ++i)
    CHECK(error_of(guesser.post("/api/login", {{"name", "alice"}, {"password", "guess number " + std::to_string(i)}})) ==
          "login_failed");
  auto limited = guesser.post("/api/login", {{"name", "alice"}, {"password", kPassword}});
  CHECK(limited.status == 429);
  CHECK(error_of(limited) == "rate_limited");
  CHECK(std::stoi(limited.header("Retry-After")) >= 1);
  // Another account from the same network is not held back by alice's bucket.
  signed_up_phone(app, "bob");
  CHECK(guesser.post("/api/login", {{"name", "bob"}, {"password", kPassword}}).status == 200);
  app.clock.advance(std::chrono::seconds(31));
  CHECK(guesser.post("/api/login", {{"name", "alice"}, {"password", kPassword}}).status == 200);
}

TEST_CASE("the limits key an address and a network as the relay does (IPv4 /32 and /24 and IPv6 /64 and /56)") {
  using qrlogin::app::address_key;
  using qrlogin::app::network_key;
  CHECK(address_key("192.0.2.1") != address_key("192.0.2.2"));
  CHECK(network_key("192.0.2.1") == network_key("192.0.2.254"));
  CHECK(network_key("192.0.2.1") != network_key("192.0.3.1"));
  CHECK(address_key("2001:db8:0:1::1") == address_key("2001:db8:0:1:ffff::9"));
  CHECK(address_key("2001:db8:0:1::1") != address_key("2001:db8:0:2::1"));
  CHECK(network_key("2001:db8:0:1::1") == network_key("2001:db8:0:ff::1"));
  CHECK(network_key("2001:db8:0:1::1") != network_key("2001:db8:0:100::1"));
  // An IPv4 client and its IPv4-mapped IPv6 form are one client.
  CHECK(address_key("192.0.2.1") == address_key("::ffff:192.0.2.1"));
  // An address key is never a network key, and text that is no address keys as itself.
  CHECK(address_key("192.0.2.1") != network_key("192.0.2.1"));
  CHECK(address_key("not-an-address") == "not-an-address");
}

TEST_CASE("wrong passwords are rate-limited per network, other networks are not") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser guesser(app.port(), app.origin(), kChromeLinux, "127.0.0.7");
  // Different names: only the network's bucket (20) is shared.
  for (int i = 0; i < 20; ++i)
    CHECK(error_of(guesser.post("/api/login", {{"name", "user" + std::to_string(i)}, {"password", kPassword}})) ==
          "login_failed");
  CHECK(error_of(guesser.post("/api/login", {{"name", "alice"}, {"password", kPassword}})) == "rate_limited");
  Browser elsewhere(app.port(), app.origin(), kChromeLinux, "127.0.1.7");  // another /24
  CHECK(elsewhere.post("/api/login", {{"name", "alice"}, {"password", kPassword}}).status == 200);
}

TEST_CASE("10,000 bogus redeems from one address are rate-limited, another address still redeems") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser flood(app.port(), app.origin(), kChromeLinux, "127.0.0.3");
  const Json bogus{{"cid", new_cid()}, {"grant", std::string(43, 'A')}, {"registration_secret", std::string(43, 'A')}};
  int unknown = 0, limited = 0;
  const auto started = std::chrono::steady_clock::now();
  for (int i = 0; i < 10000; ++i) {
    auto reply = flood.post("/api/redeem", bogus);
    if (reply.status == 429) ++limited;
    else if (error_of(reply) == "unknown_grant") ++unknown;
  }
  const auto took = std::chrono::steady_clock::now() - started;
  CHECK(unknown == 10);  // the burst; the clock does not move
  CHECK(limited == 9990);
  INFO("10,000 requests took " << std::chrono::duration_cast<std::chrono::milliseconds>(took).count() << " ms");

  Browser desktop(app.port(), app.origin(), kChromeLinux, "127.0.0.4");
  auto r = register_pairing(desktop);
  auto grant = mint(phone, r.cid);
  auto redeemed = desktop.post(
      "/api/redeem", {{"cid", r.cid}, {"grant", grant}, {"registration_secret", r.secret}, {"kind", "cookie"}});
  CHECK(redeemed.status == 201);
}

TEST_CASE("registrations are rate-limited per address") {
  InProcessApp app;
  Browser desktop(app.port(), app.origin(), kChromeLinux, "127.0.0.5");
  int created = 0;
  for (int i = 0; i < 30; ++i)
    if (desktop.post("/api/pairings", {{"cid", new_cid()}}).status == 201) ++created;
  CHECK(created == 20);
  Browser other(app.port(), app.origin(), kChromeLinux, "127.0.0.6");
  CHECK(other.post("/api/pairings", {{"cid", new_cid()}}).status == 201);
  app.clock.advance(std::chrono::seconds(2));
  CHECK(desktop.post("/api/pairings", {{"cid", new_cid()}}).status == 201);
}

TEST_CASE("SQL metacharacters are stored and shown literally, 4 KB names are refused with a message") {
  InProcessApp app;
  const std::string sneaky = "Robert'); DROP TABLE accounts;-- \"%_\\";
  auto phone = signed_up_phone(app, sneaky);
  CHECK(body_of(phone.get("/api/session"))["account"]["name"] == sneaky);
  Browser laptop(app.port(), app.origin());
  CHECK(laptop.post("/api/login", {{"name", sneaky}, {"password", kPassword}}).status == 200);
  CHECK(error_of(laptop.post("/api/login", {{"name", "Robert'); DROP TABLE accounts;-- \"%%\\"}, {"password", kPassword}})) ==
        "login_failed");

  Cli cli(app.port());
  auto r = register_pairing(cli);
  const std::string device = "x' OR '1'='1";
  auto redeemed = cli.post("/api/redeem", {{"cid", r.cid},
                                           {"grant", mint(phone, r.cid)},
                                           {"registration_secret", r.secret},
                                           {"kind", "token"},
                                           {"device_name", device}});
  REQUIRE(redeemed.status == 201);
  CHECK(body_of(phone.get("/api/devices"))["devices"][2]["name"] == device);

  Browser big(app.port(), app.origin());
  auto huge = big.post("/api/signup", {{"name", std::string(4096, 'n')}, {"password", kPassword}});
  CHECK(huge.status == 400);
  CHECK(error_of(huge) == "bad_name");
  CHECK(body_of(huge)["message"].get<std::string>().find("longer than 64 bytes") != std::string::npos);
  CHECK(error_of(big.post("/api/signup", {{"name", "tab\there"}, {"password", kPassword}})) == "bad_name");
  auto r2 = register_pairing(cli);
  auto long_device = cli.post("/api/redeem", {{"cid", r2.cid},
                                              {"grant", mint(phone, r2.cid)},
                                              {"registration_secret", r2.secret},
                                              {"kind", "token"},
                                              {"device_name", std::string(4096, 'd')}});
  CHECK(error_of(long_device) == "bad_name");
}

TEST_CASE("a read-only database answers 503, logs why, and writes nothing") {
  InProcessApp app;
  auto phone = signed_up_phone(app);
  Browser desktop(app.port(), app.origin());
  auto r = register_pairing(desktop);
  auto grant = mint(phone, r.cid);

  REQUIRE(app.server->store().execute_for_test("PRAGMA query_only = ON").ok());
  auto signup = Browser(app.port(), app.origin()).post("/api/signup", {{"name", "carol"}, {"password", kPassword}});
  CHECK(signup.status == 503);
  CHECK(error_of(signup) == "storage_unavailable");
  CHECK(signup.all("Set-Cookie").empty());
  auto redeem = desktop.post(
      "/api/redeem", {{"cid", r.cid}, {"grant", grant}, {"registration_secret", r.secret}, {"kind", "cookie"}});
  CHECK(error_of(redeem) == "storage_unavailable");
  CHECK(desktop.cookie.empty());
  CHECK(error_of(desktop.post("/api/pairings", {{"cid", new_cid()}})) == "storage_unavailable");
  // Reads still work.
  CHECK(phone.get("/api/devices").status == 200);
  CHECK(app.log().find("\"storage_failed\"") != std::string::npos);
  CHECK(app.log().find("readonly") != std::string::npos);

  REQUIRE(app.server->store().execute_for_test("PRAGMA query_only = OFF").ok());
  // Nothing was half-done: the grant is unused, carol's name is free.
  CHECK(desktop.post("/api/redeem",
                     {{"cid", r.cid}, {"grant", grant}, {"registration_secret", r.secret}, {"kind", "cookie"}})
            .status == 201);
  CHECK(Browser(app.port(), app.origin()).post("/api/signup", {{"name", "carol"}, {"password", kPassword}}).status ==
        201);
}

TEST_CASE("a full disk answers 503 and leaves no partial rows") {
  InProcessApp app([](auto& c) { c.bench_profile = true; });
  auto phone = signed_up_phone(app);
  // The database may not grow past the pages it has now: "database or disk is full".
  REQUIRE(app.server->store().execute_for_test("PRAGMA max_page_count = 1").ok());
  int failed = 0, created = 0;
  for (int i = 0; i < 40 && failed == 0; ++i) {
    Browser b(app.port(), app.origin());
    auto reply = b.post("/api/signup", {{"name", "user-" + std::to_string(i) + std::string(50, 'x')}, {"password", kPassword}});
    if (reply.status == 503) {
      ++failed;
      CHECK(error_of(reply) == "storage_unavailable");
      CHECK(b.cookie.empty());
    } else if (reply.status == 201) {
      ++created;
    }
  }
  CHECK(failed == 1);
  CHECK(app.log().find("full") != std::string::npos);
  REQUIRE(app.server->store().execute_for_test("PRAGMA max_page_count = 1073741823").ok());
  CHECK(orphans(app.dir.path + "/state/app.sqlite3") == 0);
  // The name that failed is free.
  Browser retry(app.port(), app.origin());
  CHECK(retry.post("/api/signup", {{"name", "user-" + std::to_string(created) + std::string(50, 'x')}, {"password", kPassword}})
            .status == 201);
}
