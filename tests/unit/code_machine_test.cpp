// The code receiver and code sender machines against each other and against
// every out-of-order, altered or hostile input: what each side shows, what
// it sends (ABORT only after verifying the peer's tag), and that nothing is
// delivered and the secrets are gone after any ending.
#include <catch2/catch.hpp>

#include "crypto/pairing/code_receiver.hpp"
#include "crypto/pairing/code_sender.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"
#include "tests/support/pairing_helpers.hpp"

using namespace qrlogin;
using namespace qrlogin::test;

namespace {

constexpr std::string_view kPage = "https://login.example.com/pair";
constexpr std::string_view kCredential = R"({"credential":"grant_1","label":"Alice's phone"})";

std::string text_of(ByteView bytes) { return {reinterpret_cast<const char*>(bytes.data()), bytes.size()}; }

Code code_of(const CodeReceiver& r) { return parse_typed_code(r.code()->digits()).value(); }

// The same nameplate with another password (and a valid check digit): what a
// person who mistyped one digit of P, and then fixed the check digit, sends.
Code other_password(const CodeReceiver& r) {
  std::string digits(r.code()->digits().substr(0, kNameplateDigits + kPasswordDigits));
  digits[kNameplateDigits] = digits[kNameplateDigits] == '9' ? '0' : static_cast<char>(digits[kNameplateDigits] + 1);
  digits.push_back(static_cast<char>('0' + damm(digits)));
  return parse_typed_code(digits).value();
}

CodeSender sender_for(const CodeReceiver& r, std::string_view page = kPage) {
  return CodeSender::create(page, code_of(r), Secret::copy_of(as_bytes(kCredential))).value();
}

void require_ended(const Actions& actions, Reason shown, bool sends_abort) {
  INFO("expected " << reason_code(shown));
  CHECK(aborted_with(actions) == shown);
  CHECK(count_actions<CloseConnection>(actions) == 1);
  CHECK(count_actions<SendFrame>(actions) == (sends_abort ? 1 : 0));
  CHECK(find_action<DeliverCredential>(actions) == nullptr);
}

// An honest exchange up to both sides having verified the other's tag.
struct Verified {
  CodeReceiver receiver = CodeReceiver::create(kPage).value();
  CodeSender sender = sender_for(receiver);
  Verified() {
    auto pake_s = only_frame(sender.on_frame(only_frame(receiver.start())));
    auto r_actions = receiver.on_frame(pake_s);
    REQUIRE(find_action<CodeVerified>(r_actions));
    auto s_actions = sender.on_frame(only_frame(r_actions));
    REQUIRE(find_action<CodeVerified>(s_actions));
  }
};

}  // namespace

TEST_CASE("code pairing: both sides verify, the sender confirms, the receiver's user accepts, RESULT completes") {
  auto receiver = CodeReceiver::create(kPage).value();
  REQUIRE(receiver.code());
  CHECK(receiver.cid().text == code_channel_id(receiver.code()->nameplate()).text);
  auto sender = sender_for(receiver);
  CHECK(sender.cid().text == receiver.cid().text);

  auto pake_r = only_frame(receiver.start());
  CHECK(pake_r.size() == kPakeRFrameBytes);
  auto pake_s = only_frame(sender.on_frame(pake_r));
  CHECK(pake_s.size() == kPakeSFrameBytes);
  CHECK(sender.pake_sent());

  auto verified = receiver.on_frame(pake_s);
  CHECK(find_action<CodeVerified>(verified));
  CHECK_FALSE(receiver.code());  // proved: no longer shown or kept
  auto confirm = only_frame(verified);
  CHECK(confirm.size() == kConfirmRFrameBytes);

  CHECK(find_action<CodeVerified>(sender.on_frame(confirm)));
  CHECK(sender.state() == CodeSender::State::confirming);
  auto credential = only_frame(sender.on_user_confirmed());
  CHECK(sender.credential_sent());

  auto asked = receiver.on_frame(credential);
  REQUIRE(find_action<AskToAccept>(asked));
  CHECK(find_action<AskToAccept>(asked)->label == "Alice's phone");
  CHECK(find_action<DeliverCredential>(asked) == nullptr);  // not before the receiver's user accepts

  auto delivered = receiver.on_user_confirmed();
  REQUIRE(find_action<DeliverCredential>(delivered));
  CHECK(text_of(find_action<DeliverCredential>(delivered)->credential.bytes.view()) == "grant_1");
  auto result = only_frame(receiver.on_credential_handled(true));
  CHECK(receiver.state() == CodeReceiver::State::done);

  auto shown = sender.on_frame(result);
  REQUIRE(find_action<ShowResult>(shown));
  CHECK(find_action<ShowResult>(shown)->accepted);
  CHECK(sender.state() == CodeSender::State::done);
  CHECK_FALSE(receiver.holds_secrets());
  CHECK_FALSE(sender.holds_secrets());
}

TEST_CASE("code pairing: a deferred sender's credential is taken only when its user confirms") {
  auto receiver = CodeReceiver::create(kPage).value();
  auto sender = CodeSender::create(kPage, code_of(receiver)).value();
  auto confirm = only_frame(receiver.on_frame(only_frame(sender.on_frame(only_frame(receiver.start())))));
  sender.on_frame(confirm);
  auto credential = only_frame(sender.on_user_confirmed(Secret::copy_of(as_bytes(kCredential))));
  CHECK(find_action<AskToAccept>(receiver.on_frame(credential)));
}

TEST_CASE("a wrong password: the receiver says wrong_code and sends nothing, the sender's wait ends in wrong_code") {
  auto receiver = CodeReceiver::create(kPage).value();
  auto sender = CodeSender::create(kPage, other_password(receiver), Secret::copy_of(as_bytes(kCredential))).value();
  auto pake_s = only_frame(sender.on_frame(only_frame(receiver.start())));
  auto ended = receiver.on_frame(pake_s);
  require_ended(ended, Reason::wrong_code, false);
  CHECK_FALSE(receiver.holds_secrets());

  // No CONFIRM_R comes: the sender's timer, or the channel's end, says so.
  auto sender_timeout = sender.on_timeout();
  require_ended(sender_timeout, Reason::wrong_code, false);
  CHECK(sender.pake_sent());  // its driver now refuses this nameplate
  CHECK_FALSE(sender.holds_secrets());
}

TEST_CASE("a code typed into another application's page fails as a wrong code") {
  auto receiver = CodeReceiver::create(kPage).value();
  auto sender = sender_for(receiver, "https://other.example.com/pair");
  require_ended(receiver.on_frame(only_frame(sender.on_frame(only_frame(receiver.start())))), Reason::wrong_code, false);
}

TEST_CASE("the same origin written differently is the same application") {
  auto receiver = CodeReceiver::create("https://LOGIN.Example.com:443/pair?x").value();
  auto sender = sender_for(receiver, "https://login.example.com/elsewhere");
  CHECK(find_action<CodeVerified>(receiver.on_frame(only_frame(sender.on_frame(only_frame(receiver.start()))))));
}

TEST_CASE("a channel that ends between PAKE_S and CONFIRM_R is wrong_code at the sender at once") {
  for (auto reason : {Reason::network, Reason::expired, Reason::peer_aborted}) {
    auto receiver = CodeReceiver::create(kPage).value();
    auto sender = sender_for(receiver);
    sender.on_frame(only_frame(receiver.start()));
    auto ended = sender.cancel(reason);
    require_ended(ended, Reason::wrong_code, false);
    CHECK(find_action<Aborted>(ended)->detail == reason_code(reason));
  }
}

TEST_CASE("a tag_R that does not verify is wrong_code, and the sender sends nothing") {
  auto receiver = CodeReceiver::create(kPage).value();
  auto sender = sender_for(receiver);
  auto confirm = only_frame(receiver.on_frame(only_frame(sender.on_frame(only_frame(receiver.start())))));
  confirm[10] ^= 0x01;
  require_ended(sender.on_frame(confirm), Reason::wrong_code, false);
  CHECK_FALSE(sender.credential_sent());
}

TEST_CASE("no downgrade: QR messages to code machines and code messages to QR machines are unexpected") {
  auto receiver = CodeReceiver::create(kPage).value();
  receiver.start();
  Bytes hello(kHelloFrameBytes, 0x11);
  hello[0] = static_cast<std::uint8_t>(MessageType::hello);
  require_ended(receiver.on_frame(hello), Reason::unexpected_message, false);

  auto code_receiver = CodeReceiver::create(kPage).value();
  auto pake_r = only_frame(code_receiver.start());
  auto qr_receiver = Receiver::create(kPage, {}).value();
  auto qr_sender = Sender::create(parse_link(qr_receiver.link()).value(), Secret::copy_of(as_bytes(kCredential))).value();
  qr_sender.start();
  CHECK(aborted_with(qr_sender.on_frame(pake_r)) == Reason::unexpected_message);
  auto qr_receiver_actions = qr_receiver.on_frame(pake_r);
  CHECK(aborted_with(qr_receiver_actions) == Reason::unexpected_message);
}

TEST_CASE("one CPace session per code: a second PAKE_S or PAKE_R is refused") {
  Verified v;
  auto again = v.receiver.on_frame(Bytes(kPakeSFrameBytes, 0x08));
  // After PAKE_S every ending is shown as a possible attack; the receiver
  // verified the sender, so it tells it with ABORT.
  require_ended(again, Reason::possible_attack, true);
  CHECK(find_action<Aborted>(again)->detail == "unexpected_message");

  Verified w;
  Bytes pake_r(kPakeRFrameBytes, 0x00);
  pake_r[0] = static_cast<std::uint8_t>(MessageType::pake_r);
  require_ended(w.sender.on_frame(pake_r), Reason::possible_attack, true);
}

TEST_CASE("frames of the wrong size are bad_message") {
  for (int delta : {-1, 1}) {
    auto receiver = CodeReceiver::create(kPage).value();
    auto sender = sender_for(receiver);
    auto pake_r = only_frame(receiver.start());
    auto pake_s = only_frame(sender.on_frame(pake_r));
    pake_s.resize(pake_s.size() + static_cast<std::size_t>(delta), 0);
    auto ended = receiver.on_frame(pake_s);
    require_ended(ended, Reason::possible_attack, false);
    CHECK(find_action<Aborted>(ended)->detail == "bad_message");

    auto other_receiver = CodeReceiver::create(kPage).value();
    auto other_sender = sender_for(other_receiver);
    auto resized_pake_r = only_frame(other_receiver.start());
    resized_pake_r.resize(resized_pake_r.size() + static_cast<std::size_t>(delta), 0);
    require_ended(other_sender.on_frame(resized_pake_r), Reason::bad_message, false);
  }
}

TEST_CASE("the receiver's user refusing the login sends ABORT, and the sender shows a possible attack") {
  Verified v;
  auto asked = v.receiver.on_frame(only_frame(v.sender.on_user_confirmed()));
  REQUIRE(find_action<AskToAccept>(asked));
  auto refused = v.receiver.on_user_rejected();
  require_ended(refused, Reason::user_cancelled, true);
  auto shown = v.sender.on_frame(only_frame(refused));
  require_ended(shown, Reason::possible_attack, false);
  CHECK(find_action<Aborted>(shown)->detail == "user_cancelled");
}

TEST_CASE("the sender's user refusing after Code accepted sends ABORT - the receiver shows a possible attack") {
  Verified v;
  auto refused = v.sender.on_user_rejected();
  require_ended(refused, Reason::user_cancelled, true);
  auto shown = v.receiver.on_frame(only_frame(refused));
  require_ended(shown, Reason::possible_attack, false);
  CHECK(find_action<Aborted>(shown)->detail == "user_cancelled");
}

TEST_CASE("an ABORT before the tags were verified is not genuine") {
  auto receiver = CodeReceiver::create(kPage).value();
  receiver.start();
  Bytes abort(kStatusFrameBytes, 0);
  abort[0] = static_cast<std::uint8_t>(MessageType::abort);
  require_ended(receiver.on_frame(abort), Reason::unexpected_message, false);
}

TEST_CASE("the receiver's attempts: three endings after a sender joined stop it, its user's cancel and unused codes do not count") {
  CodeAttempts attempts;
  auto unused = CodeReceiver::create(kPage).value();
  unused.start();
  unused.on_timeout();  // expired with nobody there
  CHECK_FALSE(attempts.record(unused));

  auto cancelled = CodeReceiver::create(kPage).value();
  cancelled.start();
  cancelled.on_peer(PeerEvent::joined);
  cancelled.cancel(Reason::user_cancelled);
  CHECK_FALSE(attempts.record(cancelled));
  CHECK(attempts.failures() == 0);

  for (int i = 1; i <= CodeAttempts::kLimit; ++i) {
    auto receiver = CodeReceiver::create(kPage).value();
    auto sender = CodeSender::create(kPage, other_password(receiver), Secret::copy_of(as_bytes(kCredential))).value();
    receiver.on_frame(only_frame(sender.on_frame(only_frame(receiver.start()))));
    CHECK(attempts.record(receiver) == (i == CodeAttempts::kLimit));
  }
  CHECK(attempts.exhausted());
  attempts.reset();
  CHECK_FALSE(attempts.exhausted());
}

TEST_CASE("a joined sender that never sends PAKE_S: the receiver times out, and it counts as an attempt") {
  CodeAttempts attempts;
  auto receiver = CodeReceiver::create(kPage).value();
  receiver.start();
  receiver.on_peer(PeerEvent::joined);
  require_ended(receiver.on_timeout(), Reason::timeout, false);
  CHECK(attempts.failures() == 0);
  attempts.record(receiver);
  CHECK(attempts.failures() == 1);
}

TEST_CASE("code machines refuse a page URL that is not an application's") {
  CHECK_FALSE(CodeReceiver::create("ftp://login.example.com/"));
  auto code = parse_typed_code("48210733159065").value();
  CHECK_FALSE(CodeSender::create("http://login.example.com/", std::move(code)));
}
