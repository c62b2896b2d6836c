// relay/core without sockets or clocks: request parsing, addresses, rates,
// the registry's rules, control messages, channel tags, configuration.
#include <catch2/catch.hpp>
#include <limits>
#include <map>
#include <nlohmann/json.hpp>

#include "crypto/bytes.hpp"
#include "crypto/random.hpp"
#include "crypto/testing/scripted_rng.hpp"
#include "relay/core/address.hpp"
#include "relay/core/channel_tag.hpp"
#include "relay/core/control.hpp"
#include "relay/core/registry.hpp"
#include "relay/core/target.hpp"
#include "relay/core/token_bucket.hpp"
#include "relay/config/config.hpp"

namespace qrlogin::relay {
namespace {

using namespace std::chrono_literals;

Cid cid_of(std::uint8_t fill) {
  Cid c{};
  c.fill(fill);
  return c;
}

AddressKey key_of(const char* ip) { return limit_key(parse_ip(ip).value()); }

Frame frame(std::size_t n) { return std::make_shared<const std::vector<std::uint8_t>>(n, std::uint8_t{7}); }

TEST_CASE("core: channel targets parse strictly", "[unit]") {
  auto cid = base64url_encode(Bytes(16, 0xab));
  auto ok = parse_channel_target("/v1/channels/" + cid + "?role=sender&received=3");
  REQUIRE(ok.ok());
  CHECK(ok->role == Role::sender);
  CHECK(ok->received == 3u);
  CHECK(parse_channel_target("/v1/channels/" + cid + "?role=receiver").ok());
  for (const std::string& bad : std::vector<std::string>{"/v1/channels/" + cid, "/v1/channels/" + cid + "?role=", "/v1/channels/" + cid + "?role=x",
                                "/v1/channels/" + cid + "?role=sender&received=01",
                                "/v1/channels/" + cid + "?role=sender&received=",
                                "/v1/channels/" + cid + "?role=sender&x=1", "/v1/channels/" + cid + "?role",
                                "/v1/channels/" + cid + "?received=1", "/v1/channels/AAAAAAAAAAAAAAAAAAAAAB?role=sender",
                                "/v1/channels/" + cid + "=?role=sender", std::string("/v1/channels/?role=sender"),
                                "/v2/channels/" + cid + "?role=sender"}) {
    INFO(bad);
    CHECK_FALSE(parse_channel_target(bad).ok());
  }
  CHECK(is_channel_target("/v1/channels/zzz"));
  CHECK_FALSE(is_channel_target("/v1/channelsx"));
}

TEST_CASE("core: kind=code marks a code channel - exactly once - and nothing else is a kind", "[unit]") {
  auto cid = base64url_encode(Bytes(16, 0xab));
  auto code = parse_channel_target("/v1/channels/" + cid + "?role=sender&kind=code&received=2");
  REQUIRE(code.ok());
  CHECK(code->kind == ChannelKind::code);
  CHECK(code->received == 2u);
  auto qr = parse_channel_target("/v1/channels/" + cid + "?role=receiver");
  REQUIRE(qr.ok());
  CHECK(qr->kind == ChannelKind::qr);
  for (std::string_view query : {"role=receiver&kind=code&kind=code", "role=receiver&kind=qr", "role=receiver&kind=",
                                   "role=receiver&kind=Code", "role=receiver&kind", "kind=code"}) {
    INFO(query);
    auto bad = parse_channel_target("/v1/channels/" + cid + "?" + std::string(query));
    REQUIRE_FALSE(bad.ok());
    CHECK(bad.error().code == make_error_code(Errc::bad_request));
  }
}

TEST_CASE("core: code lookups - 10 a minute per /64, 60 per /56 and per /48, 600 per IPv6 /32", "[unit]") {
  Limits limits;
  auto now = TimePoint{} + 1h;
  Admission a(limits, now);
  auto lookups = [&](const std::string& prefix, int n) {
    int counted = 0;
    for (int i = 0; i < n; ++i) {
      auto key = key_of((prefix + std::to_string(i % 10)).c_str());
      if (a.check_lookup(key, now)) break;
      a.count_lookup(key, now);
      ++counted;
    }
    return counted;
  };
  // One /64: 10, then refused before the lookup; its /56 and /48 still look up.
  CHECK(lookups("2001:db8:0:100::", 12) == 10);
  auto refused = a.check_lookup(key_of("2001:db8:0:100::5"), now);
  REQUIRE(refused);
  CHECK(refused->code == Code::rate_limited);
  CHECK(refused->limit == Limit::code_lookups);
  // Five more /64s of that /56 fill its 60.
  for (int n = 1; n <= 5; ++n) CHECK(lookups("2001:db8:0:1" + std::to_string(n) + "0::", 10) == 10);
  CHECK(a.check_lookup(key_of("2001:db8:0:1ff::1"), now));
  // Another /56 of the same /48: the /48 has no lookups left either.
  CHECK(a.check_lookup(key_of("2001:db8:0:200::1"), now));
  // Nine more /48s of the /32 take 540 more: 600 in the /32, the tenth /48 is refused.
  for (int site = 1; site <= 9; ++site)
    for (int net = 0; net < 6; ++net)
      CHECK(lookups("2001:db8:" + std::to_string(site) + ":" + std::to_string(net) + "00::", 10) == 10);
  CHECK(a.check_lookup(key_of("2001:db8:a::1"), now));
  CHECK_FALSE(a.check_lookup(key_of("2001:db9::1"), now));  // another /32
  // IPv4: 10 per /32, 60 per /24.
  for (int i = 0; i < 10; ++i) a.count_lookup(key_of("198.51.100.7"), now);
  CHECK(a.check_lookup(key_of("198.51.100.7"), now));
  for (int host = 20; host < 70; ++host) {
    auto key = key_of(("198.51.100." + std::to_string(host)).c_str());
    CHECK_FALSE(a.check_lookup(key, now));
    a.count_lookup(key, now);
  }
  CHECK(a.check_lookup(key_of("198.51.100.99"), now));
  CHECK_FALSE(a.check_lookup(key_of("198.51.101.1"), now));
  // A minute later the buckets are full again.
  CHECK_FALSE(a.check_lookup(key_of("2001:db8:0:100::5"), now + 60s));
}

TEST_CASE("core: addresses are keyed per /32 and /64 and logged per /24 and /48", "[unit]") {
  CHECK(key_of("2001:db8:1:2:aaaa::1") == key_of("2001:db8:1:2:bbbb::9"));
  CHECK_FALSE(key_of("2001:db8:1:3::1") == key_of("2001:db8:1:2::1"));
  CHECK_FALSE(key_of("10.0.0.1") == key_of("10.0.0.2"));
  CHECK(log_address(parse_ip("203.0.113.77").value()) == "203.0.113.0/24");
  CHECK(log_address(parse_ip("2001:db8:1:2:3:4:5:6").value()) == "2001:db8:1::/48");
  CHECK_FALSE(parse_ip("1.2.3").ok());
  CHECK_FALSE(parse_ip("[::1]").ok());
}

TEST_CASE("core: X-Forwarded-For is read only from trusted proxies", "[unit]") {
  auto trusted = parse_cidr_list("10.0.0.0/8, ::1").value();
  auto proxy = parse_ip("10.1.2.3").value();
  auto stranger = parse_ip("192.0.2.1").value();
  CHECK(resolve_client(stranger, "198.51.100.1", trusted) == stranger);
  CHECK(resolve_client(proxy, "198.51.100.1", trusted) == parse_ip("198.51.100.1").value());
  CHECK(resolve_client(proxy, "6.6.6.6, 198.51.100.1, 10.9.9.9", trusted) == parse_ip("198.51.100.1").value());
  CHECK(resolve_client(proxy, "", trusted) == proxy);
  CHECK(resolve_client(proxy, "garbage", trusted) == proxy);
  CHECK_FALSE(parse_cidr("10.0.0.0/33").ok());
  CHECK_FALSE(parse_cidr_list("10.0.0.0/8,nope").ok());
}

TEST_CASE("core: a token bucket allows the burst - then the rate", "[unit]") {
  auto t0 = TimePoint{} + 1h;
  TokenBucket bucket(2, 3, t0);
  CHECK(bucket.try_take(t0));
  CHECK(bucket.try_take(t0));
  CHECK(bucket.try_take(t0));
  CHECK_FALSE(bucket.try_take(t0));
  CHECK(bucket.try_take(t0 + 500ms));
  CHECK_FALSE(bucket.try_take(t0 + 500ms));
  CHECK(bucket.full(t0 + 10s));
}

struct Fixture {
  Limits limits;
  TimePoint now = TimePoint{} + 1h;
  Admission admission{limits, now};
  Registry registry{limits, admission};
  AddressKey addr = key_of("192.0.2.1");
};

TEST_CASE("core: only a receiver opens a channel - unknown and used cids are expired alike", "[unit]") {
  Fixture f;
  auto sender_first = f.registry.join(cid_of(1), Role::sender, 1, f.addr, f.now);
  CHECK(sender_first.error == Code::expired);
  auto r = f.registry.join(cid_of(1), Role::receiver, 2, f.addr, f.now);
  CHECK_FALSE(r.error);
  CHECK(r.expires_in == f.limits.channel_lifetime);
  auto s = f.registry.join(cid_of(1), Role::sender, 3, f.addr, f.now + 1s);
  CHECK_FALSE(s.error);
  CHECK(s.peer_present);
  CHECK(s.notify_peer == ConnId{2});
  CHECK(s.expires_in == f.limits.channel_lifetime - 1s);
  auto left = f.registry.leave(cid_of(1), Role::receiver, 2, LeaveKind::normal, f.now + 2s);
  CHECK(left.peer_closed == ConnId{3});
  CHECK(f.registry.channels() == 0);
  CHECK(f.registry.join(cid_of(1), Role::receiver, 4, f.addr, f.now + 3s).error == Code::expired);
  CHECK(f.registry.join(cid_of(1), Role::sender, 5, f.addr, f.now + 3s).error == Code::expired);
  // Remembered for lifetime + grace after the end, then forgotten.
  f.registry.expire(f.now + 2s + f.limits.channel_lifetime + f.limits.grace - 1s);
  CHECK(f.registry.is_used(cid_of(1)));
  f.registry.expire(f.now + 2s + f.limits.channel_lifetime + f.limits.grace);
  CHECK_FALSE(f.registry.is_used(cid_of(1)));
}

TEST_CASE("core: a second of a role is channel_full and intrusion goes to everyone once", "[unit]") {
  Fixture f;
  REQUIRE_FALSE(f.registry.join(cid_of(2), Role::receiver, 1, f.addr, f.now).error);
  auto second = f.registry.join(cid_of(2), Role::receiver, 2, f.addr, f.now);
  CHECK(second.error == Code::channel_full);
  CHECK(second.intrusion == std::vector<ConnId>{1});
  REQUIRE_FALSE(f.registry.join(cid_of(2), Role::sender, 3, f.addr, f.now).error);
  auto third = f.registry.join(cid_of(2), Role::sender, 4, f.addr, f.now);
  CHECK(third.error == Code::channel_full);
  CHECK(third.intrusion.empty());  // once per channel
}

TEST_CASE("core: frames are logged - confirmed - trimmed and budgeted", "[unit]") {
  Fixture f;
  f.limits.max_frames_per_channel = 4;
  f.limits.max_channel_bytes = 100;
  REQUIRE_FALSE(f.registry.join(cid_of(3), Role::receiver, 1, f.addr, f.now).error);
  auto early = f.registry.forward(cid_of(3), Role::receiver, 1, frame(10), f.now);
  CHECK_FALSE(early.error);
  CHECK_FALSE(early.delivery);  // no sender yet: kept
  auto s = f.registry.join(cid_of(3), Role::sender, 2, f.addr, f.now);
  REQUIRE(s.backlog.size() == 1);
  CHECK(s.backlog[0].index == 0);
  auto fwd = f.registry.forward(cid_of(3), Role::sender, 2, frame(60), f.now);
  REQUIRE(fwd.delivery);
  CHECK(fwd.delivery->to == 1);
  CHECK(f.registry.buffered_bytes() == 70);
  auto over = f.registry.forward(cid_of(3), Role::sender, 2, frame(40), f.now);
  CHECK(over.error == Code::too_large);
  CHECK(over.slow_peer == ConnId{1});
  // A frame from someone else's socket confirms nothing.
  CHECK(f.registry.forward(cid_of(3), Role::receiver, 99, frame(1), f.now, 1).error == Code::expired);
  // The receiver's next frame says its socket took the sender's frame 0.
  CHECK_FALSE(f.registry.forward(cid_of(3), Role::receiver, 1, frame(1), f.now, 1).error);
  CHECK(f.registry.buffered_bytes() == 71);  // kept for a resume until the budget needs the room
  CHECK_FALSE(f.registry.forward(cid_of(3), Role::sender, 2, frame(40), f.now).error);
  CHECK(f.registry.buffered_bytes() == 51);  // 71 + 40 is over 100: the confirmed 60 went first (11 + 40)
  CHECK(f.registry.forward(cid_of(3), Role::receiver, 1, frame(1), f.now).error == Code::too_large);  // 5th frame
  CHECK(f.registry.forward(cid_of(3), Role::receiver, 99, frame(1), f.now).error == Code::expired);  // not the slot owner
}

namespace {
TokenHash token_of(std::uint8_t fill) {
  TokenHash t{};
  t.fill(fill);
  return t;
}
}  // namespace

TEST_CASE("core: a resume re-attaches the slot - confirms - replays - and hands out a new token", "[unit]") {
  Fixture f;
  auto cid = cid_of(9);
  REQUIRE_FALSE(f.registry.join(cid, Role::receiver, 1, f.addr, f.now, token_of(1)).error);
  REQUIRE_FALSE(f.registry.join(cid, Role::sender, 2, f.addr, f.now, token_of(2)).error);
  for (int i = 0; i < 3; ++i) REQUIRE(f.registry.forward(cid, Role::receiver, 1, frame(10), f.now).delivery);
  // All three went into the sender's socket, and its frame says so...
  REQUIRE_FALSE(f.registry.forward(cid, Role::sender, 2, frame(5), f.now, 3).error);
  auto left = f.registry.leave(cid, Role::sender, 2, LeaveKind::abnormal, f.now + 1s);
  CHECK(left.peer_left == ConnId{1});
  // ...but it received only one of them.
  auto back = f.registry.join(cid, Role::sender, 3, f.addr, f.now + 2s, token_of(3),
                              ResumeRequest{token_of(2), 1});
  REQUIRE_FALSE(back.error);
  CHECK(back.resumed);
  CHECK(back.received == 1);  // the relay had its one frame
  CHECK(back.notify_peer == ConnId{1});
  CHECK_FALSE(back.replaced);
  REQUIRE(back.backlog.size() == 2);
  CHECK(back.backlog[0].index == 1);
  CHECK(back.backlog[1].index == 2);
  CHECK(back.expires_in == f.limits.channel_lifetime - 2s);
  CHECK(f.registry.buffered_bytes() == 25);  // frame 0 confirmed and dropped
  // The token was single use: a replay is refused, and is an intrusion.
  auto replay = f.registry.join(cid, Role::sender, 4, f.addr, f.now + 3s, token_of(4),
                                ResumeRequest{token_of(2), 3});
  CHECK(replay.error == Code::expired);
  CHECK(replay.intrusion == std::vector<ConnId>{1, 3});
  // Bound to the role: the sender's token does not resume the receiver.
  CHECK(f.registry.join(cid, Role::receiver, 5, f.addr, f.now, token_of(5), ResumeRequest{token_of(3), 0})
            .error == Code::expired);
  // Bound to the channel.
  CHECK(f.registry.join(cid_of(10), Role::sender, 6, f.addr, f.now, token_of(6), ResumeRequest{token_of(3), 0})
            .error == Code::expired);
  // The new token takes over a socket that still looks connected.
  auto take = f.registry.join(cid, Role::sender, 7, f.addr, f.now + 4s, token_of(7),
                              ResumeRequest{token_of(3), 3});
  REQUIRE_FALSE(take.error);
  CHECK(take.replaced == ConnId{3});
  CHECK(take.backlog.empty());
  CHECK(f.registry.forward(cid, Role::sender, 3, frame(1), f.now).error == Code::expired);  // the old socket is out
  CHECK(f.registry.leave(cid, Role::sender, 3, LeaveKind::abnormal, f.now + 4s).peer_left == std::nullopt);
  // received beyond what the peer sent: bad_request, and the token is spent.
  CHECK(f.registry.join(cid, Role::sender, 8, f.addr, f.now, token_of(8), ResumeRequest{token_of(7), 9})
            .error == Code::bad_request);
  CHECK(f.registry.join(cid, Role::sender, 9, f.addr, f.now, token_of(9), ResumeRequest{token_of(7), 3})
            .error == Code::expired);
}

TEST_CASE("core: a resume after the grace or the channel's end is expired", "[unit]") {
  Fixture f;
  auto cid = cid_of(11);
  REQUIRE_FALSE(f.registry.join(cid, Role::receiver, 1, f.addr, f.now, token_of(1)).error);
  REQUIRE_FALSE(f.registry.join(cid, Role::sender, 2, f.addr, f.now, token_of(2)).error);
  (void)f.registry.leave(cid, Role::sender, 2, LeaveKind::abnormal, f.now);
  CHECK(f.registry.expire(f.now + f.limits.grace) == std::vector<ConnId>{1});
  CHECK(f.registry.join(cid, Role::sender, 3, f.addr, f.now + f.limits.grace, token_of(3),
                        ResumeRequest{token_of(2), 0})
            .error == Code::expired);
  // A normal close ends the channel at once: no resume.
  auto cid2 = cid_of(12);
  REQUIRE_FALSE(f.registry.join(cid2, Role::receiver, 4, f.addr, f.now, token_of(4)).error);
  (void)f.registry.leave(cid2, Role::receiver, 4, LeaveKind::normal, f.now);
  CHECK(f.registry.join(cid2, Role::receiver, 5, f.addr, f.now, token_of(5), ResumeRequest{token_of(4), 0})
            .error == Code::expired);
}

TEST_CASE("core: lifetime and grace end channels", "[unit]") {
  Fixture f;
  REQUIRE_FALSE(f.registry.join(cid_of(4), Role::receiver, 1, f.addr, f.now).error);
  CHECK(f.registry.expire(f.now + f.limits.channel_lifetime - 1ms).empty());
  CHECK(f.registry.expire(f.now + f.limits.channel_lifetime) == std::vector<ConnId>{1});
  REQUIRE_FALSE(f.registry.join(cid_of(5), Role::receiver, 2, f.addr, f.now).error);
  REQUIRE_FALSE(f.registry.join(cid_of(5), Role::sender, 3, f.addr, f.now).error);
  auto left = f.registry.leave(cid_of(5), Role::sender, 3, LeaveKind::abnormal, f.now);
  CHECK(left.peer_left == ConnId{2});
  CHECK(f.registry.expire(f.now + f.limits.grace - 1ms).empty());
  CHECK(f.registry.expire(f.now + f.limits.grace) == std::vector<ConnId>{2});
  CHECK(f.registry.channels() == 0);
}

TEST_CASE("core: new channels are rate limited per address and capped in total", "[unit]") {
  Fixture f;
  f.limits.channel_burst_per_address = 2;
  f.limits.max_channels = 3;
  std::uint8_t n = 10;
  CHECK_FALSE(f.registry.join(cid_of(n++), Role::receiver, 1, f.addr, f.now).error);
  CHECK_FALSE(f.registry.join(cid_of(n++), Role::receiver, 2, f.addr, f.now).error);
  auto limited = f.registry.join(cid_of(n++), Role::receiver, 3, f.addr, f.now);
  CHECK(limited.error == Code::rate_limited);
  CHECK(limited.limit == Limit::channel_rate);
  auto other = key_of("192.0.2.2");
  CHECK_FALSE(f.registry.join(cid_of(n++), Role::receiver, 4, other, f.now).error);
  auto full = f.registry.join(cid_of(n++), Role::receiver, 5, other, f.now);
  CHECK(full.error == Code::unavailable);
  CHECK(full.limit == Limit::capacity);
}

TEST_CASE("core: open channels are capped per address and network, and freed when they end", "[unit]") {
  Fixture f;
  f.limits.max_channels_per_address = 2;
  f.limits.max_channels_per_network = 3;
  std::uint8_t n = 10;
  CHECK_FALSE(f.registry.join(cid_of(n++), Role::receiver, 1, f.addr, f.now).error);
  CHECK_FALSE(f.registry.join(cid_of(n++), Role::receiver, 2, f.addr, f.now).error);
  auto third = f.registry.join(cid_of(n++), Role::receiver, 3, f.addr, f.now);
  CHECK(third.error == Code::rate_limited);
  CHECK(third.limit == Limit::open_channels);
  // Same /24, another address: the network's third channel, then its cap.
  CHECK_FALSE(f.registry.join(cid_of(n++), Role::receiver, 4, key_of("192.0.2.77"), f.now).error);
  CHECK(f.registry.join(cid_of(n++), Role::receiver, 5, key_of("192.0.2.78"), f.now).limit == Limit::open_channels);
  // Another /24 is not affected.
  CHECK_FALSE(f.registry.join(cid_of(n++), Role::receiver, 6, key_of("198.51.100.1"), f.now).error);
  // A normal close ends the first channel: its place is free again.
  f.registry.leave(cid_of(10), Role::receiver, 1, LeaveKind::normal, f.now);
  CHECK_FALSE(f.registry.join(cid_of(n++), Role::receiver, 7, f.addr, f.now).error);
  // Expiry frees places too.
  f.registry.expire(f.now + f.limits.channel_lifetime);
  CHECK(f.registry.channels() == 0);
  CHECK(f.admission.tracked_keys() > 0);  // buckets not yet full again
  f.admission.prune(f.now + f.limits.channel_lifetime + 1h);
  CHECK(f.admission.tracked_keys() == 0);
}

TEST_CASE("core: IPv6 limits hold per /64, /56 and /48", "[unit]") {
  Fixture f;
  f.limits.max_connections_per_address = 2;
  f.limits.max_connections_per_network = 3;
  f.limits.max_connections_per_site = 4;
  Admission a(f.limits, f.now);
  CHECK_FALSE(a.acquire_address(key_of("2001:db8:0:100::1")));
  CHECK_FALSE(a.acquire_address(key_of("2001:db8:0:100::2")));
  CHECK(a.acquire_address(key_of("2001:db8:0:100::3"))->limit == Limit::max_connections_per_address);
  // Another /64 of the same /56.
  CHECK_FALSE(a.acquire_address(key_of("2001:db8:0:1ff::1")));
  auto network = a.acquire_address(key_of("2001:db8:0:1fe::1"));
  REQUIRE(network);
  CHECK(network->code == Code::rate_limited);
  CHECK(network->limit == Limit::max_connections_per_network);
  // Another /56 of the same /48: one more fits the site.
  CHECK_FALSE(a.acquire_address(key_of("2001:db8:0:200::1")));
  CHECK(a.acquire_address(key_of("2001:db8:0:300::1"))->limit == Limit::max_connections_per_network);
  // Another /48 is not affected; releases give places back at every scope.
  CHECK_FALSE(a.acquire_address(key_of("2001:db8:1::1")));
  a.release_address(key_of("2001:db8:0:100::1"), f.now);
  CHECK_FALSE(a.acquire_address(key_of("2001:db8:0:300::1")));
}

TEST_CASE("core: scope keys - IPv4 /24, IPv6 /56 and /48", "[unit]") {
  CHECK(scope_key(key_of("192.0.2.200"), Scope::network) == key_of("192.0.2.0"));
  CHECK_FALSE(scope_key(key_of("192.0.2.200"), Scope::site));
  CHECK(scope_key(key_of("2001:db8:aa:bbcc::1"), Scope::network) == key_of("2001:db8:aa:bb00::"));
  CHECK(scope_key(key_of("2001:db8:aa:bbcc::1"), Scope::site) == key_of("2001:db8:aa::"));
}

TEST_CASE("core: bytes of messages still arriving count against the buffered total", "[unit]") {
  Fixture f;
  f.limits.max_buffered_bytes = 1000;
  CHECK(f.registry.reserve_incoming(600));
  CHECK_FALSE(f.registry.reserve_incoming(401));
  CHECK(f.registry.buffered_bytes() == 600);
  CHECK(f.registry.reserve_incoming(400));
  // At the cap, new channels are refused as for held frames.
  CHECK(f.registry.join(cid_of(1), Role::receiver, 1, f.addr, f.now).limit == Limit::capacity);
  f.registry.release_incoming(1000);
  CHECK(f.registry.buffered_bytes() == 0);
  CHECK_FALSE(f.registry.join(cid_of(1), Role::receiver, 1, f.addr, f.now).error);
}

TEST_CASE("core: per-address connection counts", "[unit]") {
  Fixture f;
  f.limits.max_connections_per_address = 2;
  f.limits.max_connections = 3;
  Admission a(f.limits, f.now);
  CHECK_FALSE(a.acquire_address(f.addr));
  CHECK_FALSE(a.acquire_address(f.addr));
  auto refused = a.acquire_address(f.addr);
  REQUIRE(refused);
  CHECK(refused->code == Code::rate_limited);
  CHECK(refused->limit == Limit::max_connections_per_address);
  CHECK_FALSE(a.acquire_address(key_of("192.0.2.9")));
  a.release_address(f.addr, f.now);
  CHECK_FALSE(a.acquire_address(f.addr));
  for (int i = 0; i < 3; ++i) CHECK_FALSE(a.acquire_connection());
  CHECK(a.acquire_connection() == Code::unavailable);
}

TEST_CASE("core: control messages keep the bytes nlohmann::json wrote", "[unit]") {
  // The relay renders these without nlohmann::json now; clients may compare
  // bytes, so they must stay what json::dump() gave (sorted keys, no spaces).
  auto joined_ref = [](const JoinedInfo& i) {
    nlohmann::json j = {{"type", "joined"},
                        {"role", role_name(i.role)},
                        {"expires_in_ms", i.expires_in.count() < 0 ? 0 : i.expires_in.count()},
                        {"peer", i.peer}};
    if (!i.resume_token.empty()) j["resume_token"] = i.resume_token;
    if (i.received) j["received"] = *i.received;
    return j.dump();
  };
  for (const JoinedInfo& i : {JoinedInfo{Role::sender, 1234ms, true, "", std::nullopt},
                              JoinedInfo{Role::receiver, 5ms, false, "tok_-en", 7},
                              JoinedInfo{Role::receiver, -5ms, false, "", 0},
                              JoinedInfo{Role::sender, 0ms, true, "a\"b\\c\n", std::numeric_limits<std::uint64_t>::max()},
                              JoinedInfo{Role::receiver, 120000ms, true, std::string(43, 'Z'), std::nullopt}})
    CHECK(make_joined_message(i) == joined_ref(i));
  CHECK(make_joined_message({Role::sender, 1234ms, true, "", std::nullopt}) ==
        R"({"expires_in_ms":1234,"peer":true,"role":"sender","type":"joined"})");
  for (auto e : {PeerEvent::joined, PeerEvent::left, PeerEvent::back})
    CHECK(make_peer_message(e) == nlohmann::json{{"type", "peer"}, {"event", peer_event_name(e)}}.dump());
  CHECK(make_peer_message(PeerEvent::left) == R"({"event":"left","type":"peer"})");
  for (std::size_t c = 0; c < kCodeCount; ++c) {
    auto code = static_cast<Code>(c);
    CHECK(make_error_message(code) == nlohmann::json{{"type", "error"},
                                                     {"code", code_name(code)},
                                                     {"message", code_message(code)},
                                                     {"resume", code_resumable(code)}}
                                          .dump());
  }
  CHECK(make_intrusion_message() == R"({"type":"intrusion"})");
  CHECK(make_error_message(Code::going_away) ==
        R"({"code":"going_away","message":"the relay is shutting down","resume":true,"type":"error"})");
}

TEST_CASE("core: control messages round-trip", "[unit]") {
  auto joined = parse_control(make_joined_message({Role::sender, 1234ms, true, "", std::nullopt}));
  REQUIRE(joined.ok());
  CHECK(joined->type == "joined");
  CHECK(joined->role == Role::sender);
  CHECK(joined->expires_in == 1234ms);
  CHECK(joined->peer == true);
  CHECK(joined->resume_token.empty());
  CHECK_FALSE(joined->received);
  auto resumed = parse_control(make_joined_message({Role::receiver, 5ms, false, "tok_-en", 7}));
  REQUIRE(resumed.ok());
  CHECK(resumed->resume_token == "tok_-en");
  CHECK(resumed->received == 7u);
  CHECK_FALSE(parse_control(R"({"type":"joined","role":"sender","expires_in_ms":1,"peer":true,"received":-1})").ok());
  CHECK_FALSE(parse_control(R"({"type":"joined","role":"sender","expires_in_ms":1,"peer":true,"resume_token":5})").ok());
  auto error = parse_control(make_error_message(Code::channel_full));
  REQUIRE(error.ok());
  CHECK(error->code == "channel_full");
  CHECK(parse_control(make_peer_message(PeerEvent::back))->event == "back");
  CHECK(parse_control(make_intrusion_message())->type == "intrusion");
  CHECK_FALSE(parse_control("[]").ok());
  CHECK_FALSE(parse_control("{\"type\":3}").ok());
  CHECK_FALSE(parse_control("not json").ok());
  CHECK(code_close(Code::expired) == 4404);
  CHECK(code_close(Code::channel_full) == 4409);
  CHECK(code_close(Code::rate_limited) == 4429);
  CHECK(code_close(Code::too_large) == 4413);
  CHECK(code_close(Code::slow_consumer) == 4408);
  CHECK(code_close(Code::bad_request) == 1008);
  CHECK(code_close(Code::unavailable) == 1013);
  CHECK(code_close(Code::going_away) == 1001);
  CHECK(code_close(Code::replaced) == 4001);
  CHECK(code_name(Code::replaced) == "replaced");
}

TEST_CASE("core: channel tags are keyed - short - and change when the key rotates", "[unit]") {
  testing::ScriptedRng rng;
  rng.push(Bytes(32, 1));
  rng.push(Bytes(32, 2));
  auto t0 = TimePoint{} + 1h;
  ChannelTagger tagger(rng, t0);
  auto a = tagger.tag(cid_of(9), t0);
  CHECK(a.size() == 16);
  CHECK(a == tagger.tag(cid_of(9), t0 + 1h));
  CHECK(a != tagger.tag(cid_of(8), t0));
  CHECK(a != hex_encode(ByteView{cid_of(9)}).substr(0, 16));
  CHECK(a != tagger.tag(cid_of(9), t0 + 24h));
}

TEST_CASE("config: a flag beats the environment - which beats the default", "[unit]") {
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "QRLOGIN_RELAY_MAX_FRAMES_PER_CHANNEL") return "20";
    if (name == "QRLOGIN_RELAY_PING_INTERVAL") return "1500ms";
    return std::nullopt;
  };
  auto from_env = parse_config({}, env);
  REQUIRE(from_env.ok());
  CHECK(from_env->config.limits.max_frames_per_channel == 20);
  CHECK(from_env->config.limits.ping_interval == 1500ms);
  CHECK(from_env->config.limits.pong_timeout == 10s);
  auto from_flag =
      parse_config({"--max-frames-per-channel", "30", "--listen=0.0.0.0:0", "--public-url", "https://r.example"}, env);
  REQUIRE(from_flag.ok());
  CHECK(from_flag->config.limits.max_frames_per_channel == 30);
  CHECK(from_flag->config.listen_host == "0.0.0.0");
  CHECK(from_flag->config.listen_port == 0);
  CHECK_FALSE(parse_config({"--nope"}, env).ok());
  CHECK_FALSE(parse_config({"--threads", "0"}, env).ok());
  CHECK_FALSE(parse_config({"--ping-interval", "soon"}, env).ok());

  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto defaults_only = parse_config({}, none);
  REQUIRE(defaults_only.ok());
  CHECK(defaults_only->config.limits.code_lifetime == 300s);
  CHECK(defaults_only->config.limits.max_code_channels == 100000);
  CHECK(defaults_only->config.limits.max_code_lookups == 50);
  auto code_env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "QRLOGIN_RELAY_CODE_LIFETIME") return "2s";
    if (name == "QRLOGIN_RELAY_MAX_CODE_CHANNELS") return "7";
    if (name == "QRLOGIN_RELAY_MAX_CODE_LOOKUPS") return "0.5";
    return std::nullopt;
  };
  auto code = parse_config({"--max-code-channels", "9"}, code_env);
  REQUIRE(code.ok());
  CHECK(code->config.limits.code_lifetime == 2s);
  CHECK(code->config.limits.max_code_channels == 9);
  CHECK(code->config.limits.max_code_lookups == 0.5);
  CHECK_FALSE(parse_config({"--max-code-lookups", "0"}, none).ok());
  CHECK(help_text().find("QRLOGIN_RELAY_MAX_CODE_LOOKUPS") != std::string::npos);
  auto bench = parse_config({"--profile", "bench"}, none);
  REQUIRE(bench.ok());
  Limits defaults;
  CHECK(bench->config.limits.max_frames_per_channel > defaults.max_frames_per_channel);
  CHECK(bench->config.limits.max_connections_per_address > defaults.max_connections_per_address);
  CHECK(bench->config.limits.channel_rate_per_address > defaults.channel_rate_per_address);
  CHECK(bench->config.limits.max_channel_bytes == defaults.max_channel_bytes);
  CHECK(bench->config.limits.max_frame_bytes == defaults.max_frame_bytes);
  CHECK(bench->config.limits.channel_rate_global == defaults.channel_rate_global);
  CHECK(bench->config.limits.max_connections_per_network > defaults.max_connections_per_network);
  CHECK(bench->config.limits.max_channels_per_site > defaults.max_channels_per_site);
  CHECK(bench->config.limits.channel_rate_per_network > defaults.channel_rate_per_network);
  CHECK(bench->config.limits.write_timeout == defaults.write_timeout);
  auto origins = allowed_origins_for(from_env->config, 8080);
  CHECK(std::find(origins.begin(), origins.end(), "http://127.0.0.1:8080") != origins.end());
  CHECK(std::find(origins.begin(), origins.end(), "http://localhost:8080") != origins.end());
}

namespace {
// The message of a configuration parse_config must refuse.
std::string refusal(std::vector<std::string> args, std::map<std::string, std::string> vars = {}) {
  auto env = [vars](std::string_view name) -> std::optional<std::string> {
    auto it = vars.find(std::string(name));
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
  auto parsed = parse_config(args, env);
  if (parsed.ok()) return "(accepted)";
  return parsed.error().message;
}
bool contains(const std::string& text, std::string_view part) { return text.find(part) != std::string::npos; }
}  // namespace

TEST_CASE("config: unsafe settings are refused with what to do instead", "[unit]") {
  CHECK(contains(refusal({"--listen", "0.0.0.0:8080"}), "pass --public-url"));
  CHECK(contains(refusal({"--listen", "[::]:8080"}), "pass --public-url"));
  CHECK(refusal({"--listen", "0.0.0.0:8080", "--public-url", "https://relay.example"}) == "(accepted)");

  CHECK(contains(refusal({"--trust-proxy", "0.0.0.0/0"}), "0.0.0.0/0 is wider than /8"));
  CHECK(contains(refusal({"--trust-proxy", "10.0.0.1,::/0"}), "::/0 is wider than /8"));
  CHECK(contains(refusal({"--trust-proxy", "10.0.0.0/7"}), "wider than /8"));
  CHECK(refusal({"--trust-proxy", "10.0.0.0/8"}) == "(accepted)");
  CHECK(refusal({"--trust-proxy", "0.0.0.0/0", "--trust-proxy-wide"}) == "(accepted)");
  CHECK(refusal({"--trust-proxy", "0.0.0.0/0"}, {{"QRLOGIN_RELAY_TRUST_PROXY_WIDE", "yes"}}) == "(accepted)");
  CHECK(contains(refusal({"--trust-proxy-wide=1"}), "takes no value"));

  CHECK(contains(refusal({"--ping-interval", "0.5ms"}), "whole milliseconds"));
  CHECK(contains(refusal({"--grace", "1.5ms"}), "whole milliseconds"));
  CHECK(refusal({"--grace", "1.5s"}) == "(accepted)");

  auto profile = refusal({}, {{"QRLOGIN_RELAY_PROFILE", "bench"}});
  CHECK(contains(profile, "QRLOGIN_RELAY_PROFILE"));
  CHECK(contains(profile, "only from --profile"));
  CHECK(refusal({"--profile", "bench"}) == "(accepted)");

  auto password = refusal({"--redis", "redis://qrlogin:Sekr3t@10.0.0.20:6379", "--redis-key-file", "/k"});
  CHECK(contains(password, "--redis-password-file"));
  CHECK_FALSE(contains(password, "Sekr3t"));
}

TEST_CASE("config: errors carry the config's own codes - bad_flag, unsafe, file_limit", "[unit]") {
  auto code_of = [](std::vector<std::string> args, std::map<std::string, std::string> vars = {}) {
    auto parsed = parse_config(args, [vars](std::string_view name) -> std::optional<std::string> {
      auto it = vars.find(std::string(name));
      if (it == vars.end()) return std::nullopt;
      return it->second;
    });
    REQUIRE_FALSE(parsed.ok());
    CHECK(parsed.error().code.category() == config_error_category());
    return parsed.error().code;
  };
  CHECK(code_of({"--nope"}) == ConfigErrc::bad_flag);
  CHECK(code_of({"--threads", "0"}) == ConfigErrc::bad_flag);
  CHECK(code_of({}, {{"QRLOGIN_RELAY_PING_INTERVAL", "soon"}}) == ConfigErrc::bad_flag);
  CHECK(code_of({"--trust-proxy", "not-an-address"}) == ConfigErrc::bad_flag);  // the address parser's code is not passed on
  CHECK(code_of({"--redis", "http://10.0.0.20"}) == ConfigErrc::bad_flag);
  CHECK(code_of({"--listen", "0.0.0.0:8080"}) == ConfigErrc::unsafe);
  CHECK(code_of({"--trust-proxy", "0.0.0.0/0"}) == ConfigErrc::unsafe);
  CHECK(code_of({}, {{"QRLOGIN_RELAY_PROFILE", "bench"}}) == ConfigErrc::unsafe);
  CHECK(code_of({"--redis", "redis://qrlogin:Sekr3t@10.0.0.20:6379"}) == ConfigErrc::unsafe);
  CHECK(code_of({}, {{"QRLOGIN_RELAY_REDIS", "redis://qrlogin:Sekr3t@10.0.0.20:6379"}}) == ConfigErrc::unsafe);
  CHECK(error_name(make_error_code(ConfigErrc::unsafe)) == "unsafe");

  auto low = ensure_file_limit(19000, [] { return FileLimit{1024, 4096}; }, [](std::uint64_t) { return true; });
  REQUIRE_FALSE(low.ok());
  CHECK(low.error().code == ConfigErrc::file_limit);
}

TEST_CASE("config: the open-file limit is raised to the hard limit, or the start refused", "[unit]") {
  std::optional<std::uint64_t> raised;
  auto set = [&](std::uint64_t soft) {
    raised = soft;
    return true;
  };
  CHECK(ensure_file_limit(19000, [] { return FileLimit{20000, 20000}; }, set).ok());
  CHECK_FALSE(raised);
  CHECK(ensure_file_limit(19000, [] { return FileLimit{1024, 524288}; }, set).ok());
  CHECK(raised == 524288u);
  auto low = ensure_file_limit(19000, [] { return FileLimit{1024, 4096}; }, set);
  REQUIRE_FALSE(low.ok());
  CHECK(contains(low.error().message, "--max-connections 19000 needs 19064 open files"));
  CHECK(contains(low.error().message, "at most 4096"));
  CHECK(contains(low.error().message, "LimitNOFILE"));
  auto refused = ensure_file_limit(100, [] { return FileLimit{100, 1000}; }, [](std::uint64_t) { return false; });
  CHECK_FALSE(refused.ok());
}

TEST_CASE("config: TLS needs a certificate and a key - and makes the default URL and origins https", "[unit]") {
  auto env = [](std::string_view name) -> std::optional<std::string> {
    if (name == "QRLOGIN_RELAY_TLS_KEY") return "/etc/relay/key.pem";
    return std::nullopt;
  };
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto both = parse_config({"--tls-cert", "/etc/relay/cert.pem"}, env);  // the key from the environment
  REQUIRE(both.ok());
  CHECK(both->config.tls());
  CHECK(both->config.tls_cert_file == "/etc/relay/cert.pem");
  CHECK(both->config.tls_key_file == "/etc/relay/key.pem");
  CHECK(public_url_for(both->config, 8443) == "https://127.0.0.1:8443");
  auto origins = allowed_origins_for(both->config, 8443);
  CHECK(std::find(origins.begin(), origins.end(), "https://localhost:8443") != origins.end());
  CHECK(std::find(origins.begin(), origins.end(), "http://localhost:8443") == origins.end());

  auto only_cert = parse_config({"--tls-cert", "/etc/relay/cert.pem"}, none);
  REQUIRE_FALSE(only_cert.ok());
  CHECK(only_cert.error().message.find("--tls-key") != std::string::npos);
  CHECK_FALSE(parse_config({}, env).ok());  // a key alone
  CHECK_FALSE(parse_config({"--tls-cert", ""}, env).ok());

  auto plain = parse_config({}, none);
  REQUIRE(plain.ok());
  CHECK_FALSE(plain->config.tls());
  CHECK(public_url_for(plain->config, 8080) == "http://127.0.0.1:8080");
  CHECK(help_text().find("--tls-cert") != std::string::npos);
  CHECK(help_text().find("SIGHUP") != std::string::npos);
}

TEST_CASE("config: --redis is checked at start - its files only go with it", "[unit]") {
  auto none = [](std::string_view) -> std::optional<std::string> { return std::nullopt; };
  auto cluster = parse_config({"--redis", "redis://qrlogin@10.0.0.20:6380/2", "--redis-key-file", "/etc/k"}, none);
  REQUIRE(cluster.ok());
  CHECK(cluster->config.cluster());
  CHECK(cluster->config.redis_key_file == "/etc/k");
  CHECK_FALSE(parse_config({}, none)->config.cluster());

  auto bad_url = parse_config({"--redis", "http://10.0.0.20"}, none);
  REQUIRE_FALSE(bad_url.ok());
  CHECK(bad_url.error().message.starts_with("--redis:"));
  auto alone = parse_config({"--redis-key-file", "/etc/k"}, none);
  REQUIRE_FALSE(alone.ok());
  CHECK(alone.error().message.find("only with --redis") != std::string::npos);
  CHECK(help_text().find("--redis-password-file") != std::string::npos);
}

}  // namespace
}  // namespace qrlogin::relay
