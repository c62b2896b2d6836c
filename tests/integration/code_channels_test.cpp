// Code channels (kind=code) through a real qrlogin-relay process: what a
// client sees on the wire - `joined` with "kind":"code", the close codes,
// no intrusion notice for a prober, the lookup limit before any lookup,
// the caps and the lookup budget as `unavailable`, and /metrics. The rules
// themselves, in both backends, are tests/conformance's.
#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {

namespace {

Options code_options(const RelayProcess& relay, const std::string& cid, const std::string& role,
                     const std::string& bind = {}) {
  Options o = options_for(relay, cid, role);
  o.target = "/v1/channels/" + cid + "?role=" + role + "&kind=code";
  o.bind_address = bind;
  return o;
}

// Connects and expects the refusal `code` with `close_code`.
void refused_with(const Options& options, const std::string& code, std::uint16_t close_code) {
  auto c = Client::connect(options);
  INFO(c.error);
  REQUIRE(c);
  expect_error_then_close(*c.client, code, close_code);
}

double metric(const RelayProcess& relay, const std::string& series) { return metrics_of(relay)[series]; }

}  // namespace

TEST_CASE("code channels: joined carries \"kind\":\"code\" (a QR channel's does not), and the pair forwards",
          "[integration]") {
  RelayProcess relay{{"--code-lifetime", "90s"}};
  auto cid = random_cid();
  auto [receiver, r_joined] = join_event(code_options(relay, cid, "receiver"));
  CHECK(r_joined.control.kind == "code");
  CHECK(r_joined.text.find(R"("kind":"code")") != std::string::npos);
  // The code lifetime, not the QR channels' 120 s.
  CHECK(r_joined.control.expires_in.value() <= 90000ms);
  CHECK(r_joined.control.expires_in.value() > 80000ms);
  auto [sender, s_joined] = join_event(code_options(relay, cid, "sender"));
  CHECK(s_joined.control.kind == "code");
  CHECK(s_joined.control.peer == std::optional<bool>(true));
  REQUIRE(receiver->next_control("peer").ok());
  auto frame = frame_of(0x07, 40);
  REQUIRE(sender->send(frame).ok());
  expect_binary(*receiver, frame);

  auto [qr, qr_joined] = join_event(options_for(relay, random_cid(), "receiver"));
  CHECK(qr_joined.control.kind.empty());
  CHECK(qr_joined.text.find("kind") == std::string::npos);
  CHECK(qr_joined.control.expires_in.value() > 100000ms);
}

TEST_CASE("code channels: kind=code exactly once - another value or a second kind is HTTP 400", "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  for (std::string_view query : {"role=receiver&kind=code&kind=code", "role=receiver&kind=qr", "role=sender&kind=",
                                   "role=receiver&kind=CODE", "kind=code"}) {
    INFO(query);
    Options o;
    o.port = relay.port();
    o.target = "/v1/channels/" + cid + "?" + std::string(query);
    auto c = Client::connect(o);
    CHECK_FALSE(c);
    CHECK(c.http_status == 400);
  }
  auto receiver = join_with(code_options(relay, cid, "receiver"));  // the cid was never opened by the above
}

TEST_CASE("code channels: probers get taken 4410 and channel_full 4409, and the waiting receiver hears no intrusion",
          "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  auto receiver = join_with(code_options(relay, cid, "receiver"));
  refused_with(code_options(relay, cid, "receiver", "127.0.0.2"), "taken", 4410);
  refused_with(options_for(relay, cid, "receiver"), "taken", 4410);  // a QR receiver on a code cid
  auto sender = join_with(code_options(relay, cid, "sender"), true);
  REQUIRE(receiver->next_control("peer").ok());
  refused_with(code_options(relay, cid, "sender", "127.0.0.3"), "channel_full", 4409);
  refused_with(options_for(relay, cid, "sender"), "expired", 4404);  // a QR sender on a code cid

  // What reaches the receiver next is its peer's frame: no intrusion notice,
  // and the pairing goes on.
  auto frame = frame_of(0x07, 33);
  REQUIRE(sender->send(frame).ok());
  expect_binary(*receiver, frame);
  REQUIRE(sender->close(1000).ok());
  auto left = receiver->next(5s);
  REQUIRE(left.ok());
  CHECK(left->control.type == "peer");
  CHECK(left->control.event == "left");

  // Ended: the cid is remembered, a receiver still finds it taken.
  refused_with(code_options(relay, cid, "receiver", "127.0.0.4"), "taken", 4410);
  auto m = metrics_of(relay);
  CHECK(m["qrlogin_relay_intrusions_total"] == 0);
  CHECK(m["qrlogin_relay_code_lookups_total{result=\"taken\"}"] == 3);
  CHECK(m["qrlogin_relay_code_lookups_total{result=\"hit\"}"] == 1);
  CHECK(m["qrlogin_relay_code_lookups_total{result=\"full\"}"] == 1);
  CHECK(m["qrlogin_relay_errors_total{code=\"taken\"}"] == 3);
}

TEST_CASE("code channels: the eleventh lookup a minute from an address is rate_limited 4429 before it looks",
          "[integration]") {
  RelayProcess relay;
  auto cid = random_cid();
  auto receiver = join_with(code_options(relay, cid, "receiver", "127.0.0.2"));
  for (int i = 0; i < 10; ++i) refused_with(code_options(relay, random_cid(), "sender"), "expired", 4404);
  // The eleventh would find an open channel, but never looks: the receiver
  // hears nothing and the channel stays open for its real sender.
  refused_with(code_options(relay, cid, "sender"), "rate_limited", 4429);
  // Another address still looks up.
  auto sender = join_with(code_options(relay, cid, "sender", "127.0.0.3"), true);
  auto peer = receiver->next(5s);
  REQUIRE(peer.ok());
  CHECK(peer->control.type == "peer");
  CHECK(peer->control.event == "joined");
  auto m = metrics_of(relay);
  CHECK(m["qrlogin_relay_code_lookups_total{result=\"miss\"}"] == 10);
  CHECK(m["qrlogin_relay_code_lookups_total{result=\"rate_limited\"}"] == 1);
  CHECK(m["qrlogin_relay_code_lookups_total{result=\"hit\"}"] == 1);
  CHECK(m["qrlogin_relay_rejected_total{limit=\"code_lookups\"}"] == 1);
  // QR channels are no lookups: the same address still opens and joins them.
  auto qr = random_cid();
  auto qr_receiver = join(relay, qr, "receiver");
  auto qr_sender = join(relay, qr, "sender", true);
}

TEST_CASE("code channels: past --max-code-channels or 16 per address, unavailable 1013 - QR channels still open",
          "[integration]") {
  RelayProcess relay{{"--max-code-channels", "17"}};
  std::vector<std::unique_ptr<Client>> open;
  for (int i = 0; i < 16; ++i) open.push_back(join_with(code_options(relay, random_cid(), "receiver")));
  refused_with(code_options(relay, random_cid(), "receiver"), "unavailable", 1013);  // the 17th at one address
  open.push_back(join_with(code_options(relay, random_cid(), "receiver", "127.0.0.2")));
  refused_with(code_options(relay, random_cid(), "receiver", "127.0.0.3"), "unavailable", 1013);  // 18th in all
  auto qr = join(relay, random_cid(), "receiver");
  CHECK(metric(relay, "qrlogin_relay_rejected_total{limit=\"code_channels\"}") == 2);
}

TEST_CASE("code channels: with the lookup budget spent new code channels are unavailable 1013, and the metric rises",
          "[integration]") {
  RelayProcess relay{{"--max-code-lookups", "1"}};
  refused_with(code_options(relay, random_cid(), "sender"), "expired", 4404);
  refused_with(code_options(relay, random_cid(), "sender", "127.0.0.2"), "expired", 4404);
  refused_with(code_options(relay, random_cid(), "receiver", "127.0.0.3"), "unavailable", 1013);
  CHECK(metric(relay, "qrlogin_relay_rejected_total{limit=\"code_lookup_budget\"}") == 1);
  auto qr = join(relay, random_cid(), "receiver", false);
  // A second later the budget is back.
  REQUIRE(wait_until(
      [&] {
        auto c = Client::connect(code_options(relay, random_cid(), "receiver", "127.0.0.4"));
        if (!c) return false;
        auto first = c.client->next(5s);
        return first.ok() && first->control.type == "joined";
      },
      5s));
}

}  // namespace qrlogin::testing
