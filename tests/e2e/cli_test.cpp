// qrlogin receive / send against a real relay, as a user runs them: exit
// codes, messages, the file written, the QR code decoded by zbarimg.
#include <catch2/catch.hpp>

#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>

#include "cli/relay_client/client.hpp"
#include "tests/support/certs.hpp"
#include "tests/support/cli_runs.hpp"
#include "tests/support/pairing_helpers.hpp"
#include "tests/support/qr_decode.hpp"
#include "tests/support/relay_process.hpp"
#include "tests/support/scratch_dir.hpp"

using namespace qrlogin;
using namespace qrlogin::test;
using namespace qrlogin::testing;
using namespace std::chrono_literals;

namespace {

constexpr auto kWait = 15s;

using Dir = qrlogin::testing::ScratchDir;

// A hand-driven sender over the relay client, for hostile behaviour.
struct FakeSender {
  ManualSender crypto;
  std::unique_ptr<relay_client::Client> client;
  FakeSender(const RelayProcess& relay, const std::string& link) : crypto(link) {
    relay_client::Options o;
    o.port = relay.port();
    o.cid = crypto.link.cid.text;
    o.role = "sender";
    auto c = relay_client::Client::connect(o);
    REQUIRE(c);
    client = std::move(c.client);
    REQUIRE(client->next_control("joined"));
  }
  void send(const Bytes& frame) { REQUIRE(client->send(frame)); }
  Bytes next_binary() {
    for (;;) {
      auto e = client->next(kWait);
      REQUIRE(e);
      if (e->kind == relay_client::Event::Kind::binary) return e->bytes;
      REQUIRE(e->kind != relay_client::Event::Kind::closed);
    }
  }
};

}  // namespace

TEST_CASE("receive and send pair, the file is byte-identical, mode 0600, and both saw the same code") {
  RelayProcess relay;
  Dir dir;
  std::string credential = "line one\nline two \xc3\xa9\t\"quoted\"\n";
  dir.write("cred", credential);
  auto receive = start_receive(relay.port(), dir);
  auto link = wait_link(*receive);
  auto send = start_send(link, dir, {"--label", "CI phone"});
  REQUIRE(receive->wait_for("\"event\":\"sas\"", kWait));
  REQUIRE(send->wait_for("\"event\":\"sas\"", kWait));
  auto code = receive->json_field("sas", "sas");
  CHECK(code.size() == 7);
  CHECK(code == send->json_field("sas", "sas"));
  send->write_stdin("y\n");
  receive->write_stdin(code + "\n");  // typing the code the other screen shows
  CHECK(exit_of(*send) == 0);
  CHECK(exit_of(*receive) == 0);
  CHECK(dir.read("out") == credential);
  struct stat st {};
  REQUIRE(::stat(dir.file("out").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  CHECK(receive->json_field("result", "label") == "CI phone");
  CHECK(send->json_field("result", "accepted") == "true");
  // The credential never appears in what the CLIs print.
  CHECK(receive->out().find("line one") == std::string::npos);
  CHECK(receive->err().find("line one") == std::string::npos);
  CHECK(send->out().find("line one") == std::string::npos);
}

TEST_CASE("only a user at a terminal confirms a receiver's code: without one, receive refuses to start unless --yes") {
  RelayProcess relay;
  Dir dir;
  {
    // As under cron or a CI runner: no terminal, and `yes |` on stdin.
    auto piped = start_receive(relay.port(), dir, {"--qr", "none"}, CliProcess::Input::pipe);
    piped->write_stdin("y\ny\ny\n");
    CHECK(exit_of(*piped) == 2);
    CHECK(piped->json_field("error", "code") == "no_terminal");
    CHECK(piped->json_field("error", "message").find("--yes") != std::string::npos);
    CHECK(piped->json_field("link", "link").empty());  // no code shown that nobody could confirm
  }
  // With --yes (its warning shown) the same run pairs; the sender's user checks the code.
  dir.write("cred", "the credential");
  auto receive = start_receive(relay.port(), dir, {"--qr", "none", "--yes"}, CliProcess::Input::pipe);
  auto send = start_send(wait_link(*receive), dir);
  REQUIRE(send->wait_for("\"event\":\"sas\"", kWait));
  send->write_stdin("y\n");
  CHECK(exit_of(*send) == 0);
  CHECK(exit_of(*receive) == 0);
  CHECK(receive->err().find("Accepting automatically (--yes)") != std::string::npos);
  check_written(dir, "the credential");
}

TEST_CASE("the terminal QR and the SVG decode to exactly the link") {
  RelayProcess relay;
  Dir dir;
  for (std::string style : {"utf8", "ascii"}) {
    INFO(style);
    auto receive = start_receive(relay.port(), dir, {"--qr", style, "--qr-svg", dir.file("qr.svg"), "--timeout", "10"});
    auto link = wait_link(*receive);
    // stdout and stderr are read by different threads: wait for the line
    // the CLI prints to stderr right after the QR code.
    REQUIRE(receive->wait_for("Scan this code", kWait));
    auto lines = qr_lines(receive->err(), style == "ascii");
    REQUIRE(lines.size() > 10);
    CHECK(zbar_decode(terminal_qr_to_pgm(lines, style == "ascii", dir.file("qr.pgm"))) == link);
    REQUIRE(run_program("rsvg-convert", {"-w", "600", dir.file("qr.svg"), "-o", dir.file("qr.png")}).exit_status == 0);
    CHECK(zbar_decode(dir.file("qr.png")) == link);
    receive->kill();
  }
}

TEST_CASE("hostile senders make receive abort with a clear message and write nothing") {
  RelayProcess relay;
  Dir dir;
  struct Case {
    std::string name, reason;
    int exit;
    std::string detail;  // after READY: the precise reason, in the message
  };
  for (auto c : {Case{"low-order key", "bad_key", 6, ""}, Case{"short HELLO", "bad_message", 6, ""},
                 Case{"second HELLO", "possible_attack", 6, "unexpected_message"},
                 Case{"REVEAL not matching the commit", "possible_attack", 6, "bad_commit"},
                 Case{"flipped bit in CREDENTIAL", "possible_attack", 6, "bad_message"},
                 Case{"READY answered by silence", "possible_attack", 6, "timeout"}}) {
    INFO(c.name);
    auto receive = start_receive(relay.port(), dir, {"--timeout", "3"});
    receive->write_stdin("y\n");
    FakeSender evil(relay, wait_link(*receive));
    if (c.name == "low-order key") {
      Bytes hello(65, 0);
      hello[0] = 0x01;
      evil.send(hello);
    } else if (c.name == "short HELLO") {
      auto hello = evil.crypto.hello();
      hello.pop_back();
      evil.send(hello);
    } else if (c.name == "second HELLO") {
      evil.send(evil.crypto.hello());
      evil.next_binary();
      evil.send(evil.crypto.hello());
    } else if (c.name == "REVEAL not matching the commit") {
      evil.send(evil.crypto.hello_committing_to(Bytes(32, 1)));
      evil.crypto.open_response(evil.next_binary());
      evil.send(evil.crypto.reveal());
    } else if (c.name == "flipped bit in CREDENTIAL") {
      evil.send(evil.crypto.hello());
      evil.crypto.open_response(evil.next_binary());
      evil.send(evil.crypto.reveal());
      auto padded = pad_credential(as_bytes(R"({"credential":"x"})")).value();
      auto frame = evil.crypto.sealed(MessageType::credential, padded.view());
      frame[20] ^= 0x04;
      REQUIRE(receive->wait_for("\"event\":\"sas\"", kWait));
      evil.send(frame);
    } else {  // READY answered by silence
      evil.send(evil.crypto.hello());
      evil.next_binary();
    }
    CHECK(exit_of(*receive) == c.exit);
    CHECK(receive->json_field("error", "code") == c.reason);
    auto message = receive->json_field("error", "message");
    CHECK_FALSE(message.empty());
    if (!c.detail.empty()) {
      CHECK(message.find("may have been attacked") != std::string::npos);
      CHECK(message.find("(" + c.detail + ")") != std::string::npos);
    }
    CHECK_FALSE(dir.exists("out"));
  }
}

TEST_CASE("a refused or mistyped code aborts both sides and writes nothing") {
  RelayProcess relay;
  Dir dir;
  dir.write("cred", "token");
  for (std::string who : {"receiver says no", "sender says no", "receiver types another code",
                          "sender input ends", "sender confirmed, then the receiver says no"}) {
    INFO(who);
    auto receive = start_receive(relay.port(), dir);
    auto send = start_send(wait_link(*receive), dir);
    REQUIRE(receive->wait_for("\"event\":\"sas\"", kWait));
    REQUIRE(send->wait_for("\"event\":\"sas\"", kWait));
    if (who == "receiver says no") receive->write_stdin("n\n");
    if (who == "sender says no") send->write_stdin("no\n");
    if (who == "receiver types another code") {
      auto code = receive->json_field("sas", "sas");
      receive->write_stdin(code == "000 000" ? "111111\n" : "000000\n");
    }
    if (who == "sender input ends") send->close_stdin();
    if (who == "sender confirmed, then the receiver says no") {
      send->write_stdin("y\n");
      REQUIRE(send->wait_for("Sending the credential", kWait));
      receive->write_stdin("n\n");
    }
    // The side whose user refused says the codes differ (exit 3); the other
    // was told so by an ABORT after READY, which it shows as a possible
    // attack (exit 6, rev. 3): a man in the middle cannot pick the milder one.
    bool receiver_refused = who.starts_with("receiver") || who.ends_with("the receiver says no");
    auto& refused = receiver_refused ? *receive : *send;
    auto& told = receiver_refused ? *send : *receive;
    CHECK(exit_of(refused) == 3);
    CHECK(exit_of(told) == 6);
    CHECK(refused.json_field("error", "code") == "sas_mismatch");
    CHECK(told.json_field("error", "code") == "possible_attack");
    auto told_message = told.json_field("error", "message");
    CHECK((told_message.find("(sas_mismatch)") != std::string::npos ||
           told_message.find("said the codes differ") != std::string::npos));
    bool sent = who == "sender confirmed, then the receiver says no";
    CHECK((send->err().find("WAS sent") != std::string::npos) == sent);
    CHECK((send->err().find("nothing was sent") != std::string::npos) == !sent);
    CHECK_FALSE(dir.exists("out"));
  }
}

TEST_CASE("a third client makes both CLIs warn of an intrusion") {
  RelayProcess relay;
  Dir dir;
  dir.write("cred", "token");
  auto receive = start_receive(relay.port(), dir);
  auto link = wait_link(*receive);
  auto send = start_send(link, dir);
  REQUIRE(send->wait_for("\"event\":\"sas\"", kWait));
  auto third = start_send(link, dir);
  CHECK(exit_of(*third) == 7);
  CHECK(third->json_field("error", "code") == "channel_full");
  CHECK(exit_of(*receive) == 7);
  CHECK(exit_of(*send) == 7);
  CHECK(receive->count_events("intrusion") == 1);
  CHECK(send->count_events("intrusion") == 1);
  CHECK(receive->err().find("WARNING") != std::string::npos);
  CHECK(send->err().find("WARNING") != std::string::npos);
  CHECK_FALSE(dir.exists("out"));
}

TEST_CASE("bad links are refused with the usage exit code before any connection") {
  RelayProcess relay;
  Dir dir;
  dir.write("cred", "token");
  std::string base = "http://127.0.0.1:" + std::to_string(relay.port()) + "/pair";
  std::string key = "ANkzCa7UkgNf7WS_5RTe5dWL5glbuhkGe3flMz5TCAg";
  for (std::string link : {base, base + "#v2." + key, base + "#v1." + key.substr(1), base + "#v1." + key + "=",
                           "http://example.com/pair#v1." + key, base + "?relay=http%3A%2F%2Fx#v1." + key}) {
    INFO(link);
    auto send = start_send(link, dir);
    CHECK(exit_of(*send) == 2);
    CHECK(send->json_field("error", "code") == "bad_link");
    CHECK(send->err().find("bad link: ") != std::string::npos);
  }
  CHECK(relay.output().find("ws_open") == std::string::npos);
}

TEST_CASE("the relay stopped after the codes were shown: both report a possible attack (the network the detail), no file") {
  // going_away is resumable (a cluster node's channels live on): both try
  // to resume until the channel's lifetime is over, then give up.
  auto relay = std::make_unique<RelayProcess>(std::vector<std::string>{"--channel-lifetime", "6s"});
  Dir dir;
  dir.write("cred", "token");
  auto receive = start_receive(relay->port(), dir);
  auto send = start_send(wait_link(*receive), dir);
  REQUIRE(receive->wait_for("\"event\":\"sas\"", kWait));
  REQUIRE(send->wait_for("\"event\":\"sas\"", kWait));
  relay->stop();
  CHECK(receive->wait_for("\"event\":\"reconnecting\"", kWait));
  CHECK(send->wait_for("\"event\":\"reconnecting\"", kWait));
  // After READY a lost connection is shown as what it may be (rev. 3).
  for (auto* cli : {receive.get(), send.get()}) {
    CHECK(exit_of(*cli) == 6);
    CHECK(cli->json_field("error", "code") == "possible_attack");
    CHECK(cli->json_field("error", "message").find("(network)") != std::string::npos);
  }
  CHECK_FALSE(dir.exists("out"));
}

TEST_CASE("an expired code is replaced by a fresh one and a sender on the old link is told it expired") {
  RelayProcess relay({"--channel-lifetime", "2s", "--grace", "1s"});
  Dir dir;
  dir.write("cred", "token");
  auto receive = start_receive(relay.port(), dir, {"--timeout", "12"});
  auto first = wait_link(*receive);
  REQUIRE(receive->wait_for("\"event\":\"expired\"", kWait));
  REQUIRE(receive->count_events("link") >= 1);
  std::this_thread::sleep_for(500ms);
  auto send = start_send(first, dir);
  CHECK(exit_of(*send) == 4);
  CHECK(send->json_field("error", "code") == "expired");
  CHECK(send->err().find("expired") != std::string::npos);
  CHECK(receive->count_events("link") >= 2);
  receive->kill();
}

TEST_CASE("a missing relay is a network error and bad flags are usage errors") {
  Dir dir;
  auto receive = std::make_unique<CliProcess>(
      std::vector<std::string>{"receive", "--relay", "ws://127.0.0.1:1", "--out", dir.file("out"), "--json"},
      std::string{}, CliProcess::Input::terminal);
  CHECK(exit_of(*receive) == 5);
  CHECK(receive->json_field("error", "code") == "unreachable");
  auto bad = std::make_unique<CliProcess>(std::vector<std::string>{"receive", "--bogus"});
  CHECK(exit_of(*bad) == 2);
  CHECK(bad->err().find("unknown argument") != std::string::npos);
}

TEST_CASE("over a TLS relay: wss:// with --ca-file pairs end to end - without it both commands fail with exit 5") {
  Dir tls;
  auto certs = qrlogin::testing::make_lan_cert(tls.path);
  RelayProcess relay(qrlogin::testing::tls_args(certs.cert, certs.key));
  Dir dir;
  dir.write("cred", "tls token");
  // By name: localhost is resolved and checked against the certificate.
  auto wss = "wss://localhost:" + std::to_string(relay.port());

  auto untrusted = std::make_unique<CliProcess>(
      std::vector<std::string>{"receive", "--relay", wss, "--out", dir.file("out"), "--json"}, std::string{},
      CliProcess::Input::terminal);
  CHECK(exit_of(*untrusted) == 5);
  CHECK(untrusted->json_field("error", "code") == "tls_untrusted");
  CHECK(untrusted->err().find("TLS: certificate verify failed for localhost") != std::string::npos);
  CHECK(untrusted->err().find("--ca-file") != std::string::npos);

  auto receive = std::make_unique<CliProcess>(
      std::vector<std::string>{"receive", "--relay", wss, "--out", dir.file("out"), "--json", "--ca-file", certs.ca},
      std::string{}, CliProcess::Input::terminal);
  auto link = wait_link(*receive);
  CHECK(link.starts_with("https://localhost:" + std::to_string(relay.port()) + "/pair#v1."));

  auto stranger = start_send(link, dir);  // does not trust the relay: nothing is sent
  CHECK(exit_of(*stranger) == 5);
  CHECK(stranger->json_field("error", "code") == "tls_untrusted");

  auto send = start_send(link, dir, {"--ca-file", certs.ca});
  REQUIRE(receive->wait_for("\"event\":\"sas\"", kWait));
  REQUIRE(send->wait_for("\"event\":\"sas\"", kWait));
  send->write_stdin("y\n");
  receive->write_stdin("y\n");
  CHECK(exit_of(*send) == 0);
  CHECK(exit_of(*receive) == 0);
  CHECK(dir.read("out") == "tls token");

  auto missing_ca = start_send(link, dir, {"--ca-file", dir.file("no-such-ca.pem")});
  CHECK(exit_of(*missing_ca) == 1);
  CHECK(missing_ca->json_field("error", "code") == "ca_file");
}
