// What the cluster writes down never holds a cid or a resume token: not the
// nodes' logs at debug level, not /metrics, not any key or value in Redis
// (relay-rules, Privacy; docs/deploy.md, Redis key layout).
#include <algorithm>

#include "tests/cluster/cluster_helpers.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;
using Reply = qrlogin::relay::redis::Reply;

namespace {

// Every string in a reply tree.
void strings_of(const Reply& reply, std::vector<std::string>& out) {
  if (reply.is_string() || reply.is_status()) out.push_back(reply.str);
  for (const auto& e : reply.elements) strings_of(e, out);
}

// Every key, and every value of every key, in the test's Redis.
std::vector<std::string> redis_contents(RedisServer& redis) {
  std::vector<std::string> out;
  auto keys = redis.command({"KEYS", "*"});
  REQUIRE(keys.is_array());
  for (const auto& k : keys.elements) {
    out.push_back(k.str);
    auto type = redis.command({"TYPE", k.str}).str;
    Reply value;
    if (type == "hash") value = redis.command({"HGETALL", k.str});
    else if (type == "list") value = redis.command({"LRANGE", k.str, "0", "-1"});
    else if (type == "string") value = redis.command({"GET", k.str});
    else if (type == "zset") value = redis.command({"ZRANGE", k.str, "0", "-1", "WITHSCORES"});
    else FAIL("unexpected key type " << type << " for " << k.str);
    strings_of(value, out);
  }
  return out;
}

bool holds(const std::string& haystack, const std::string& needle) {
  return haystack.find(needle) != std::string::npos;
}

}  // namespace

TEST_CASE("no cid and no resume token in the nodes' debug logs, their /metrics or anywhere in Redis") {
  Cluster cluster(2, {"--log-level", "debug", "--grace", "20s"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto cid = random_cid();
  auto cid_bytes = qrlogin::base64url_decode(cid);
  REQUIRE(cid_bytes.ok());
  std::string cid_raw(cid_bytes->begin(), cid_bytes->end());

  auto r = Client::connect(options_for(a, cid, "receiver"));
  REQUIRE(r);
  auto r_joined = r.client->next(5s);
  REQUIRE(r_joined.ok());
  auto s = Client::connect(options_for(b, cid, "sender"));
  REQUIRE(s);
  auto s_joined = s.client->next(5s);
  REQUIRE(s_joined.ok());
  std::vector<std::string> tokens{r_joined->control.resume_token, s_joined->control.resume_token};
  REQUIRE(r.client->next_control("peer", 5s).ok());
  auto hello = frame_of(0x01, 65);
  REQUIRE(s.client->send(hello).ok());
  expect_binary(*r.client, hello);

  // The sender drops and resumes on A: a spent token and a fresh one.
  s.client->abort();
  auto o = options_for(a, cid, "sender");
  o.resume_token = tokens[1];
  o.received = 0;
  auto resumed = join_with(o, true);
  (void)resumed;
  auto back = r.client->next_control("peer", 5s);
  REQUIRE(back.ok());

  std::vector<std::string> places{a.output(), b.output()};
  for (auto* n : {&a, &b}) {
    qrlogin::relay_client::HttpRequest req;
    req.port = n->metrics_port();
    req.target = "/metrics";
    auto res = qrlogin::relay_client::http_request(req);
    REQUIRE(res.ok());
    places.push_back(res->body);
  }
  auto in_redis = redis_contents(cluster.redis());
  CHECK(in_redis.size() > 4);  // the channel is there (keys and values)
  places.insert(places.end(), in_redis.begin(), in_redis.end());
  for (const auto& place : places) {
    CHECK_FALSE(holds(place, cid));
    CHECK_FALSE(holds(place, cid_raw));
    for (const auto& token : tokens) {
      REQUIRE(token.size() == 43);
      CHECK_FALSE(holds(place, token));
    }
  }
}
