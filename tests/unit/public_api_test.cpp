// What an integrator can call draws its randomness from the system: no
// public function takes an Rng or an ephemeral key, and the scripted Rng is
// not declared by any header that ships. This file includes only those
// headers; it compiles only while that holds (the test-only hooks live in
// crypto/testing and crypto/pairing/testing, linked only by tests).
#include <catch2/catch.hpp>

#include <algorithm>
#include <string_view>
#include <type_traits>
#include <utility>
#include <variant>

#include "crypto/hpke.hpp"
#include "crypto/random.hpp"
#include "crypto/x25519.hpp"
#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"
#include "crypto/pairing/code_receiver.hpp"
#include "crypto/pairing/code_sender.hpp"

namespace probe {
struct ScriptedRng {};
}  // namespace probe
// Found through this using-directive only when qrlogin declares none itself.
namespace qrlogin {
using namespace ::probe;
}

namespace {

using namespace qrlogin;
using namespace qrlogin::pairing;

static_assert(std::is_same_v<qrlogin::ScriptedRng, probe::ScriptedRng>,
              "a shipped header declares qrlogin::ScriptedRng (it belongs in crypto/testing)");

// Each concept holds when the call compiles; they are templates so that a
// call that does not compile makes them false rather than the file invalid.
template <class R>
concept ReceiverTakesRng = requires(R& rng, Receiver::Options options) {
  Receiver::create(std::string_view{}, std::string_view{}, rng);
} || requires(R& rng, Receiver::Options options) {
  Receiver::create(std::string_view{}, std::string_view{}, rng, options);
};
template <class R>
concept SenderTakesRng = requires(R& rng, const Link& link, Secret j) { Sender::create(link, std::move(j), rng); };
template <class R>
concept KeyGenerationTakesRng = requires(R& rng) { x25519::generate(rng); };
template <class R>
concept HpkeSenderTakes = requires(R& hook, ByteView pk) {
  hpke::setup_base_sender(aead::Algorithm::aes128_gcm, pk, pk, hook);
};
template <class R>
concept ReceiverCreates = requires { Receiver::create(std::string_view{}, std::string_view{}); };
template <class R>
concept SenderCreates = requires(const Link& link, Secret j) { Sender::create(link, std::move(j)); };

template <class R>
concept CodeReceiverTakesRng = requires(R& rng) { CodeReceiver::create(std::string_view{}, rng); };
template <class R>
concept CodeSenderTakesRng = requires(R& rng, Code code, Secret j) {
  CodeSender::create(std::string_view{}, std::move(code), std::move(j), rng);
};
template <class R>
concept CodeDrawTakesRng = requires(R& rng) { draw_code(rng); };
static_assert(!CodeReceiverTakesRng<Rng>, "CodeReceiver::create must not take an Rng");
static_assert(!CodeSenderTakesRng<Rng>, "CodeSender::create must not take an Rng");
static_assert(!CodeDrawTakesRng<Rng>, "draw_code must not take an Rng");
static_assert(!ReceiverTakesRng<Rng>, "Receiver::create must not take an Rng");
static_assert(!SenderTakesRng<Rng>, "Sender::create must not take an Rng");
static_assert(!KeyGenerationTakesRng<Rng>, "x25519::generate must not take an Rng");
static_assert(!HpkeSenderTakes<Rng>, "hpke::setup_base_sender must not take an Rng");
static_assert(!HpkeSenderTakes<const x25519::KeyPair>, "hpke::setup_base_sender must not take an ephemeral key");
// What an integrator does call still compiles (so the checks above are not
// false for some other reason).
static_assert(ReceiverCreates<Rng> && SenderCreates<Rng>);

}  // namespace

TEST_CASE("public API: two receivers never share a key, two senders never share an ephemeral key") {
  auto a = Receiver::create("https://example.com/pair", {}).value();
  auto b = Receiver::create("https://example.com/pair", {}).value();
  CHECK(a.public_key() != b.public_key());
  CHECK(a.link() != b.link());

  auto link = parse_link(a.link()).value();
  auto first = Sender::create(link, credential_json_from_text(as_bytes("x"), {}).value()).value();
  auto second = Sender::create(link, credential_json_from_text(as_bytes("x"), {}).value()).value();
  auto hello_of = [](Sender& s) {
    for (const auto& action : s.start())
      if (const auto* f = std::get_if<SendFrame>(&action)) return f->frame;
    return Bytes{};
  };
  auto one = hello_of(first);
  auto two = hello_of(second);
  REQUIRE(one.size() == kHelloFrameBytes);
  REQUIRE(two.size() == kHelloFrameBytes);
  // HELLO = type || enc || commit: a fresh enc (and Ns) each time.
  CHECK(Bytes(one.begin() + 1, one.begin() + 33) != Bytes(two.begin() + 1, two.begin() + 33));
}

TEST_CASE("public API: two code receivers never share a code, a key or a share") {
  auto a = CodeReceiver::create("https://example.com/pair").value();
  auto b = CodeReceiver::create("https://example.com/pair").value();
  CHECK(a.code()->digits() != b.code()->digits());
  Bytes first, second;
  for (const auto& action : a.start())
    if (auto* f = std::get_if<SendFrame>(&action)) first = f->frame;
  for (const auto& action : b.start())
    if (auto* f = std::get_if<SendFrame>(&action)) second = f->frame;
  REQUIRE(first.size() == kPakeRFrameBytes);
  REQUIRE(second.size() == kPakeRFrameBytes);
  // sid, Ya and pkR all differ.
  CHECK(!std::equal(first.begin() + 1, first.begin() + 17, second.begin() + 1));
  CHECK(!std::equal(first.begin() + 17, first.begin() + 49, second.begin() + 17));
  CHECK(!std::equal(first.begin() + 49, first.end(), second.begin() + 49));
}
