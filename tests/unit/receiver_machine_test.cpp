// The receiver's state machine against every out-of-order, replayed,
// altered or hostile input: exact actions out, a defined final state, keys
// wiped, nothing delivered.
#include <catch2/catch.hpp>

#include <cstdio>

#include "crypto/pairing/testing/machines.hpp"
#include "tests/support/pairing_helpers.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using namespace qrlogin::test;
using qrlogin::pairing::testing::make_receiver;
using qrlogin::pairing::testing::make_sender;
using qrlogin::testing::ScriptedRng;

namespace {

constexpr std::string_view kPage = "http://127.0.0.1:8080/pair";

Receiver make_receiver(Receiver::Options options = {}) {
  return Receiver::create(kPage, {}, options).value();
}

// Honest exchange up to the point where both show the code.
struct AtCodes {
  Receiver receiver = make_receiver();
  ManualSender sender{receiver.link()};
  Bytes ready;
  AtCodes() {
    ready = only_frame(receiver.on_frame(sender.hello()));
    sender.open_response(ready);
    auto shown = receiver.on_frame(sender.reveal());
    REQUIRE(find_action<ShowSas>(shown));
  }
};

Bytes padded_credential(std::string_view json) {
  auto padded = pad_credential(as_bytes(json)).value();
  return Bytes(padded.view().begin(), padded.view().end());
}

void require_aborted(Receiver& r, const Actions& actions, Reason reason, bool sends_abort) {
  INFO("reason " << reason_code(reason));
  CHECK(aborted_with(actions) == reason);
  CHECK(r.state() == Receiver::State::aborted);
  CHECK(r.failure() == reason);
  CHECK(count_actions<CloseConnection>(actions) == 1);
  CHECK(count_actions<SendFrame>(actions) == (sends_abort ? 1 : 0));
  if (sends_abort) CHECK(only_frame(actions)[0] == static_cast<std::uint8_t>(MessageType::abort));
  CHECK(find_action<DeliverCredential>(actions) == nullptr);
  CHECK_FALSE(r.holds_secrets());
}

// After READY (contract rev. 3): shown as possible_attack, the precise
// reason (or the peer's ABORT code) the detail.
void require_attack(Receiver& r, const Actions& actions, std::string_view detail, bool sends_abort) {
  require_aborted(r, actions, Reason::possible_attack, sends_abort);
  REQUIRE(find_action<Aborted>(actions));
  CHECK(find_action<Aborted>(actions)->detail == detail);
}

}  // namespace

TEST_CASE("receiver: a happy pairing with the sender machine") {
  auto r = make_receiver();
  auto link = parse_link(r.link()).value();
  auto s = Sender::create(link, credential_json_from_text(as_bytes("tok"), "phone").value()).value();
  auto ready = only_frame(r.on_frame(only_frame(s.start())));
  auto reveal_and_sas = s.on_frame(ready);
  auto shown = r.on_frame(only_frame(reveal_and_sas));
  CHECK(find_action<ShowSas>(shown)->code == find_action<ShowSas>(reveal_and_sas)->code);
  CHECK(r.sas().size() == 7);
  CHECK(r.on_user_typed(s.sas()).empty());  // confirmed; credential not here yet
  auto delivered = r.on_frame(only_frame(s.on_user_confirmed()));
  REQUIRE(find_action<DeliverCredential>(delivered));
  CHECK(as_chars(find_action<DeliverCredential>(delivered)->credential.bytes.view()) == "tok");
  auto result = s.on_frame(only_frame(r.on_credential_handled(true)));
  CHECK(find_action<ShowResult>(result)->accepted);
}

TEST_CASE("receiver: messages out of order abort") {
  SECTION("REVEAL before HELLO: no context yet, so no ABORT frame") {
    auto r = make_receiver();
    ManualSender s(r.link());
    require_aborted(r, r.on_frame(s.reveal()), Reason::unexpected_message, false);
  }
  SECTION("CREDENTIAL before HELLO") {
    auto r = make_receiver();
    ManualSender s(r.link());
    require_aborted(r, r.on_frame(s.sealed(MessageType::credential, padded_credential(R"({"credential":1})"))),
                    Reason::unexpected_message, false);
  }
  SECTION("CREDENTIAL before REVEAL") {
    auto r = make_receiver();
    ManualSender s(r.link());
    r.on_frame(s.hello());
    require_attack(r, r.on_frame(s.sealed(MessageType::credential, padded_credential(R"({"credential":1})"))),
                   "unexpected_message", true);
  }
  SECTION("receiver-bound types only: READY, RESULT, unknown and empty frames") {
    for (Bytes frame : {Bytes{0x02, 1, 2}, Bytes{0x05, 1}, Bytes{0x07}, Bytes{0x00}, Bytes{}}) {
      auto r = make_receiver();
      require_aborted(r, r.on_frame(frame), Reason::unexpected_message, false);
    }
  }
  SECTION("ABORT before HELLO cannot be genuine") {
    auto r = make_receiver();
    require_aborted(r, r.on_frame(Bytes{0x06, 1, 2, 3}), Reason::unexpected_message, false);
  }
}

TEST_CASE("receiver: one HELLO per key") {
  SECTION("a second HELLO right away") {
    auto r = make_receiver();
    ManualSender s(r.link());
    r.on_frame(s.hello());
    require_attack(r, r.on_frame(s.hello()), "unexpected_message", true);
  }
  SECTION("a second HELLO from another sender after the peer came back") {
    auto r = make_receiver();
    ManualSender first(r.link()), second(r.link());
    r.on_frame(first.hello());
    CHECK(find_action<PeerStatus>(r.on_peer(PeerEvent::left)));
    CHECK(find_action<PeerStatus>(r.on_peer(PeerEvent::back)));
    require_attack(r, r.on_frame(second.hello()), "unexpected_message", true);
  }
  SECTION("a second HELLO after the codes were shown") {
    AtCodes p;
    require_attack(p.receiver, p.receiver.on_frame(p.sender.hello()), "unexpected_message", true);
  }
}

TEST_CASE("receiver: malformed HELLO") {
  SECTION("short") {
    auto r = make_receiver();
    ManualSender s(r.link());
    auto hello = s.hello();
    hello.pop_back();
    require_aborted(r, r.on_frame(hello), Reason::bad_message, false);
  }
  SECTION("long") {
    auto r = make_receiver();
    ManualSender s(r.link());
    auto hello = s.hello();
    hello.push_back(0);
    require_aborted(r, r.on_frame(hello), Reason::bad_message, false);
  }
  SECTION("a low-order enc") {
    auto r = make_receiver();
    Bytes hello(kHelloFrameBytes, 0);
    hello[0] = 0x01;  // enc = 0: a low-order point
    require_aborted(r, r.on_frame(hello), Reason::bad_key, false);
  }
}

TEST_CASE("receiver: a REVEAL that does not match the commitment") {
  auto r = make_receiver();
  ManualSender s(r.link());
  Bytes other(kNonceBytes, 0x42);
  r.on_frame(s.hello_committing_to(other));  // commits to one Ns, reveals another
  require_attack(r, r.on_frame(s.reveal()), "bad_commit", true);
}

TEST_CASE("receiver: replays") {
  SECTION("CREDENTIAL replayed while held") {
    AtCodes p;
    auto credential = p.sender.sealed(MessageType::credential, padded_credential(R"({"credential":"a"})"));
    CHECK(p.receiver.on_frame(credential).empty());
    require_attack(p.receiver, p.receiver.on_frame(credential), "unexpected_message", true);
  }
  SECTION("CREDENTIAL replayed after the pairing finished is ignored") {
    AtCodes p;
    auto credential = p.sender.sealed(MessageType::credential, padded_credential(R"({"credential":"a"})"));
    p.receiver.on_user_confirmed();
    CHECK(find_action<DeliverCredential>(p.receiver.on_frame(credential)));
    p.receiver.on_credential_handled(true);
    CHECK(p.receiver.on_frame(credential).empty());
    CHECK(p.receiver.state() == Receiver::State::done);
  }
}

TEST_CASE("receiver: a replayed REVEAL aborts") {
  auto r = make_receiver();
  ManualSender s(r.link());
  r.on_frame(s.hello());
  auto reveal = s.reveal();
  REQUIRE(find_action<ShowSas>(r.on_frame(reveal)));
  require_attack(r, r.on_frame(reveal), "unexpected_message", true);
}

TEST_CASE("receiver: READY sent and no REVEAL is a possible attack") {
  auto r = make_receiver();
  ManualSender s(r.link());
  r.on_frame(s.hello());
  require_attack(r, r.on_timeout(), "timeout", true);
}

TEST_CASE("receiver: after READY, whatever ends the pairing is reported as a possible attack") {
  SECTION("an ABORT claiming a network error") {
    auto r = make_receiver();
    ManualSender s(r.link());
    s.open_response(only_frame(r.on_frame(s.hello())));
    auto actions = r.on_frame(s.sealed(MessageType::abort, abort_body("network")));
    require_aborted(r, actions, Reason::possible_attack, false);
    CHECK(find_action<Aborted>(actions)->detail == "network");
  }
  SECTION("the connection lost, or the channel expired") {
    for (auto reason : {Reason::network, Reason::expired, Reason::timeout}) {
      auto r = make_receiver();
      ManualSender s(r.link());
      r.on_frame(s.hello());
      auto actions = r.cancel(reason);
      require_aborted(r, actions, Reason::possible_attack, true);
      CHECK(find_action<Aborted>(actions)->detail == reason_code(reason));
    }
  }
  SECTION("the user cancelling is still a cancel") {
    auto r = make_receiver();
    ManualSender s(r.link());
    r.on_frame(s.hello());
    require_aborted(r, r.cancel(Reason::user_cancelled), Reason::user_cancelled, true);
  }
}

TEST_CASE("receiver: a peer cannot claim our local reasons, and ABORTs of another size are unreadable") {
  for (std::string code : {"network", "expired", "invalid_event", "rejected", "made_up"}) {
    AtCodes p;
    auto actions = p.receiver.on_frame(p.sender.sealed(MessageType::abort, abort_body(code)));
    require_attack(p.receiver, actions, code, false);
  }
  AtCodes big;
  auto actions = big.receiver.on_frame(big.sender.sealed(MessageType::abort, Bytes(2000, ' ')));
  require_attack(big.receiver, actions, "unreadable", false);
  AtCodes unpadded;  // the old, unpadded body (rev. 2)
  auto old = unpadded.receiver.on_frame(unpadded.sender.sealed(MessageType::abort, as_bytes(R"({"reason":"network"})")));
  require_attack(unpadded.receiver, old, "unreadable", false);
}

TEST_CASE("receiver: every invalid status body of the transcript, as ABORT after READY, is a possible attack") {
  const auto invalid = load_vectors("transcript-v1.json")["invalid_status_bodies"];
  const auto& expected = invalid["as_abort_after_ready"];
  REQUIRE(expected["reason"] == "possible_attack");
  int cases = 0;
  for (const auto& c : invalid["cases"]) {
    INFO(c["why"].get<std::string>());
    AtCodes p;
    auto actions = p.receiver.on_frame(p.sender.sealed(MessageType::abort, hex(c["plaintext_hex"])));
    require_attack(p.receiver, actions, expected["detail"].get<std::string>(), false);
    ++cases;
  }
  std::printf("cases: invalid status bodies as ABORT into the receiver %d, all possible_attack\n", cases);
}

TEST_CASE("receiver: a timeout before HELLO is a plain timeout, after READY a possible attack") {
  auto r = make_receiver();
  require_aborted(r, r.on_timeout(), Reason::timeout, false);
  AtCodes p;
  require_attack(p.receiver, p.receiver.on_timeout(), "timeout", true);
}

TEST_CASE("receiver: the user rejects or mistypes the code") {
  SECTION("rejected") {
    AtCodes p;
    auto actions = p.receiver.on_user_rejected();
    require_aborted(p.receiver, actions, Reason::sas_mismatch, true);
    auto body = p.sender.open_response(only_frame(actions));
    CHECK(to_bytes(body.view()) == abort_body("sas_mismatch"));
    CHECK(body.size() == kStatusBodyBytes);
  }
  SECTION("wrong digits typed") {
    AtCodes p;
    std::string wrong = p.receiver.sas();
    wrong[0] = wrong[0] == '9' ? '0' : static_cast<char>(wrong[0] + 1);
    require_aborted(p.receiver, p.receiver.on_user_typed(wrong), Reason::sas_mismatch, true);
  }
  SECTION("rejected after the credential arrived: nothing delivered") {
    AtCodes p;
    CHECK(p.receiver.on_frame(p.sender.sealed(MessageType::credential, padded_credential(R"({"credential":"a"})")))
              .empty());
    require_aborted(p.receiver, p.receiver.on_user_rejected(), Reason::sas_mismatch, true);
  }
  SECTION("the sender's user said the codes differ: a possible attack, for this side too") {
    AtCodes p;
    auto abort = p.sender.sealed(MessageType::abort, abort_body("sas_mismatch"));
    require_attack(p.receiver, p.receiver.on_frame(abort), "sas_mismatch", false);
  }
  SECTION("the sender's claimed cancel is not a cancel on this side") {
    AtCodes p;
    auto abort = p.sender.sealed(MessageType::abort, abort_body("user_cancelled"));
    require_attack(p.receiver, p.receiver.on_frame(abort), "user_cancelled", false);
  }
}

TEST_CASE("receiver: intrusion before and after the code") {
  auto r = make_receiver();
  require_aborted(r, r.on_intrusion(), Reason::intrusion, false);
  AtCodes p;
  require_aborted(p.receiver, p.receiver.on_intrusion(), Reason::intrusion, true);
}

TEST_CASE("receiver: bad credentials") {
  SECTION("each invalid case of the transcript's JSON rule") {
    const auto rule = load_vectors("transcript-v1.json")["credential_json_rule"];
    REQUIRE(rule["in_pairing"]["reason"] == "possible_attack");
    int cases = 0;
    for (const auto& c : rule["invalid"]) {
      INFO(c["why"].get<std::string>());
      AtCodes p;
      p.receiver.on_user_confirmed();
      auto actions = p.receiver.on_frame(p.sender.sealed(MessageType::credential, hex(c["plaintext_hex"])));
      require_attack(p.receiver, actions, rule["in_pairing"]["detail"].get<std::string>(), true);
      ++cases;
    }
    std::printf("cases: credential JSON rule violations into the receiver %d, none delivered\n", cases);
  }
  SECTION("each valid case of the transcript's JSON rule is delivered") {
    const auto valid = load_vectors("transcript-v1.json")["credential_json_rule"]["valid"];
    for (const auto& c : valid) {
      INFO(c["why"].get<std::string>());
      AtCodes p;
      p.receiver.on_user_confirmed();
      auto actions = p.receiver.on_frame(p.sender.sealed(MessageType::credential, hex(c["plaintext_hex"])));
      auto* d = find_action<DeliverCredential>(actions);
      REQUIRE(d);
      CHECK(as_chars(d->credential.bytes.view()) == c["delivered"].get<std::string>());
    }
  }
  SECTION("each invalid padding case of the transcript") {
    auto invalid = load_vectors("transcript-v1.json")["invalid_padding"];
    for (const auto& c : invalid) {
      INFO(c["why"].get<std::string>());
      AtCodes p;
      p.receiver.on_user_confirmed();
      auto actions = p.receiver.on_frame(p.sender.sealed(MessageType::credential, hex(c["plaintext_hex"])));
      require_attack(p.receiver, actions, "bad_credential", true);
    }
  }
  SECTION("J over 65536 bytes (length field 65537 in a full-size plaintext)") {
    AtCodes p;
    Bytes plaintext(kMaxPaddedCredentialBytes, 0);
    plaintext[1] = 1;
    plaintext[3] = 1;
    auto actions = p.receiver.on_frame(p.sender.sealed(MessageType::credential, plaintext));
    require_attack(p.receiver, actions, "bad_credential", true);
  }
  SECTION("a CREDENTIAL frame over the size limit") {
    AtCodes p;
    auto actions = p.receiver.on_frame(p.sender.sealed(MessageType::credential, Bytes(kMaxPaddedCredentialBytes + 256, 0)));
    require_attack(p.receiver, actions, "bad_message", true);
  }
  SECTION("a flipped tag") {
    AtCodes p;
    auto frame = p.sender.sealed(MessageType::credential, padded_credential(R"({"credential":"a"})"));
    frame.back() ^= 1;
    require_attack(p.receiver, p.receiver.on_frame(frame), "bad_message", true);
  }
}

TEST_CASE("receiver: auto-accept still shows the code and delivers on arrival") {
  auto r = make_receiver({.auto_accept = true});
  ManualSender s(r.link());
  s.open_response(only_frame(r.on_frame(s.hello())));
  CHECK(find_action<ShowSas>(r.on_frame(s.reveal())));
  auto delivered = r.on_frame(s.sealed(MessageType::credential, padded_credential(R"({"credential":{"a":[1,2]}})")));
  auto* d = find_action<DeliverCredential>(delivered);
  REQUIRE(d);
  CHECK_FALSE(d->credential.is_string);
  CHECK(as_chars(d->credential.bytes.view()) == R"({"a":[1,2]})");
}

TEST_CASE("receiver: the application's refusal is sent as RESULT accepted=false") {
  AtCodes p;
  p.receiver.on_user_confirmed();
  p.receiver.on_frame(p.sender.sealed(MessageType::credential, padded_credential(R"({"credential":"a"})")));
  auto actions = p.receiver.on_credential_handled(false, "file exists");
  CHECK(only_frame(actions).size() == kStatusFrameBytes);
  auto body = p.sender.open_response(only_frame(actions));
  std::string json = R"({"accepted":false,"reason":"file exists"})";
  CHECK(as_chars(body.view()) == json + std::string(kStatusBodyBytes - json.size(), ' '));
  CHECK(p.receiver.state() == Receiver::State::done);
  CHECK_FALSE(p.receiver.holds_secrets());
}

TEST_CASE("receiver: events that make no sense in a state abort; after the end they are ignored") {
  auto r = make_receiver();
  require_aborted(r, r.on_user_confirmed(), Reason::invalid_event, false);
  CHECK(r.on_frame(Bytes{0x01}).empty());
  CHECK(r.on_intrusion().empty());
  CHECK(r.on_timeout().empty());
  CHECK(r.on_peer(PeerEvent::joined).empty());

  auto early = make_receiver();
  require_aborted(early, early.on_credential_handled(true), Reason::invalid_event, false);
  auto cancelled = make_receiver();
  require_aborted(cancelled, cancelled.on_user_rejected(), Reason::user_cancelled, false);
}

TEST_CASE("receiver: Nr is drawn only after HELLO") {
  ScriptedRng rng;
  rng.push(Bytes(32, 7));   // skR
  rng.push(Bytes(32, 9));   // Nr
  auto r = make_receiver(kPage, {}, rng).value();
  CHECK(rng.draws() == 1);
  r.on_peer(PeerEvent::joined);
  CHECK(rng.draws() == 1);
  ManualSender s(r.link());
  r.on_frame(s.hello());
  CHECK(rng.draws() == 2);
  CHECK(rng.remaining() == 0);
}

TEST_CASE("receiver: a user's cancel while the application stores the credential changes nothing; RESULT tells the truth") {
  AtCodes p;
  p.receiver.on_user_confirmed();
  auto delivered = p.receiver.on_frame(p.sender.sealed(MessageType::credential, padded_credential(R"({"credential":"a"})")));
  REQUIRE(find_action<DeliverCredential>(delivered));
  CHECK(p.receiver.cancel(Reason::user_cancelled).empty());  // no ABORT(user_cancelled) after the fact
  CHECK(p.receiver.state() == Receiver::State::delivering);
  auto result = p.receiver.on_credential_handled(true);
  auto body = p.sender.open_response(only_frame(result));
  CHECK(std::string(as_chars(body.view())).find(R"("accepted":true)") != std::string::npos);
  CHECK(p.receiver.state() == Receiver::State::done);
  // A lost connection then is still an ending (after READY: a possible attack).
  AtCodes q;
  q.receiver.on_user_confirmed();
  q.receiver.on_frame(q.sender.sealed(MessageType::credential, padded_credential(R"({"credential":"a"})")));
  require_attack(q.receiver, q.receiver.cancel(Reason::network), "network", true);
}
