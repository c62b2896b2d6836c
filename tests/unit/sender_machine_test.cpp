// The sender's state machine against a receiver that misbehaves.
#include <catch2/catch.hpp>

#include <cstdio>

#include "crypto/pairing/testing/machines.hpp"
#include "tests/support/pairing_helpers.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using namespace qrlogin::test;
using qrlogin::pairing::testing::make_deferred_sender;
using qrlogin::pairing::testing::make_receiver;
using qrlogin::pairing::testing::make_sender;
using qrlogin::testing::ScriptedRng;

namespace {

struct Pair {
  Receiver receiver = Receiver::create("http://localhost:8080/pair", {}).value();
  Sender sender = Sender::create(parse_link(receiver.link()).value(),
                                 credential_json_from_text(as_bytes("secret-token"), {}).value())
                      .value();
};

void require_aborted(Sender& s, const Actions& actions, Reason reason, bool sends_abort) {
  INFO("reason " << reason_code(reason));
  CHECK(aborted_with(actions) == reason);
  CHECK(s.state() == Sender::State::aborted);
  CHECK(count_actions<CloseConnection>(actions) == 1);
  CHECK(count_actions<SendFrame>(actions) == (sends_abort ? 1 : 0));
  CHECK_FALSE(s.holds_secrets());
}

// After READY (contract rev. 3): shown as possible_attack, the precise
// reason (or the receiver's ABORT code) the detail.
void require_attack(Sender& s, const Actions& actions, std::string_view detail, bool sends_abort) {
  require_aborted(s, actions, Reason::possible_attack, sends_abort);
  REQUIRE(find_action<Aborted>(actions));
  CHECK(find_action<Aborted>(actions)->detail == detail);
}

// A sender whose receiver is built from primitives, so any RESULT or ABORT
// can be sealed for it: at the codes, or waiting for RESULT.
struct WithManualReceiver {
  ManualReceiver receiver;
  Sender sender = Sender::create(parse_link(receiver.link()).value(),
                                 credential_json_from_text(as_bytes("secret-token"), {}).value())
                      .value();
  explicit WithManualReceiver(bool send_credential) {
    auto shown = sender.on_frame(receiver.accept(only_frame(sender.start())));
    REQUIRE(find_action<ShowSas>(shown));
    if (send_credential) REQUIRE(frames_of(sender.on_user_confirmed()).size() == 1);
  }
};

// A sender made before its credential exists (an application mints it once
// the person confirmed), brought to the codes.
struct DeferredAtCodes {
  Receiver receiver = Receiver::create("http://localhost:8080/pair", {}).value();
  Sender sender = Sender::create(parse_link(receiver.link()).value()).value();
  DeferredAtCodes() {
    auto shown = sender.on_frame(only_frame(receiver.on_frame(only_frame(sender.start()))));
    REQUIRE(find_action<ShowSas>(shown));
    REQUIRE(find_action<ShowSas>(receiver.on_frame(only_frame(shown))));
  }
};

Secret grant_json() {
  return credential_json(nlohmann::json{{"grant", "g"}, {"app", "http://127.0.0.1:8090"}}, "alice").value();
}

// A deferred sender whose confirmation was refused: the credential never
// left, the receiver is told by ABORT, and nothing secret stays behind.
void require_refused_at_confirm(DeferredAtCodes& d, const Actions& actions, Reason reason) {
  require_aborted(d.sender, actions, reason, true);
  CHECK_FALSE(d.sender.credential_sent());
  CHECK(frame_type(only_frame(actions)) == MessageType::abort);
}

}  // namespace

TEST_CASE("sender: a deferred sender takes its credential when the user confirms") {
  SECTION("confirmed") {
    DeferredAtCodes d;
    CHECK_FALSE(d.sender.credential_sent());
    auto sent = d.sender.on_user_confirmed(grant_json());
    CHECK(d.sender.credential_sent());
    CHECK(d.sender.state() == Sender::State::waiting_for_result);
    CHECK(d.receiver.on_frame(only_frame(sent)).empty());
    auto delivered = d.receiver.on_user_confirmed();
    REQUIRE(find_action<DeliverCredential>(delivered));
    const auto& got = find_action<DeliverCredential>(delivered)->credential;
    CHECK(as_chars(got.bytes.view()) == R"({"app":"http://127.0.0.1:8090","grant":"g"})");
    CHECK(got.label == "alice");
    auto result = d.sender.on_frame(only_frame(d.receiver.on_credential_handled(true)));
    CHECK(find_action<ShowResult>(result)->accepted);
    CHECK_FALSE(d.sender.holds_secrets());
  }
  SECTION("typed") {
    DeferredAtCodes d;
    auto sent = d.sender.on_user_typed(d.sender.sas(), grant_json());
    CHECK(frames_of(sent).size() == 1);
    CHECK(d.sender.credential_sent());
    CHECK(d.sender.state() == Sender::State::waiting_for_result);
  }
  SECTION("typed wrong: sas_mismatch, the credential is not sent") {
    DeferredAtCodes d;
    std::string wrong = d.sender.sas() == "000 000" ? "000 001" : "000 000";
    require_refused_at_confirm(d, d.sender.on_user_typed(wrong, grant_json()), Reason::sas_mismatch);
  }
}

TEST_CASE("sender: a deferred sender confirmed without a credential ends with invalid_event") {
  SECTION("confirmed") {
    DeferredAtCodes d;
    require_refused_at_confirm(d, d.sender.on_user_confirmed(), Reason::invalid_event);
  }
  SECTION("typed") {
    DeferredAtCodes d;
    require_refused_at_confirm(d, d.sender.on_user_typed(d.sender.sas()), Reason::invalid_event);
  }
}

TEST_CASE("sender: a sender made with its credential refuses a second one at confirmation") {
  for (bool typed : {false, true}) {
    INFO("typed " << typed);
    WithManualReceiver w(false);
    auto actions = typed ? w.sender.on_user_typed(w.sender.sas(), grant_json()) : w.sender.on_user_confirmed(grant_json());
    require_aborted(w.sender, actions, Reason::invalid_event, true);
    CHECK_FALSE(w.sender.credential_sent());
  }
}

TEST_CASE("sender: a credential given at confirmation is held to the 65536-byte limit") {
  DeferredAtCodes d;
  auto actions = d.sender.on_user_confirmed(Secret(65537));
  // This device's own credential: shown as it is, never as an attack (the JS Sender agrees).
  require_refused_at_confirm(d, actions, Reason::bad_credential);
  CHECK(find_action<Aborted>(actions)->detail == "the credential is too large: at most 65536 bytes of JSON can be sent");
}

TEST_CASE("sender: a deferred sender confirmed before the codes ends with invalid_event") {
  Pair p;
  auto s = Sender::create(parse_link(p.receiver.link()).value()).value();
  s.start();
  require_aborted(s, s.on_user_confirmed(grant_json()), Reason::invalid_event, true);
  CHECK_FALSE(s.credential_sent());
}

TEST_CASE("sender: frames before start, and sender-bound types, abort") {
  Pair p;
  require_aborted(p.sender, p.sender.on_frame(Bytes{0x02, 0}), Reason::unexpected_message, false);
  for (Bytes frame : {Bytes{0x01}, Bytes{0x03}, Bytes{0x04}, Bytes{0x09}, Bytes{}}) {
    Pair q;
    q.sender.start();
    require_aborted(q.sender, q.sender.on_frame(frame), Reason::unexpected_message, true);
  }
}

TEST_CASE("sender: RESULT before the credential was sent") {
  Pair p;
  auto ready = only_frame(p.receiver.on_frame(only_frame(p.sender.start())));
  p.sender.on_frame(ready);
  require_attack(p.sender, p.sender.on_frame(Bytes(1 + 16 + 17, 0x05)), "unexpected_message", true);
}

TEST_CASE("sender: a READY that does not open") {
  Pair p;
  auto ready = only_frame(p.receiver.on_frame(only_frame(p.sender.start())));
  ready[10] ^= 0x20;
  auto actions = p.sender.on_frame(ready);
  require_aborted(p.sender, actions, Reason::bad_message, true);
  CHECK(find_action<ShowSas>(actions) == nullptr);
}

TEST_CASE("sender: the user rejects, mistypes or confirms too early") {
  SECTION("rejected: the receiver learns sas_mismatch") {
    Pair p;
    p.receiver.on_frame(only_frame(p.sender.on_frame(only_frame(p.receiver.on_frame(only_frame(p.sender.start()))))));
    auto actions = p.sender.on_user_rejected();
    require_aborted(p.sender, actions, Reason::sas_mismatch, true);
    auto on_receiver = p.receiver.on_frame(only_frame(actions));
    CHECK(aborted_with(on_receiver) == Reason::possible_attack);
    CHECK(find_action<Aborted>(on_receiver)->detail == "sas_mismatch");
  }
  SECTION("wrong digits typed: nothing sent but ABORT") {
    Pair p;
    p.sender.on_frame(only_frame(p.receiver.on_frame(only_frame(p.sender.start()))));
    std::string wrong = p.sender.sas() == "000 000" ? "000 001" : "000 000";
    require_aborted(p.sender, p.sender.on_user_typed(wrong), Reason::sas_mismatch, true);
  }
  SECTION("confirm before the code exists") {
    Pair p;
    p.sender.start();
    require_aborted(p.sender, p.sender.on_user_confirmed(), Reason::invalid_event, true);
  }
}

TEST_CASE("sender: the receiver refuses or aborts") {
  SECTION("RESULT accepted=false") {
    Pair p;
    auto& r = p.receiver;
    auto& s = p.sender;
    r.on_frame(only_frame(s.on_frame(only_frame(r.on_frame(only_frame(s.start()))))));
    r.on_user_confirmed();
    r.on_frame(only_frame(s.on_user_confirmed()));
    auto actions = s.on_frame(only_frame(r.on_credential_handled(false, "already logged in")));
    REQUIRE(find_action<ShowResult>(actions));
    CHECK_FALSE(find_action<ShowResult>(actions)->accepted);
    CHECK(find_action<ShowResult>(actions)->reason == "already logged in");
    require_aborted(s, actions, Reason::rejected, false);
  }
  SECTION("ABORT(intrusion) from the receiver after READY: a possible attack") {
    Pair p;
    p.sender.on_frame(only_frame(p.receiver.on_frame(only_frame(p.sender.start()))));
    auto actions = p.sender.on_frame(only_frame(p.receiver.on_intrusion()));
    require_attack(p.sender, actions, "intrusion", false);
  }
  SECTION("ABORT(user_cancelled) from the receiver after READY: not a cancel on this side") {
    Pair p;
    p.sender.on_frame(only_frame(p.receiver.on_frame(only_frame(p.sender.start()))));
    auto actions = p.sender.on_frame(only_frame(p.receiver.cancel(Reason::user_cancelled)));
    require_attack(p.sender, actions, "user_cancelled", false);
  }
  SECTION("an ABORT that cannot be opened after READY") {
    Pair p;
    p.sender.on_frame(only_frame(p.receiver.on_frame(only_frame(p.sender.start()))));
    require_attack(p.sender, p.sender.on_frame(Bytes(40, 0x06)), "unreadable", false);
  }
}

TEST_CASE("sender: RESULT is 145 bytes, and another size is a bad message") {
  WithManualReceiver ok(true);
  auto result = ok.receiver.sealed(MessageType::result, result_body(true, ""));
  CHECK(result.size() == kStatusFrameBytes);
  CHECK(find_action<ShowResult>(ok.sender.on_frame(result))->accepted);
  CHECK(ok.sender.state() == Sender::State::done);
  WithManualReceiver unpadded(true);  // the old, unpadded body (rev. 2)
  auto old = unpadded.sender.on_frame(unpadded.receiver.sealed(MessageType::result, as_bytes(R"({"accepted":true})")));
  CHECK(find_action<ShowResult>(old) == nullptr);
  CHECK(aborted_with(old) == Reason::possible_attack);
  CHECK(find_action<Aborted>(old)->detail == "bad_message");
}

TEST_CASE("sender: every invalid status body of the transcript is a possible attack, as RESULT or as ABORT") {
  const auto invalid = load_vectors("transcript-v1.json")["invalid_status_bodies"];
  const auto& as_result = invalid["as_result"];
  const auto& as_abort = invalid["as_abort_after_ready"];
  REQUIRE(as_result["reason"] == "possible_attack");
  REQUIRE(as_abort["reason"] == "possible_attack");
  int cases = 0;
  for (const auto& c : invalid["cases"]) {
    INFO(c["why"].get<std::string>());
    auto body = hex(c["plaintext_hex"]);
    WithManualReceiver waiting(true);
    auto actions = waiting.sender.on_frame(waiting.receiver.sealed(MessageType::result, body));
    CHECK(find_action<ShowResult>(actions) == nullptr);
    CHECK(aborted_with(actions) == Reason::possible_attack);
    REQUIRE(find_action<Aborted>(actions));
    CHECK(find_action<Aborted>(actions)->detail == as_result["detail"].get<std::string>());
    CHECK(waiting.sender.state() == Sender::State::aborted);
    CHECK_FALSE(waiting.sender.holds_secrets());

    WithManualReceiver at_codes(false);
    require_attack(at_codes.sender, at_codes.sender.on_frame(at_codes.receiver.sealed(MessageType::abort, body)),
                   as_abort["detail"].get<std::string>(), false);
    ++cases;
  }
  std::printf("cases: invalid status bodies into the sender %d as RESULT and as ABORT, all possible_attack\n", cases);
}

TEST_CASE("sender: knows whether the credential left before a failure") {
  Pair p;
  auto& r = p.receiver;
  auto& s = p.sender;
  r.on_frame(only_frame(s.on_frame(only_frame(r.on_frame(only_frame(s.start()))))));
  CHECK_FALSE(s.credential_sent());
  r.on_frame(only_frame(s.on_user_confirmed()));
  CHECK(s.credential_sent());
  auto actions = s.on_frame(only_frame(r.on_user_rejected()));
  require_attack(s, actions, "sas_mismatch", false);
  CHECK(s.credential_sent());
}

TEST_CASE("sender: intrusion, timeout and cancel") {
  Pair a;
  require_aborted(a.sender, a.sender.on_intrusion(), Reason::intrusion, false);
  Pair b;
  b.sender.start();
  require_aborted(b.sender, b.sender.on_timeout(), Reason::timeout, true);
  Pair c;
  c.sender.start();
  require_aborted(c.sender, c.sender.cancel(), Reason::user_cancelled, true);
  CHECK(c.sender.start().empty());  // never retries by itself
}

TEST_CASE("sender: a low-order receiver key in the link") {
  auto link = parse_link("https://example.com/pair#v1.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA").value();
  auto s = Sender::create(link, credential_json_from_text(as_bytes("x"), {}).value()).value();
  require_aborted(s, s.start(), Reason::bad_key, false);
}

TEST_CASE("sender: draws the ephemeral key, then Ns, at start and never again") {
  for (bool deferred : {false, true}) {
    INFO("deferred " << deferred);
    ScriptedRng rng;
    rng.push(Bytes(32, 1));
    rng.push(Bytes(32, 2));
    auto r = Receiver::create("http://localhost:8080/pair", {}).value();
    auto link = parse_link(r.link()).value();
    auto s = deferred ? make_deferred_sender(link, rng).value()
                      : make_sender(link, credential_json_from_text(as_bytes("x"), {}).value(), rng).value();
    CHECK(rng.draws() == 0);
    s.start();
    CHECK(rng.draws() == 2);
    CHECK(rng.remaining() == 0);
  }
}

TEST_CASE("sender: a credential over 65536 bytes of JSON is refused before anything is sent") {
  std::string big(65537, 'a');
  auto j = credential_json_from_text(as_bytes(big), {});
  REQUIRE_FALSE(j);
  CHECK(j.error().code == pairing::Errc::credential_too_large);
  auto fits = credential_json_from_text(as_bytes(std::string(65536 - 17, 'a')), {});
  REQUIRE(fits);
  CHECK(fits->size() == 65536);
}
