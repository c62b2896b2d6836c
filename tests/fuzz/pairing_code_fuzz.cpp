// Feeds a code receiver or a code sender (the input's first byte picks which,
// and whether the honest first flights happen, so that the verified and
// sealed paths are reachable) a sequence of frames and user events decoded
// from the fuzzer's input. The machine must never crash, must end in a
// defined state, and must hold no secret once it ended.
#include <cstdint>
#include <cstdlib>

#include "crypto/pairing/testing/machines.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;
using qrlogin::pairing::testing::make_code_receiver;
using qrlogin::pairing::testing::make_code_sender;
using qrlogin::pairing::testing::ScriptedRng;

namespace {

void check(bool ok) {
  if (!ok) std::abort();
}

Bytes only_frame(const Actions& actions) {
  for (const auto& a : actions)
    if (auto* f = std::get_if<SendFrame>(&a)) return f->frame;
  return {};
}

// Records: [op][len16][bytes...]
template <class Machine, class UserEvent>
void drive(Machine& machine, ByteView in, std::size_t i, UserEvent user_event) {
  while (i < in.size()) {
    std::uint8_t op = in[i++];
    if (op % 8 < 5) {
      user_event(machine, op);
      continue;
    }
    if (i + 2 > in.size()) return;
    std::size_t len = (std::size_t{in[i]} << 8) | in[i + 1];
    i += 2;
    len = std::min(len, in.size() - i);
    machine.on_frame(in.subspan(i, len));
    i += len;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ByteView in(data, size);
  std::uint8_t mode = in.empty() ? 0 : in[0];
  ScriptedRng rng_r, rng_s;
  for (std::uint32_t draw : {4821073U, 315906U}) {
    rng_r.push(Bytes{static_cast<std::uint8_t>(draw >> 24), static_cast<std::uint8_t>(draw >> 16),
                     static_cast<std::uint8_t>(draw >> 8), static_cast<std::uint8_t>(draw)});
  }
  rng_r.push(Bytes(32, 0x11));
  rng_r.push(Bytes(16, 0x22));
  rng_r.push(Bytes(32, 0x33));
  rng_s.push(Bytes(32, 0x44));
  rng_s.push(Bytes(32, 0x55));
  constexpr std::string_view kPage = "https://login.example.com/pair";
  auto receiver = make_code_receiver(kPage, rng_r).value();
  auto sender = make_code_sender(kPage, parse_typed_code("48210733159065").value(),
                                 credential_json_from_text(as_bytes("fuzz"), {}).value(), rng_s)
                    .value();
  auto pake_r = only_frame(receiver.start());
  bool honest_start = mode & 2;

  if (mode & 1) {
    if (honest_start) receiver.on_frame(only_frame(sender.on_frame(pake_r)));
    drive(receiver, in, 1, [](CodeReceiver& r, std::uint8_t op) {
      switch (op % 8) {
        case 0: r.on_user_confirmed(); break;
        case 1: r.on_user_rejected(); break;
        case 2: r.on_timeout(); break;
        case 3: r.on_peer(static_cast<PeerEvent>(op % 3)); break;
        default: r.on_credential_handled(op & 0x10); break;
      }
    });
    auto state = receiver.state();
    if (state == CodeReceiver::State::aborted || state == CodeReceiver::State::done) check(!receiver.holds_secrets());
  } else {
    if (honest_start) sender.on_frame(pake_r);
    drive(sender, in, 1, [](CodeSender& s, std::uint8_t op) {
      switch (op % 8) {
        case 0: s.on_user_confirmed(); break;
        case 1: s.on_user_rejected(); break;
        case 2: s.on_timeout(); break;
        case 3: s.on_peer(static_cast<PeerEvent>(op % 3)); break;
        default: s.cancel(static_cast<Reason>(op % 18)); break;
      }
    });
    auto state = sender.state();
    if (state == CodeSender::State::aborted || state == CodeSender::State::done) check(!sender.holds_secrets());
  }
  return 0;
}
