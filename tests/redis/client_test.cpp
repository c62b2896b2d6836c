// The async hiredis adapter against a real redis-server: round trips,
// pipelining, the bounded queue, AUTH and SELECT, and what happens when Redis
// is killed, restarted, frozen, or not there at all.
#include <catch2/catch.hpp>

#include <atomic>
#include <future>
#include <string>

#include "tests/redis/helpers.hpp"

using namespace qrlogin::testing;
using qrlogin::relay::redis::Client;
using qrlogin::relay::redis::ClientOptions;
using qrlogin::relay::redis::Errc;
using qrlogin::relay::redis::Reply;
using R = qrlogin::Result<Reply>;

namespace {

struct Connected {
  explicit Connected(RedisServer& server, ClientOptions options = {}) {
    if (options.endpoint.host.empty()) {
      auto defaults = local_options(server.port());
      options.endpoint.host = defaults.endpoint.host;
      options.endpoint.port = defaults.endpoint.port;
    }
    client = Client::create(io.executor(), std::move(options), states.handler());
    client->start();
  }
  ~Connected() {
    client->stop();
    io.stop();  // before `states`, which the loop's handlers report to, goes
  }
  bool wait_up(std::size_t nth = 1) {
    auto event = states.wait(nth);
    return event && event->first;
  }
  IoThread io;
  StateLog states;
  std::shared_ptr<Client> client;
};

}  // namespace

TEST_CASE("redis client: a command round trip, binary-safe, with every reply type", "[redis]") {
  RedisServer server;
  Connected c(server);
  REQUIRE(c.wait_up());
  REQUIRE(c.client->is_up());

  std::string binary("a\0b\r\n\xff", 6);
  auto set = run_command(*c.client, {"SET", "k", binary});
  REQUIRE(set.ok());
  CHECK(set->is_status());
  CHECK(set->str == "OK");

  auto get = run_command(*c.client, {"GET", "k"});
  REQUIRE(get.ok());
  CHECK(get->is_string());
  CHECK(get->str == binary);

  auto missing = run_command(*c.client, {"GET", "nothing"});
  REQUIRE(missing.ok());
  CHECK(missing->is_nil());

  auto incr = run_command(*c.client, {"INCRBY", "n", "41"});
  REQUIRE(incr.ok());
  CHECK(incr->is_integer());
  CHECK(incr->integer == 41);

  auto list = run_command(*c.client, {"RPUSH", "l", "x", "y"});
  REQUIRE(list.ok());
  auto range = run_command(*c.client, {"LRANGE", "l", "0", "-1"});
  REQUIRE(range.ok());
  REQUIRE(range->is_array());
  REQUIRE(range->elements.size() == 2);
  CHECK(range->elements[1].str == "y");

  auto wrong = run_command(*c.client, {"INCR", "k"});
  REQUIRE_FALSE(wrong.ok());
  CHECK(wrong.error().code == Errc::server);
  CHECK(wrong.error().message.find("ERR") == 0);
  CHECK(c.client->pending() == 0);
}

TEST_CASE("redis client: thousands of pipelined commands complete in order", "[redis]") {
  RedisServer server;
  auto options = local_options(server.port());
  options.max_pending = 10000;
  Connected c(server, std::move(options));
  REQUIRE(c.wait_up());

  constexpr int kCommands = 5000;
  std::vector<long long> seen;
  std::promise<void> all;
  c.io.run([&] {
    for (int i = 0; i < kCommands; ++i)
      c.client->command({"INCR", "counter"}, [&](R reply) {
        seen.push_back(reply.ok() ? reply->integer : -1);
        if (seen.size() == kCommands) all.set_value();
      });
  });
  REQUIRE(all.get_future().wait_for(20s) == std::future_status::ready);
  std::vector<long long> expected(kCommands);
  for (int i = 0; i < kCommands; ++i) expected[static_cast<std::size_t>(i)] = i + 1;
  CHECK(seen == expected);
  // A large reply (more than hiredis reads at once) arrives whole.
  std::string big(300000, 'z');
  REQUIRE(run_command(*c.client, {"SET", "big", big}).ok());
  auto back = run_command(*c.client, {"GET", "big"});
  REQUIRE(back.ok());
  CHECK(back->str == big);
}

TEST_CASE("redis client: the queue of pending commands is bounded, past it commands fail at once", "[redis]") {
  RedisServer server;
  auto options = local_options(server.port());
  options.max_pending = 8;
  Connected c(server, std::move(options));
  REQUIRE(c.wait_up());

  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::atomic<int> done{0};
  std::promise<void> all;
  // All submitted in one turn of the loop: no reply can arrive in between.
  c.io.run([&] {
    for (int i = 0; i < 100; ++i)
      c.client->command({"PING"}, [&](R reply) {
        if (reply.ok()) ++ok;
        else if (reply.error().code == Errc::unavailable) ++refused;
        if (++done == 100) all.set_value();
      });
    CHECK(c.client->pending() == 8);
  });
  REQUIRE(all.get_future().wait_for(10s) == std::future_status::ready);
  CHECK(ok == 8);
  CHECK(refused == 92);
  CHECK(c.client->pending() == 0);
  // And the connection is fine afterwards.
  CHECK(run_command(*c.client, {"PING"}).ok());
}

TEST_CASE("redis client: Redis killed -> down at once, commands fail fast, restarted -> up by itself", "[redis]") {
  RedisServer server;
  auto options = local_options(server.port());
  options.reconnect_max = 500ms;
  Connected c(server, std::move(options));
  REQUIRE(c.wait_up());
  REQUIRE(run_command(*c.client, {"SET", "a", "1"}).ok());

  auto killed_at = std::chrono::steady_clock::now();
  server.kill();
  auto down = c.states.wait(2, 3s);
  REQUIRE(down);
  CHECK_FALSE(down->first);
  CHECK(std::chrono::steady_clock::now() - killed_at < 1s);
  CHECK_FALSE(c.client->is_up());
  CHECK(down->second.find("lost") != std::string::npos);

  // Down: every command fails at once with unavailable, however many.
  for (int i = 0; i < 20; ++i) {
    auto start = std::chrono::steady_clock::now();
    auto reply = run_command(*c.client, {"GET", "a"});
    REQUIRE_FALSE(reply.ok());
    CHECK(reply.error().code == Errc::unavailable);
    CHECK(std::chrono::steady_clock::now() - start < 500ms);  // no waiting for a timeout
  }

  server.start();
  auto up = c.states.wait(3, 5s);
  REQUIRE(up);
  CHECK(up->first);
  // A fresh Redis (no persistence): the key is gone, commands work again.
  auto reply = run_command(*c.client, {"GET", "a"});
  REQUIRE(reply.ok());
  CHECK(reply->is_nil());
  CHECK(c.states.size() == 3);
}

TEST_CASE("redis client: a frozen Redis is noticed within the link timeout, and recovers", "[redis]") {
  RedisServer server;
  auto options = local_options(server.port());
  options.link_timeout = 400ms;
  options.health_interval = 100ms;
  options.reconnect_max = 300ms;
  options.connect_timeout = 500ms;
  Connected c(server, std::move(options));
  REQUIRE(c.wait_up());

  server.freeze();
  auto start = std::chrono::steady_clock::now();
  auto reply = run_command(*c.client, {"PING"});
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.error().code == Errc::unavailable);
  CHECK(std::chrono::steady_clock::now() - start < 1s);
  auto down = c.states.wait(2, 2s);
  REQUIRE(down);
  CHECK_FALSE(down->first);
  CHECK(down->second.find("link timeout") != std::string::npos);

  // While it stays frozen, connects time out and commands fail at once.
  std::this_thread::sleep_for(700ms);
  CHECK_FALSE(c.client->is_up());
  CHECK_FALSE(run_command(*c.client, {"PING"}).ok());

  server.thaw();
  auto up = c.states.wait(3, 5s);
  REQUIRE(up);
  CHECK(up->first);
  CHECK(run_command(*c.client, {"PING"}).ok());
}

// One slow reply is only slow: the link stays, a command with its own
// deadline hears `timeout`, and everything after completes in order.
TEST_CASE("redis client: a slow reply within the link timeout drops nothing and per-command deadlines fire", "[redis]") {
  RedisServer server({"--enable-debug-command", "local"});
  auto options = local_options(server.port());
  options.link_timeout = 3s;
  options.health_interval = 50ms;
  Connected c(server, std::move(options));
  REQUIRE(c.wait_up());
  REQUIRE(run_command(*c.client, {"SET", "k", "v"}).ok());

  std::promise<R> slow;
  std::promise<R> with_deadline;
  std::promise<R> after;
  auto start = std::chrono::steady_clock::now();
  c.io.run([&] {
    // Redis sleeps 1.2 s inside the first command: everything behind it waits.
    c.client->command({"DEBUG", "SLEEP", "1.2"}, [&](R r) { slow.set_value(std::move(r)); });
    c.client->command({"GET", "k"}, [&](R r) { with_deadline.set_value(std::move(r)); },
                      qrlogin::relay::redis::CommandOptions{300ms, false});
    c.client->command({"GET", "k"}, [&](R r) { after.set_value(std::move(r)); });
  });
  auto timed_out = with_deadline.get_future().get();
  auto waited = std::chrono::steady_clock::now() - start;
  REQUIRE_FALSE(timed_out.ok());
  CHECK(timed_out.error().code == Errc::timeout);
  CHECK(waited >= 300ms);
  CHECK(waited < 1s);  // well before Redis woke up
  auto slept = slow.get_future().get();
  CHECK(slept.ok());
  auto got = after.get_future().get();
  REQUIRE(got.ok());
  CHECK(got->str == "v");
  CHECK(std::chrono::steady_clock::now() - start >= 1200ms);
  // Never down: one report (up) in all.
  CHECK(c.states.size() == 1);
  CHECK(c.client->is_up());
  CHECK(c.client->pending() == 0);
}

// A master demoted to a replica (a failover whose old master came back)
// refuses writes with READONLY: the client drops the connection so that it
// finds the master again (through Sentinel), rather than fail every write.
TEST_CASE("redis client: a READONLY refusal drops the link, which comes back by itself", "[redis]") {
  RedisServer master;
  RedisServer replica({"--replicaof", "127.0.0.1", std::to_string(master.port())});
  auto options = local_options(replica.port());
  options.reconnect_max = 300ms;
  Connected c(replica, std::move(options));
  REQUIRE(c.wait_up());
  auto refused = run_command(*c.client, {"SET", "k", "v"});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::server);
  CHECK(refused.error().message.find("READONLY") != std::string::npos);
  auto down = c.states.wait(2, 3s);
  REQUIRE(down);
  CHECK_FALSE(down->first);
  CHECK(down->second.find("replica") != std::string::npos);
  auto up = c.states.wait(3, 5s);
  REQUIRE(up);
  CHECK(up->first);
  CHECK(run_command(*c.client, {"GET", "k"}).ok());  // reads still work there
}

TEST_CASE("redis client: an unbounded command passes a full queue", "[redis]") {
  RedisServer server;
  auto options = local_options(server.port());
  options.max_pending = 4;
  Connected c(server, std::move(options));
  REQUIRE(c.wait_up());
  std::atomic<int> ok{0};
  std::atomic<int> refused{0};
  std::promise<R> heartbeat;
  c.io.run([&] {
    for (int i = 0; i < 10; ++i)
      c.client->command({"PING"}, [&](R reply) { (reply.ok() ? ok : refused)++; });
    c.client->command({"SET", "alive", "1"}, [&](R r) { heartbeat.set_value(std::move(r)); },
                      qrlogin::relay::redis::CommandOptions{std::chrono::milliseconds{0}, true});
  });
  auto beat = heartbeat.get_future().get();
  CHECK(beat.ok());
  std::this_thread::sleep_for(100ms);
  CHECK(ok == 4);
  CHECK(refused == 6);
}

TEST_CASE("redis client: Redis not there at start -> one down report, then up when it comes", "[redis]") {
  RedisServer server;
  auto port = server.port();
  server.kill();
  auto options = local_options(port);
  options.reconnect_max = 300ms;
  Connected c(server, std::move(options));
  auto down = c.states.wait(1, 3s);
  REQUIRE(down);
  CHECK_FALSE(down->first);
  std::this_thread::sleep_for(800ms);  // several failed attempts: still one report
  CHECK(c.states.size() == 1);
  auto reply = run_command(*c.client, {"PING"});
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.error().code == Errc::unavailable);

  server.start();
  auto up = c.states.wait(2, 5s);
  REQUIRE(up);
  CHECK(up->first);
  CHECK(run_command(*c.client, {"PING"}).ok());
}

TEST_CASE("redis client: AUTH with an ACL user and password, SELECT, host names resolved off the loop", "[redis]") {
  const std::string password = "s3cret-Pa55-word";
  RedisServer server({"--requirepass", "admin-pw"});
  server.set_admin_auth("admin-pw");
  REQUIRE(server.command({"ACL", "SETUSER", "relay", "on", ">" + password, "~qrl:*", "+@all"}).is_status());

  SECTION("the right user and password, database 3, by host name") {
    auto options = local_options(server.port());
    options.endpoint.host = "localhost";
    options.endpoint.user = "relay";
    options.endpoint.password = qrlogin::Secret::copy_of(qrlogin::as_bytes(password));
    options.endpoint.db = 3;
    options.client_name = "qrlogin-test";
    Connected c(server, std::move(options));
    REQUIRE(c.wait_up());
    REQUIRE(run_command(*c.client, {"SET", "qrl:x", "in-db-3"}).ok());
    // Outside the user's key pattern: refused by Redis, reported as a server error.
    auto refused = run_command(*c.client, {"SET", "other", "1"});
    REQUIRE_FALSE(refused.ok());
    CHECK(refused.error().code == Errc::server);
    auto multi = server.command({"EVAL", "redis.call('SELECT', 3) return redis.call('GET', KEYS[1])", "1", "qrl:x"});
    CHECK(multi.str == "in-db-3");
    auto names = server.command({"CLIENT", "LIST"});
    CHECK(names.str.find("name=qrlogin-test") != std::string::npos);
  }

  SECTION("a wrong password: down, the reason says AUTH and never shows a password") {
    auto options = local_options(server.port());
    options.endpoint.user = "relay";
    options.endpoint.password = qrlogin::Secret::copy_of(qrlogin::as_bytes(std::string_view("wrong-" + password)));
    options.reconnect_max = 200ms;
    Connected c(server, std::move(options));
    auto down = c.states.wait(1, 3s);
    REQUIRE(down);
    CHECK_FALSE(down->first);
    CHECK(down->second.find("AUTH failed") != std::string::npos);
    CHECK(down->second.find(password) == std::string::npos);
    CHECK_FALSE(c.client->is_up());
  }
}

TEST_CASE("redis client: a subscriber gets messages, and again after Redis restarted", "[redis]") {
  RedisServer server;
  IoThread io;
  StateLog sub_states;
  auto received = std::make_shared<std::vector<std::pair<std::string, std::string>>>();
  std::mutex mutex;
  std::condition_variable cv;
  auto options = local_options(server.port());
  options.subscriptions = {"qrl:wake:node-a", "qrl:wake:other"};
  options.reconnect_max = 300ms;
  options.health_interval = 100ms;
  auto subscriber = Client::create(io.executor(), std::move(options), sub_states.handler(),
                                   [&](std::string channel, std::string payload) {
                                     std::lock_guard lock(mutex);
                                     received->emplace_back(std::move(channel), std::move(payload));
                                     cv.notify_all();
                                   });
  subscriber->start();
  auto publisher_options = local_options(server.port());
  publisher_options.reconnect_max = 300ms;
  StateLog pub_states;
  auto publisher = Client::create(io.executor(), std::move(publisher_options), pub_states.handler());
  publisher->start();
  Finally cleanup([&] {
    subscriber->stop();
    publisher->stop();
    io.stop();
  });
  REQUIRE(sub_states.wait(1) == std::optional<std::pair<bool, std::string>>({true, "connected"}));
  REQUIRE(pub_states.wait(1));

  auto wait_messages = [&](std::size_t n) {
    std::unique_lock lock(mutex);
    return cv.wait_for(lock, 5s, [&] { return received->size() >= n; });
  };
  auto published = run_command(*publisher, {"PUBLISH", "qrl:wake:node-a", "channel-1"});
  REQUIRE(published.ok());
  CHECK(published->integer == 1);
  REQUIRE(wait_messages(1));
  CHECK((*received)[0] == std::pair<std::string, std::string>{"qrl:wake:node-a", "channel-1"});
  // A subscriber takes no commands.
  auto refused = run_command(*subscriber, {"PING"});
  REQUIRE_FALSE(refused.ok());
  CHECK(refused.error().code == Errc::protocol);
  // The liveness probes keep it up while idle.
  std::this_thread::sleep_for(500ms);
  CHECK(sub_states.size() == 1);

  server.kill();
  REQUIRE(sub_states.wait(2, 3s));
  server.start();
  auto up = sub_states.wait(3, 5s);
  REQUIRE(up);
  CHECK(up->first);  // reported only once subscribed again
  REQUIRE(pub_states.wait(3, 5s));
  REQUIRE(run_command(*publisher, {"PUBLISH", "qrl:wake:other", "channel-2"}).ok());
  REQUIRE(wait_messages(2));
  CHECK((*received)[1] == std::pair<std::string, std::string>{"qrl:wake:other", "channel-2"});
}

TEST_CASE("redis client: stop() fails what is pending and ends the loop's work", "[redis]") {
  RedisServer server;
  IoThread io;
  StateLog states;
  auto client = Client::create(io.executor(), local_options(server.port()), states.handler());
  Finally cleanup([&] {
    client->stop();
    io.stop();
  });
  client->start();
  REQUIRE(states.wait(1));
  server.freeze();
  std::promise<R> result;
  client->command({"PING"}, [&](R reply) { result.set_value(std::move(reply)); });
  client->stop();
  auto future = result.get_future();
  REQUIRE(future.wait_for(2s) == std::future_status::ready);
  auto reply = future.get();
  REQUIRE_FALSE(reply.ok());
  CHECK(reply.error().code == Errc::unavailable);
  server.thaw();
  CHECK_FALSE(run_command(*client, {"PING"}).ok());
  CHECK(states.size() == 1);  // no report after stop()
}
