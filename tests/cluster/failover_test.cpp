// A node that dies or freezes mid-pairing: its clients resume on another
// node and every frame still reaches its peer exactly once; a frozen node
// that wakes up can no longer forward anything (fencing).
#include <signal.h>
#include <sys/types.h>

#include "tests/cluster/cluster_helpers.hpp"
#include "tests/support/nginx_process.hpp"

using namespace qrlogin::testing;
using namespace std::chrono_literals;

namespace {

std::vector<const RelayProcess*> nodes_of(Cluster& cluster) {
  std::vector<const RelayProcess*> out;
  for (std::size_t i = 0; i < cluster.size(); ++i) out.push_back(&cluster.node(i));
  return out;
}

// Resumes the slot `token` belongs to on `relay`, having received
// `received` frames; expects `joined` and returns the client and it.
std::pair<std::unique_ptr<Client>, Event> resume_on(const RelayProcess& relay, const std::string& cid,
                                                    const std::string& role, const std::string& token,
                                                    std::uint64_t received) {
  auto o = options_for(relay, cid, role);
  o.resume_token = token;
  o.received = received;
  return join_event(o);
}

}  // namespace

TEST_CASE("SIGKILL of the node(s) holding the CLIs after HELLO, before CREDENTIAL - the pairing completes through nginx") {
  require_nginx();
  // Which client's node dies: both nodes, or only one of them.
  enum class Kill { both, sender, receiver };
  auto which = GENERATE(Kill::both, Kill::sender, Kill::receiver);
  INFO("killing the node(s) of " << (which == Kill::both ? "both" : which == Kill::sender ? "the sender" : "the receiver"));
  Cluster cluster(3, {"--grace", "20s"});
  auto all = nodes_of(cluster);
  NginxProcess nginx({cluster.node(0).port(), cluster.node(1).port(), cluster.node(2).port()});

  Dir dir;
  std::string credential = "a credential that survives a dead relay node \xe2\x9c\x93";
  dir.write("cred", credential);
  // Both through nginx: the link names nginx, as with --public-url in production.
  auto receive = cluster_receive(nginx.port(), dir);
  auto send = cluster_send(wait_link(*receive), dir);
  // HELLO, READY and REVEAL went through; the receiver checked REVEAL, so it
  // is in Redis. CREDENTIAL waits for the user.
  require_output(*send, "\"event\":\"waiting_confirmation\"", "the sender");
  require_output(*receive, "\"event\":\"sas\"", "the receiver");

  // Who holds which client: a node's attachments (the channels gauge) and
  // the frames it accepted (the receiver's node READY, the sender's HELLO
  // and REVEAL).
  REQUIRE(wait_until([&] { return metric_sum(all, "qrlogin_relay_channels") == 2; }));
  REQUIRE(settled_sum(all, "qrlogin_relay_frames_forwarded_total", 3) == 3);
  std::vector<std::size_t> doomed, survivors;
  int clients_on_killed = 0;
  bool sender_killed = false, receiver_killed = false;
  for (std::size_t i = 0; i < cluster.size(); ++i) {
    auto held = static_cast<int>(metric(cluster.node(i), "qrlogin_relay_channels"));
    auto frames = metric(cluster.node(i), "qrlogin_relay_frames_forwarded_total");
    bool has_sender = frames == 2 || frames == 3;
    bool has_receiver = frames == 1 || frames == 3;
    REQUIRE(held == int(has_sender) + int(has_receiver));
    bool kill_it = (has_sender && which != Kill::receiver) || (has_receiver && which != Kill::sender);
    if (kill_it) {
      doomed.push_back(i);
      clients_on_killed += held;
      sender_killed = sender_killed || has_sender;
      receiver_killed = receiver_killed || has_receiver;
    } else {
      survivors.push_back(i);
    }
  }
  REQUIRE_FALSE(doomed.empty());
  REQUIRE_FALSE(survivors.empty());
  std::vector<const RelayProcess*> alive;
  double frames_before = 0;
  for (auto i : survivors) {
    alive.push_back(&cluster.node(i));
    frames_before += metric(cluster.node(i), "qrlogin_relay_frames_forwarded_total");
  }

  // The nodes die without a word to Redis or to their clients.
  for (auto i : doomed) {
    REQUIRE(cluster.node(i).signal(SIGKILL));
    CHECK(cluster.node(i).wait_exit(5s) == 128 + SIGKILL);
  }
  // The user confirms meanwhile: CREDENTIAL waits in the sender's queue if
  // its node is gone.
  send->write_stdin("y\n");

  auto sent = exit_of(*send);
  auto received = exit_of(*receive);
  INFO("sender: " << printed(*send));
  INFO("receiver: " << printed(*receive));
  INFO("nginx: " << nginx.error_log());
  CHECK(sent == 0);
  CHECK(received == 0);
  check_written(dir, credential);

  // One outage and one resume for each client whose node died; the relay
  // had every frame sent before the kill, so none of those is sent again.
  CHECK(send->count_events("reconnecting") == int(sender_killed));
  CHECK(send->count_events("reconnected") == int(sender_killed));
  if (sender_killed) {
    CHECK(send->json_field("reconnected", "relay_received") == "2");  // HELLO, REVEAL
    // CREDENTIAL, when the user's answer came before the resume (it waited
    // in the queue); else it is sent afterwards as a new frame.
    auto resent = send->json_field("reconnected", "resent");
    CHECK((resent == "0" || resent == "1"));
  }
  CHECK(receive->count_events("reconnecting") == int(receiver_killed));
  CHECK(receive->count_events("reconnected") == int(receiver_killed));
  if (receiver_killed) {
    CHECK(receive->json_field("reconnected", "relay_received") == "1");  // READY
    CHECK(receive->json_field("reconnected", "resent") == "0");
  }

  // Exactly once, as the surviving nodes count it: CREDENTIAL and RESULT
  // only, one accepted resume per client of a dead node, one completed pairing.
  CHECK(wait_until([&] { return metric_sum(alive, "qrlogin_relay_pairings_completed_total") == 1; }));
  CHECK(settled_sum(alive, "qrlogin_relay_frames_forwarded_total", frames_before + 2) - frames_before == 2);
  CHECK(settled_sum(alive, "qrlogin_relay_resumes_total{result=\"ok\"}", clients_on_killed) == clients_on_killed);
  CHECK(metric_sum(alive, "qrlogin_relay_resumes_total{result=\"refused\"}") == 0);
  CHECK(metric_sum(alive, "qrlogin_relay_intrusions_total") == 0);
  CHECK(metric_sum(alive, "qrlogin_relay_fenced_total") == 0);
  nginx.stop();
}

TEST_CASE("a frozen node (SIGSTOP) whose client resumed elsewhere cannot forward when it wakes (fencing)") {
  // A short freeze, and a longer one (2.5 s more, still within the node TTL):
  // the node's own Redis checks were frozen too.
  auto pause = GENERATE(0ms, 2500ms);
  INFO("frozen for at least " << pause.count() << " ms more");
  Cluster cluster(2, {"--grace", "20s"});
  auto& a = cluster.node(0);
  auto& b = cluster.node(1);
  auto cid = random_cid();

  // The receiver on B, the sender on A; a frame each way.
  auto receiver = join(b, cid, "receiver");
  auto [first, sender_joined] = join_event(options_for(a, cid, "sender"));
  auto token = sender_joined.control.resume_token;
  REQUIRE_FALSE(token.empty());
  auto& old_sender = *first;
  REQUIRE(receiver->next_control("peer", 5s).ok());
  auto f0 = frame_of(0x01, 65);
  auto g0 = frame_of(0x02, 49);
  REQUIRE(old_sender.send(f0).ok());
  expect_binary(*receiver, f0);
  REQUIRE(receiver->send(g0).ok());
  expect_binary(old_sender, g0);

  // A freezes. The sender's next two frames reach A's socket buffer but not
  // A: in a relay without fencing, A would forward them when it wakes up.
  REQUIRE(a.signal(SIGSTOP));
  auto stale1 = frame_of(0x03, 49);
  auto stale2 = frame_of(0x04, 300);
  REQUIRE(old_sender.send(stale1).ok());
  REQUIRE(old_sender.send(stale2).ok());
  CHECK(frames_within(*receiver, 300ms).empty());

  // The sender gives up on A (its connection just hangs) and resumes on B
  // with the one frame it received.
  auto [sender, joined] = resume_on(b, cid, "sender", token, 1);
  CHECK(joined.control.received == 1u);  // F0 only: the stale frames never reached Redis
  CHECK(joined.control.peer == true);
  auto back = receiver->next_control("peer", 5s);
  REQUIRE(back.ok());
  CHECK(back->control.event == "back");
  std::this_thread::sleep_for(pause);

  // A wakes up: the stale frames and the wake-up of the takeover are waiting
  // for it. Whatever it does first, its old client is told `replaced` and
  // the peer gets nothing from it.
  REQUIRE(a.signal(SIGCONT));
  auto error = old_sender.next_control("error", 5s);
  REQUIRE(error.ok());
  INFO(error->text << " close=" << error->close_code << "\nnode A:\n" << a.output());
  CHECK(error->control.code == "replaced");
  auto closed = old_sender.wait_closed(5s);
  REQUIRE(closed.ok());
  CHECK(closed->close_code == 4001);
  std::vector<std::string> controls;
  auto leaked = frames_within(*receiver, 700ms, &controls);
  CHECK(leaked.empty());
  CHECK(controls.empty());

  // The sender goes on through B with new frames 1 and 2; the receiver gets
  // exactly those, once, in order.
  auto f1 = frame_of(0x03, 49);
  auto f2 = frame_of(0x04, 273);
  REQUIRE(sender->send(f1).ok());
  REQUIRE(sender->send(f2).ok());
  auto got = frames_within(*receiver, 5s, nullptr, 2);
  REQUIRE(got.size() == 2);
  CHECK(frames_within(*receiver, 300ms).empty());
  CHECK(got[0] == f1);
  CHECK(got[1] == f2);
  auto g1 = frame_of(0x05, 145);
  REQUIRE(receiver->send(g1).ok());
  expect_binary(*sender, g1);

  // A says what happened: its writes were refused (fenced) or its client
  // was ended as replaced; nothing was forwarded by it after the freeze.
  auto fenced = metric(a, "qrlogin_relay_fenced_total");
  auto replaced = metric(a, "qrlogin_relay_errors_total{code=\"replaced\"}");
  INFO("A: fenced_total=" << fenced << " errors_total{replaced}=" << replaced);
  CHECK(replaced >= 1);
  CHECK(settled(a, "qrlogin_relay_frames_forwarded_total", 1) == 1);  // F0
  CHECK(metric(a, "qrlogin_relay_redis_up") == 1);
  CHECK(settled(b, "qrlogin_relay_frames_forwarded_total", 4) == 4);  // G0, F1, F2, G1
  CHECK(metric(b, "qrlogin_relay_resumes_total{result=\"ok\"}") == 1);
  UNSCOPED_INFO("fenced_total on A after the wake-up: " << fenced);
}
