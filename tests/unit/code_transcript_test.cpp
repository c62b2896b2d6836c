// tests/vectors/code-v1.json reproduced byte for byte by the code machines
// (the primitives are pinned to it by code_vectors_test), and each of its
// failure cases ending the machine it is addressed to with its reason.
#include <catch2/catch.hpp>

#include "crypto/pairing/testing/machines.hpp"
#include "tests/support/pairing_helpers.hpp"
#include "tests/support/vectors.hpp"

using namespace qrlogin;
using namespace qrlogin::test;
using qrlogin::pairing::testing::make_code_receiver;
using qrlogin::pairing::testing::make_code_sender;
using qrlogin::pairing::testing::make_sender;
using qrlogin::testing::ScriptedRng;
using nlohmann::json;

namespace {

const json& vectors() {
  static const auto doc = load_vectors("code-v1.json");
  return doc;
}

std::string text(const json& field) { return field.get<std::string>(); }

Bytes frame_hex(const std::string& type) {
  for (const auto& f : vectors()["frames"])
    if (f["type"] == type) return hex(f["hex"]);
  throw std::runtime_error("no frame " + type);
}

Bytes be32(std::uint32_t u) {
  return {static_cast<std::uint8_t>(u >> 24), static_cast<std::uint8_t>(u >> 16), static_cast<std::uint8_t>(u >> 8),
          static_cast<std::uint8_t>(u)};
}

// The machines with the vectors' randomness: the receiver's draws of N and
// P are the numbers themselves (both below their bounds), then skR, sid, y_a;
// the sender's y_b, then skE.
struct Fixed {
  ScriptedRng rng_r, rng_s;
  std::optional<CodeReceiver> receiver;
  std::optional<CodeSender> sender;

  Fixed() {
    const auto& in = vectors()["inputs"];
    rng_r.push(be32(static_cast<std::uint32_t>(std::stoul(text(in["nameplate"])))));
    rng_r.push(be32(static_cast<std::uint32_t>(std::stoul(text(in["password"])))));
    rng_r.push(hex(in["skR"]));
    rng_r.push(hex(in["sid"]));
    rng_r.push(hex(in["ya"]));
    rng_s.push(hex(in["yb"]));
    rng_s.push(hex(in["skE"]));
    receiver.emplace(make_code_receiver(text(in["page_url"]), rng_r).value());
    auto typed = parse_typed_code(text(vectors()["display"])).value();
    auto j = credential_json_from_text(as_bytes(text(in["credential"])), text(in["label"]));
    sender.emplace(make_code_sender(text(in["page_url"]), std::move(typed), std::move(j).value(), rng_s).value());
  }
};

// The machine ended because of `expect`: shown as it is, or, once PAKE_S was
// sent or received, as a possible attack with `expect` as the detail.
void require_ended_by(const Actions& actions, const std::string& expect) {
  const auto* ending = find_action<Aborted>(actions);
  REQUIRE(ending);
  if (reason_code(ending->reason) == expect) return;
  CHECK(ending->reason == Reason::possible_attack);
  CHECK(ending->detail == expect);
}

}  // namespace

TEST_CASE("code-v1: the machines reproduce every frame, and the credential arrives") {
  const auto& v = vectors();
  Fixed f;
  auto& r = *f.receiver;
  auto& s = *f.sender;
  CHECK(std::string(r.code()->digits()) == text(v["code"]));
  CHECK(r.code()->display().view() == text(v["display"]));
  CHECK(r.code()->spoken().view() == text(v["spoken"]));
  CHECK(r.cid().text == text(v["cid"]));
  CHECK(s.cid().text == text(v["cid"]));
  CHECK(f.rng_r.remaining() == 0);

  auto pake_r = only_frame(r.start());
  CHECK(pake_r == frame_hex("PAKE_R"));
  auto pake_s = only_frame(s.on_frame(pake_r));
  CHECK(pake_s == frame_hex("PAKE_S"));
  CHECK(f.rng_s.remaining() == 0);
  auto verified = r.on_frame(pake_s);
  CHECK(find_action<CodeVerified>(verified));
  CHECK(only_frame(verified) == frame_hex("CONFIRM_R"));
  CHECK(find_action<CodeVerified>(s.on_frame(frame_hex("CONFIRM_R"))));
  auto credential = only_frame(s.on_user_confirmed());
  CHECK(credential == frame_hex("CREDENTIAL"));

  auto asked = r.on_frame(credential);
  REQUIRE(find_action<AskToAccept>(asked));
  CHECK(find_action<AskToAccept>(asked)->label == text(v["inputs"]["label"]));
  auto delivered = r.on_user_confirmed();
  REQUIRE(find_action<DeliverCredential>(delivered));
  const auto& got = find_action<DeliverCredential>(delivered)->credential;
  CHECK(got.is_string);
  CHECK(hex_encode(got.bytes.view()) == hex_encode(as_bytes(text(v["inputs"]["credential"]))));
  auto result = only_frame(r.on_credential_handled(true));
  CHECK(result == frame_hex("RESULT"));
  auto shown = s.on_frame(result);
  REQUIRE(find_action<ShowResult>(shown));
  CHECK(find_action<ShowResult>(shown)->accepted);
  CHECK(r.state() == CodeReceiver::State::done);
  CHECK(s.state() == CodeSender::State::done);
}

TEST_CASE("code-v1: the receiver's and the sender's ABORT") {
  const auto& v = vectors();
  {
    Fixed f;
    f.receiver->on_frame(only_frame(f.sender->on_frame(only_frame(f.receiver->start()))));
    f.receiver->on_frame(frame_hex("CREDENTIAL"));
    auto refused = f.receiver->on_user_rejected();
    CHECK(only_frame(refused) == hex(v["receiver_abort"]["hex"]));
    CHECK(text(v["receiver_abort"]["reason"]) == "user_cancelled");
  }
  {
    Fixed f;
    f.sender->on_frame(only_frame(f.receiver->start()));
    f.sender->on_frame(frame_hex("CONFIRM_R"));
    auto refused = f.sender->on_user_rejected();
    CHECK(only_frame(refused) == hex(v["sender_abort"]["hex"]));
    CHECK(text(v["sender_abort"]["reason"]) == "user_cancelled");
  }
}

TEST_CASE("code-v1: every failure case ends the machine it is sent to with its reason, and nothing is delivered") {
  int checked = 0;
  for (const auto& failure : vectors()["failures"]) {
    INFO(text(failure["name"]));
    Fixed f;
    auto frame = hex(failure["frame"]);
    auto expect = text(failure["expect"]);
    const auto to = text(failure["to"]);
    Actions ended;
    if (to == "receiver") {
      f.receiver->start();
      for (const auto& name : failure["after"]) REQUIRE(find_action<Aborted>(f.receiver->on_frame(frame_hex(text(name)))) == nullptr);
      ended = f.receiver->on_frame(frame);
      CHECK(f.receiver->state() == CodeReceiver::State::aborted);
      CHECK_FALSE(f.receiver->holds_secrets());
    } else if (to == "sender") {
      for (const auto& name : failure["after"]) REQUIRE(find_action<Aborted>(f.sender->on_frame(frame_hex(text(name)))) == nullptr);
      ended = f.sender->on_frame(frame);
      CHECK(f.sender->state() == CodeSender::State::aborted);
      CHECK_FALSE(f.sender->holds_secrets());
      CHECK_FALSE(f.sender->credential_sent());
    } else {
      REQUIRE(to == "qr_sender");
      auto qr_receiver = Receiver::create("https://login.example.com/pair", {}).value();
      auto qr_sender = Sender::create(parse_link(qr_receiver.link()).value(), Secret::copy_of(as_bytes("{}"))).value();
      qr_sender.start();
      ended = qr_sender.on_frame(frame);
      CHECK(qr_sender.state() == Sender::State::aborted);
    }
    require_ended_by(ended, expect);
    CHECK(find_action<DeliverCredential>(ended) == nullptr);
    CHECK(find_action<AskToAccept>(ended) == nullptr);
    ++checked;
  }
  CHECK(checked == 19);
}
