#pragma once
// What a client must remember to resume its relay channel after the socket
// dropped (docs/protocol.md, "Resume"), without any I/O, so it can be tested
// on its own:
//
// - the resume token of the last `joined`: in memory only, in a wiped
//   buffer, replaced (and wiped) by every `joined`, dropped when the relay
//   refuses it;
// - how many binary frames this client received on the channel, over all
//   its connections (sent as `received=N` on a resume);
// - a copy of every binary frame it sent that the relay has not confirmed
//   yet: a resume's `joined` says how many of ours the relay had, and the
//   rest are sent again, each exactly once, in order.
//
// And Backoff, the schedule of reconnect attempts.
#include <chrono>
#include <cstdint>
#include <deque>
#include <optional>
#include <string_view>
#include <vector>

#include "cli/error.hpp"
#include "crypto/bytes.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::cli {

class ResumeLedger {
 public:
  // A `joined` arrived with `token` (its resume_token; the caller wipes its
  // own copy) and, on a resume, `relay_received`: how many of our frames the
  // relay had. Forgets the frames the relay confirmed. bad_resume when that
  // count is below what an earlier `joined` confirmed or above what we sent
  // (a relay that cannot count: the channel cannot go on). An empty token
  // leaves nothing to resume with.
  Status on_joined(std::string_view token, std::optional<std::uint64_t> relay_received);

  // A binary frame was received (and handed to the pairing).
  void on_received() noexcept {
    ++received_;
    sent_at_last_receive_ = sent();
  }
  // A binary frame is being sent (or queued while reconnecting).
  void on_sent(ByteView frame);

  // The frames the relay has not confirmed, oldest first: after a resume's
  // on_joined, exactly the ones to send again.
  [[nodiscard]] std::vector<ByteView> unconfirmed() const;

  [[nodiscard]] bool can_resume() const noexcept { return !token_.empty(); }
  // The token for the next resume attempt. It stays until a `joined`
  // replaces it or forget_token(): an attempt that never reached the relay
  // did not spend it.
  [[nodiscard]] std::string_view token() const noexcept { return as_chars(token_.view()); }
  void forget_token() noexcept { token_.wipe(); }

  [[nodiscard]] std::uint64_t received() const noexcept { return received_; }
  [[nodiscard]] std::uint64_t sent() const noexcept { return confirmed_ + unconfirmed_.size(); }
  // True when the last frame on the channel was ours: nothing the peer sent
  // proves it got it (the receiver's RESULT, an ABORT), so a normal close
  // should first make sure the relay has it.
  [[nodiscard]] bool last_frame_ours() const noexcept { return sent_at_last_receive_ < sent(); }

 private:
  Secret token_;
  std::uint64_t received_ = 0;
  std::uint64_t confirmed_ = 0;       // our frames the relay said it had
  std::deque<Secret> unconfirmed_;    // the frames after those, in order
  std::uint64_t sent_at_last_receive_ = 0;
};

// Reconnect delays: 250 ms, 500 ms, 1 s, 2 s, then 4 s each, until reset().
class Backoff {
 public:
  using Millis = std::chrono::milliseconds;
  explicit Backoff(Millis first = Millis{250}, Millis cap = Millis{4000}) : first_(first), cap_(cap), next_(first) {}
  Millis next() noexcept;
  void reset() noexcept { next_ = first_; }

 private:
  Millis first_, cap_, next_;
};

}  // namespace qrlogin::cli
