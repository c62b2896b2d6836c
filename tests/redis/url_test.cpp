// --redis URLs and the password's sources: strict parsing, and the password
// never in an error message.
#include <catch2/catch.hpp>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "relay/redis/url.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace qrlogin::relay::redis;

namespace {

std::string password_of(const Endpoint& endpoint) { return std::string(qrlogin::as_chars(endpoint.password.view())); }

}  // namespace

TEST_CASE("redis url: the forms that parse", "[redis][url]") {
  auto plain = parse_url("redis://127.0.0.1:6380");
  REQUIRE(plain.ok());
  CHECK(plain->host == "127.0.0.1");
  CHECK(plain->port == 6380);
  CHECK(plain->db == 0);
  CHECK(plain->user.empty());
  CHECK(plain->password.empty());
  CHECK(plain->describe() == "127.0.0.1:6380");

  auto defaults = parse_url("redis://redis.internal");
  REQUIRE(defaults.ok());
  CHECK(defaults->host == "redis.internal");
  CHECK(defaults->port == kDefaultPort);

  auto full = parse_url("redis://relay:p%40ss%3Aw0rd@[::1]:7000/2");
  REQUIRE(full.ok());
  CHECK(full->host == "::1");
  CHECK(full->port == 7000);
  CHECK(full->db == 2);
  CHECK(full->user == "relay");
  CHECK(password_of(*full) == "p@ss:w0rd");
  CHECK(full->describe() == "[::1]:7000/2");  // never the user or the password

  auto user_only = parse_url("redis://qrlogin@h:1");  // the password from a file or the environment
  REQUIRE(user_only.ok());
  CHECK(user_only->user == "qrlogin");
  CHECK(user_only->password.empty());

  auto default_user = parse_url("redis://:only-a-password@h:1/0");
  REQUIRE(default_user.ok());
  CHECK(default_user->user.empty());
  CHECK(password_of(*default_user) == "only-a-password");
}

TEST_CASE("redis url: Sentinel - the Sentinels, the master's name and the database", "[redis][url]") {
  auto three = parse_url("sentinel://10.0.0.1,10.0.0.2:26380,[::1]/qrlogin");
  REQUIRE(three.ok());
  CHECK(three->sentinel());
  REQUIRE(three->sentinels.size() == 3);
  CHECK(three->sentinels[0].host == "10.0.0.1");
  CHECK(three->sentinels[0].port == kDefaultSentinelPort);
  CHECK(three->sentinels[1].port == 26380);
  CHECK(three->sentinels[2].host == "::1");
  CHECK(three->master_name == "qrlogin");
  CHECK(three->db == 0);
  CHECK(three->describe() == "sentinel:10.0.0.1:26379,10.0.0.2:26380,[::1]:26379/qrlogin");

  auto with_db = parse_url("sentinel://relay@s1:1/my-master.2/3");
  REQUIRE(with_db.ok());
  CHECK(with_db->user == "relay");
  CHECK(with_db->master_name == "my-master.2");
  CHECK(with_db->db == 3);
  CHECK(with_db->describe() == "sentinel:s1:1/my-master.2/3");

  CHECK_FALSE(parse_url("redis://h:1").value().sentinel());
  for (const char* url : {"sentinel://", "sentinel://h:1", "sentinel://h:1/", "sentinel://h:1,/m", "sentinel://,h/m",
                          "sentinel://h:0/m", "sentinel://h/m/x", "sentinel://h/m a", "sentinel://h/m!",
                          "sentinel://h/m/1/2"}) {
    INFO(url);
    auto parsed = parse_url(url);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message.starts_with("--redis: "));
  }
}

TEST_CASE("redis url: everything else is an error that says what is wrong", "[redis][url]") {
  const char* bad[] = {
      "",
      "127.0.0.1:6379",
      "http://127.0.0.1:6379",
      "rediss://127.0.0.1:6379",
      "unix:///run/redis.sock",
      "redis://",
      "redis://:6379",
      "redis://host:",
      "redis://host:0",
      "redis://host:65536",
      "redis://host:+1",
      "redis://host:01",
      "redis://host:6379/",
      "redis://host:6379/x",
      "redis://host:6379/-1",
      "redis://host:6379/1/2",
      "redis://host:6379?db=1",
      "redis://host:6379#x",
      "redis://ho st:6379",
      "redis://host_name:6379",
      "redis://[::1:6379",
      "redis://[zz]:6379",
      "redis://[::1]6379",
      "redis://@host:6379",
      "redis://user:@host:6379",
      "redis://user:pa ss@host",
      "redis://user:p%4@host",
      "redis://user:p%zzz@host",
      "redis://us/er:pw@host",
      "redis://host:6379/99999999999",
  };
  for (const char* url : bad) {
    INFO(url);
    auto parsed = parse_url(url);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code == Errc::bad_url);
    CHECK(parsed.error().message.starts_with("--redis: "));
  }
}

TEST_CASE("redis url: an error never quotes the password", "[redis][url]") {
  for (const char* url : {"redis://u:Sekr3t-%zz@host:1", "redis://u:Sekr3t@host:99999", "redis://u:Sekr3t@host:1/x",
                          "redis://u:Sekr3t@ho st:1", "redis://u:Sekr3t@host:1?q"}) {
    INFO(url);
    auto parsed = parse_url(url);
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().message.find("Sekr3t") == std::string::npos);
  }
}

TEST_CASE("redis url: the password's sources, file over environment over URL", "[redis][url]") {
  qrlogin::testing::ScratchDir scratch;
  std::filesystem::path dir = scratch.path;
  auto file = (dir / "password").string();
  {
    std::ofstream out(file);
    out << "from-file\n";
  }

  auto endpoint = parse_url("redis://:from-url@h:1");
  REQUIRE(endpoint.ok());
  SECTION("file") {
    auto source = resolve_password(*endpoint, {file, std::string("from-env")});
    REQUIRE(source.ok());
    CHECK(*source == PasswordSource::file);
    CHECK(password_of(*endpoint) == "from-file");
  }
  SECTION("environment") {
    auto source = resolve_password(*endpoint, {std::nullopt, std::string("from-env")});
    REQUIRE(source.ok());
    CHECK(*source == PasswordSource::environment);
    CHECK(password_of(*endpoint) == "from-env");
  }
  SECTION("url, an empty variable counts as absent") {
    auto source = resolve_password(*endpoint, {std::nullopt, std::string("")});
    REQUIRE(source.ok());
    CHECK(*source == PasswordSource::url);
    CHECK(password_of(*endpoint) == "from-url");
  }
  SECTION("none") {
    auto bare = parse_url("redis://h:1");
    REQUIRE(bare.ok());
    auto source = resolve_password(*bare, {});
    REQUIRE(source.ok());
    CHECK(*source == PasswordSource::none);
  }
  SECTION("a user without a password anywhere") {
    auto user_only = parse_url("redis://qrlogin@h:1");
    REQUIRE(user_only.ok());
    auto source = resolve_password(*user_only, {std::nullopt, std::nullopt});
    REQUIRE_FALSE(source.ok());
    CHECK(source.error().code == Errc::bad_config);
    auto from_env = resolve_password(*user_only, {std::nullopt, std::string("pw")});
    REQUIRE(from_env.ok());
    CHECK(password_of(*user_only) == "pw");
  }
  SECTION("a file that cannot be read, or a password of two lines") {
    auto missing = resolve_password(*endpoint, {(dir / "nope").string(), std::nullopt});
    REQUIRE_FALSE(missing.ok());
    CHECK(missing.error().code == Errc::bad_config);
    {
      std::ofstream out(file);
      out << "two\nlines\n";
    }
    auto two = resolve_password(*endpoint, {file, std::nullopt});
    REQUIRE_FALSE(two.ok());
    CHECK(two.error().message.find("two") == std::string::npos);
    CHECK(two.error().message.find("lines") == std::string::npos);
  }
}

TEST_CASE("redis url: the shared key file - one line, at least 16 characters", "[redis][url]") {
  qrlogin::testing::ScratchDir scratch;
  std::filesystem::path dir = scratch.path;
  auto write = [&](const std::string& name, const std::string& text) {
    auto path = (dir / name).string();
    std::ofstream(path) << text;
    return path;
  };
  auto good = read_shared_key(write("good", "0123456789abcdef0123\n"));
  REQUIRE(good.ok());
  CHECK(good->size() == 20);  // the newline is not part of it
  auto short_key = read_shared_key(write("short", "0123456789abcde\n"));
  REQUIRE_FALSE(short_key.ok());
  CHECK(short_key.error().code == Errc::bad_config);
  CHECK(short_key.error().message.find("fewer than 16") != std::string::npos);
  auto missing = read_shared_key((dir / "missing").string());
  REQUIRE_FALSE(missing.ok());
  CHECK(missing.error().message.find("cannot read") != std::string::npos);
}
