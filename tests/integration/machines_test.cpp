// A whole contract pairing through a real relay, driven by the pairing
// layer's two state machines: what the relay forwards is exactly what the
// machines produce, and the credential arrives.
#include <variant>

#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"
#include "tests/support/relay_helpers.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;
using namespace qrlogin::testing;

namespace {

// Sends every frame among the actions; returns the other actions' kinds.
std::vector<std::size_t> carry_out(const Actions& actions, Client& client, std::vector<Bytes>* sent) {
  std::vector<std::size_t> kinds;
  for (const auto& a : actions) {
    kinds.push_back(a.index());
    if (auto* f = std::get_if<SendFrame>(&a)) {
      REQUIRE(client.send(f->frame).ok());
      sent->push_back(f->frame);
    }
  }
  return kinds;
}

Bytes next_frame(Client& client) {
  for (;;) {
    auto e = client.next(5s);
    REQUIRE(e.ok());
    REQUIRE(e->kind != Event::Kind::closed);
    if (e->kind == Event::Kind::binary) return e->bytes;
  }
}

}  // namespace

TEST_CASE("machines: a contract pairing through the relay, driven by both state machines", "[integration]") {
  RelayProcess relay;
  auto page = "http://127.0.0.1:" + std::to_string(relay.port()) + "/pair";
  auto receiver = Receiver::create(page, {}).value();
  auto link = parse_link(receiver.link()).value();
  auto sender = Sender::create(link, credential_json_from_text(as_bytes("grant-42"), "Phone").value())
                    .value();

  auto r = join(relay, receiver.cid().text, "receiver");
  auto s = join(relay, link.cid.text, "sender", /*expect_peer=*/true);
  std::vector<Bytes> from_sender, from_receiver;

  carry_out(sender.start(), *s, &from_sender);                                   // HELLO
  carry_out(receiver.on_frame(next_frame(*r)), *r, &from_receiver);              // READY
  carry_out(sender.on_frame(next_frame(*s)), *s, &from_sender);                  // REVEAL (+ code)
  carry_out(receiver.on_frame(next_frame(*r)), *r, &from_receiver);              // code shown
  CHECK(receiver.sas() == sender.sas());
  carry_out(sender.on_user_confirmed(), *s, &from_sender);                       // CREDENTIAL
  CHECK(receiver.on_frame(next_frame(*r)).empty());
  auto delivered = receiver.on_user_confirmed();
  REQUIRE(std::holds_alternative<DeliverCredential>(delivered.at(0)));
  CHECK(as_chars(std::get<DeliverCredential>(delivered[0]).credential.bytes.view()) == "grant-42");
  carry_out(receiver.on_credential_handled(true), *r, &from_receiver);           // RESULT
  auto result = sender.on_frame(next_frame(*s));
  REQUIRE(std::holds_alternative<ShowResult>(result.at(0)));
  CHECK(std::get<ShowResult>(result[0]).accepted);

  // Contract sizes: HELLO 65, REVEAL 49, CREDENTIAL 273; READY 49, RESULT 145.
  REQUIRE(from_sender.size() == 3);
  CHECK(from_sender[0].size() == 65);
  CHECK(from_sender[1].size() == 49);
  CHECK(from_sender[2].size() == 273);
  REQUIRE(from_receiver.size() == 2);
  CHECK(from_receiver[0].size() == 49);
  CHECK(from_receiver[1].size() == 145);
  CHECK(receiver.state() == Receiver::State::done);
  CHECK(sender.state() == Sender::State::done);

  // A normal close by one side ends the channel at once: the other side is
  // closed normally too, and the cid cannot be used again.
  REQUIRE(s->close(1000).ok());
  auto closed = r->wait_closed(5s);
  REQUIRE(closed.ok());
  CHECK(closed->close_code == 1000);
  auto again = connect(relay, receiver.cid().text, "sender");
  REQUIRE(again);
  expect_error_then_close(*again.client, "expired", 4404);
}
