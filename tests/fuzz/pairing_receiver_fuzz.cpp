// Feeds a receiver machine a sequence of frames and user events decoded from
// the fuzzer's input, after a genuine HELLO so that the sealed paths are
// reachable. The machine must never crash, and must end in a defined state.
#include <cstdint>
#include <cstdlib>

#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"
#include "crypto/pairing/testing/machines.hpp"

using namespace qrlogin;
using namespace qrlogin::pairing;
using qrlogin::pairing::testing::make_receiver;
using qrlogin::pairing::testing::make_sender;
using qrlogin::pairing::testing::ScriptedRng;

namespace {
void check(bool ok) {
  if (!ok) std::abort();
}
}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  ScriptedRng rng_r, rng_s;
  rng_r.push(Bytes(32, 0x11));
  rng_r.push(Bytes(32, 0x22));
  rng_s.push(Bytes(32, 0x33));
  rng_s.push(Bytes(32, 0x44));
  auto receiver = make_receiver("http://127.0.0.1/pair", {}, rng_r).value();
  auto sender = make_sender(parse_link(receiver.link()).value(),
                               credential_json_from_text(as_bytes("fuzz"), {}).value(), rng_s)
                    .value();
  ByteView in(data, size);
  bool genuine_start = !in.empty() && (in[0] & 1);
  if (genuine_start) {
    for (const auto& a : sender.start())
      if (auto* f = std::get_if<SendFrame>(&a)) receiver.on_frame(f->frame);
  }
  // Records: [op][len16][bytes...]
  std::size_t i = in.empty() ? 0 : 1;
  while (i < in.size()) {
    std::uint8_t op = in[i++];
    switch (op % 8) {
      case 0: receiver.on_user_confirmed(); break;
      case 1: receiver.on_user_rejected(); break;
      case 2: receiver.on_timeout(); break;
      case 3: receiver.on_peer(static_cast<PeerEvent>(op % 3)); break;
      case 4: receiver.on_credential_handled(op & 0x10); break;
      default: {
        if (i + 2 > in.size()) return 0;
        std::size_t len = (std::size_t{in[i]} << 8) | in[i + 1];
        i += 2;
        len = std::min(len, in.size() - i);
        receiver.on_frame(in.subspan(i, len));
        i += len;
      }
    }
  }
  auto state = receiver.state();
  if (state == Receiver::State::aborted || state == Receiver::State::done) check(!receiver.holds_secrets());
  return 0;
}
