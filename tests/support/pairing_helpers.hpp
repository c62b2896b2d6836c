#pragma once
// Helpers for tests that drive the pairing machines: picking actions out of
// a list, and a hand-driven sender that can send whatever a hostile peer
// would.
#include <optional>
#include <variant>

#include "crypto/pairing/channel.hpp"
#include "crypto/pairing/frames.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"

namespace qrlogin::test {

using namespace qrlogin::pairing;

template <class T>
const T* find_action(const Actions& actions) {
  for (const auto& a : actions)
    if (auto* p = std::get_if<T>(&a)) return p;
  return nullptr;
}

template <class T>
int count_actions(const Actions& actions) {
  int n = 0;
  for (const auto& a : actions) n += std::holds_alternative<T>(a) ? 1 : 0;
  return n;
}

inline std::vector<Bytes> frames_of(const Actions& actions) {
  std::vector<Bytes> out;
  for (const auto& a : actions)
    if (auto* f = std::get_if<SendFrame>(&a)) out.push_back(f->frame);
  return out;
}

inline Bytes only_frame(const Actions& actions) {
  auto frames = frames_of(actions);
  if (frames.size() != 1) throw std::runtime_error("expected exactly one frame");
  return frames.front();
}

inline std::optional<Reason> aborted_with(const Actions& actions) {
  if (auto* a = find_action<Aborted>(actions)) return a->reason;
  return std::nullopt;
}

// A sender built from primitives, so a test can send any frame it likes.
struct ManualSender {
  Link link;
  hpke::Enc enc{};
  std::optional<hpke::Context> ctx;
  std::optional<hpke::SequencedAead> response;
  Bytes ns;

  explicit ManualSender(const std::string& link_text) : link(parse_link(link_text).value()) {
    auto setup = hpke::setup_base_sender(kAead, link.receiver_public_key, hpke_info(link.cid));
    enc = setup->enc;
    ctx.emplace(std::move(setup->context));
    response.emplace(response_aead(*ctx).value());
    ns.resize(kNonceBytes);
    system_rng().fill(ns);
  }

  Bytes hello() const {
    auto commit = commitment(link.cid, enc, ns);
    return make_hello(enc, commit);
  }
  Bytes hello_committing_to(ByteView other_ns) const { return make_hello(enc, commitment(link.cid, enc, other_ns)); }
  Bytes sealed(MessageType type, ByteView plaintext) { return seal_frame(*ctx, type, plaintext).value(); }
  Bytes reveal() { return sealed(MessageType::reveal, ns); }
  Secret open_response(ByteView frame) { return open_frame(*response, frame).value(); }
};

// A receiver built from primitives, so a test can answer a sender machine
// with any frame it likes: link() for the sender, then accept(HELLO) gives
// READY, and sealed() seals with the next response index.
struct ManualReceiver {
  x25519::KeyPair keys = x25519::generate();
  std::string link_text = build_link("http://127.0.0.1:8080/pair", keys.public_key, {}).value();
  std::optional<hpke::SequencedAead> response;

  const std::string& link() const { return link_text; }
  Bytes accept(ByteView hello) {
    auto cid = channel_id(keys.public_key);
    auto ctx = hpke::setup_base_receiver(kAead, hello.subspan(1, hpke::kEncBytes), keys.secret_key.view(), hpke_info(cid));
    response.emplace(response_aead(ctx.value()).value());
    Bytes nr(kNonceBytes);
    system_rng().fill(nr);
    return sealed(MessageType::ready, nr);
  }
  Bytes sealed(MessageType type, ByteView plaintext) { return seal_frame(*response, type, plaintext).value(); }
};

}  // namespace qrlogin::test
