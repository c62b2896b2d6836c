// /metrics: on its own listener only, Prometheus text, labels from fixed
// sets only: a thousand random cids leave the number of series unchanged
// and no cid or address ever appears.
#include <set>
#include <sstream>

#include "tests/support/relay_helpers.hpp"

namespace qrlogin::testing {


TEST_CASE("metrics: 1000 random cids leave the series unchanged - and no cid or address shows", "[integration]") {
  RelayProcess relay;
  REQUIRE(relay.metrics_port() != 0);
  REQUIRE(relay.metrics_port() != relay.port());
  auto before = series_of(get_metrics(relay.metrics_port()));
  REQUIRE(before.count("qrlogin_relay_connections") == 1);
  REQUIRE(before.count("qrlogin_relay_errors_total{code=\"expired\"}") == 1);

  std::vector<std::string> cids;
  auto context = std::make_shared<relay_client::Context>(2);
  for (int i = 0; i < 1000; ++i) {
    cids.push_back(random_cid());
    auto o = options_for(relay, cids.back(), "sender");
    o.context = context;
    auto c = Client::connect(o);
    REQUIRE(c);
    auto error = c.client->next_control("error");
    REQUIRE(error.ok());
    REQUIRE(error->control.code == "expired");
  }
  // One pairing too, so the counters move.
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver", false);
  auto sender = join(relay, cid, "sender", true);
  REQUIRE(receiver->next_control("peer").ok());
  auto hello = frame_of(0x01, 65);
  REQUIRE(sender->send(hello).ok());
  expect_binary(*receiver, hello);
  REQUIRE(receiver->close(1000).ok());
  REQUIRE(sender->wait_closed().ok());
  CHECK(channels_empty(relay));

  auto text = get_metrics(relay.metrics_port());
  auto after = series_of(text);
  std::set<std::string> names_before, names_after;
  for (const auto& [k, v] : before) names_before.insert(k);
  for (const auto& [k, v] : after) names_after.insert(k);
  CHECK(names_before == names_after);
  CHECK(after["qrlogin_relay_errors_total{code=\"expired\"}"] >= 1000);
  CHECK(after["qrlogin_relay_pairings_completed_total"] == 1);
  CHECK(after["qrlogin_relay_frames_forwarded_total"] == 1);
  CHECK(after["qrlogin_relay_bytes_forwarded_total"] == 65);
  CHECK(after["qrlogin_relay_channels"] == 0);
  INFO(text);
  for (const auto& c : cids) REQUIRE(text.find(c) == std::string::npos);
  CHECK(text.find(cid) == std::string::npos);
  CHECK(text.find("127.0.0") == std::string::npos);
}

TEST_CASE("metrics: not served on the public port - only /metrics on the metrics port", "[integration]") {
  RelayProcess relay;
  (void)get_metrics(relay.port(), "/metrics", 404);
  (void)get_metrics(relay.metrics_port(), "/", 404);
  (void)get_metrics(relay.metrics_port(), "/healthz", 404);
  auto text = get_metrics(relay.metrics_port());
  CHECK(text.find("# TYPE qrlogin_relay_connections gauge") != std::string::npos);
}

TEST_CASE("metrics: intrusions - resumes and limits are counted", "[integration]") {
  RelayProcess relay({"--channel-burst", "1", "--channel-rate", "0.01"});
  auto cid = random_cid();
  auto receiver = join(relay, cid, "receiver", false);
  auto second = connect(relay, cid, "receiver");
  REQUIRE(second);
  expect_error_then_close(*second.client, "channel_full", 4409);
  auto limited = connect(relay, random_cid(), "receiver");
  REQUIRE(limited);
  expect_error_then_close(*limited.client, "rate_limited", 4429);
  auto o = options_for(relay, cid, "sender");
  o.resume_token = base64url_encode(random_bytes(32));
  auto wrong = Client::connect(o);
  REQUIRE(wrong);
  expect_error_then_close(*wrong.client, "expired", 4404);
  auto m = series_of(get_metrics(relay.metrics_port()));
  CHECK(m["qrlogin_relay_intrusions_total"] == 2);
  CHECK(m["qrlogin_relay_resumes_total{result=\"refused\"}"] == 1);
  CHECK(m["qrlogin_relay_rejected_total{limit=\"channel_rate\"}"] == 1);
  CHECK(m["qrlogin_relay_errors_total{code=\"channel_full\"}"] == 1);
}

TEST_CASE("metrics: --metrics-listen off serves no metrics", "[integration]") {
  RelayProcess relay({"--metrics-listen", "off"});
  CHECK(relay.metrics_port() == 0);
  CHECK(relay.output().find("metrics_port") == std::string::npos);
}

}  // namespace qrlogin::testing
