#pragma once
// The code receiver's state machine (sans-IO): the new device, which shows a
// typed code instead of a QR code (docs/protocol.md, "Pairing by a typed
// code"). One machine is one code: after any ending its driver makes a new
// one (a fresh code), counting the endings that count_as_attempt() says
// count, and stops after three (CodeAttempts).
//
//   ready_to_start --start/PAKE_R--> waiting_for_sender
//   --PAKE_S with a valid tag_S/CONFIRM_R+CodeVerified--> waiting_for_credential
//   --CREDENTIAL/AskToAccept--> asking --user confirmed/DeliverCredential-->
//   delivering --on_credential_handled/RESULT--> done
//
// There is no auto-accept in code mode: pushing a credential needs no sight
// of the code, only a lucky guess. Keys and the code are wiped in both
// final states; the code also once a sender has proved it.
#include <array>
#include <optional>
#include <string>

#include "crypto/pairing/actions.hpp"
#include "crypto/pairing/channel.hpp"
#include "crypto/pairing/code.hpp"
#include "crypto/random.hpp"
#include "crypto/x25519.hpp"

namespace qrlogin::pairing {

namespace testing {
struct MachineAccess;
}

class CodeReceiver {
 public:
  enum class State { ready_to_start, waiting_for_sender, waiting_for_credential, asking, delivering, done, aborted };

  // Draws the code (N, P), then skR, sid and y_a from the system's CSPRNG,
  // and computes Ya for the application at page_url (its origin is bound
  // into the key). Errors: page_url is not an acceptable page URL.
  static Result<CodeReceiver> create(std::string_view page_url);

  CodeReceiver(CodeReceiver&&) noexcept = default;
  CodeReceiver& operator=(CodeReceiver&&) noexcept = default;

  // The code to show (display() / spoken()); wiped once a sender proved it.
  [[nodiscard]] const std::optional<Code>& code() const noexcept { return code_; }
  [[nodiscard]] const ChannelId& cid() const noexcept { return cid_; }
  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] std::optional<Reason> failure() const noexcept { return failure_; }
  [[nodiscard]] bool holds_secrets() const noexcept;
  // True once a sender joined or any frame arrived: an ending from then on
  // (other than success or the local user's cancel) counts towards the
  // three-attempt stop.
  [[nodiscard]] bool sender_seen() const noexcept { return sender_seen_; }
  // True when the local user ended it with cancel(user_cancelled).
  [[nodiscard]] bool cancelled_by_user() const noexcept { return cancelled_by_user_; }

  // The relay confirmed this receiver's join: sends PAKE_R. Once.
  Actions start();
  Actions on_frame(ByteView frame);
  Actions on_peer(PeerEvent event);
  // The user accepted the login AskToAccept asked about (valid in asking).
  Actions on_user_confirmed();
  Actions on_user_rejected();
  Actions on_credential_handled(bool accepted, std::string_view reason = {});
  // Before PAKE_S: the sender took too long (30 s after it joined). After:
  // a possible attack.
  Actions on_timeout();
  Actions cancel(Reason reason = Reason::user_cancelled);

 private:
  friend struct testing::MachineAccess;
  static Result<CodeReceiver> create_drawing_from(Rng& rng, std::string_view page_url);
  explicit CodeReceiver(Rng& rng) : rng_(&rng) {}

  Actions handle_pake_s(ByteView frame);
  Actions handle_credential(ByteView frame);
  Actions handle_abort(ByteView frame);
  Actions fail(Reason reason, std::string detail = {}, bool tell_peer = true);
  void wipe() noexcept;
  [[nodiscard]] bool finished() const noexcept { return state_ == State::done || state_ == State::aborted; }

  Rng* rng_;
  State state_ = State::ready_to_start;
  std::optional<Reason> failure_;
  bool sender_seen_ = false;
  bool pake_received_ = false;
  bool cancelled_by_user_ = false;

  std::optional<Code> code_;
  ChannelId cid_;
  Bytes sid_;
  Secret secret_key_;
  x25519::PublicKey public_key_{};
  Secret y_;
  std::array<std::uint8_t, 32> ya_{};  // Ya, the ristretto255 share sent in PAKE_R
  std::optional<hpke::Context> ctx_;
  std::optional<hpke::SequencedAead> response_;
  std::optional<ReceivedCredential> held_credential_;
};

// The receiver's count of failed codes (contract: three endings after a
// sender joined, then stop until the user restarts). It survives rotation
// and expiry; only success or the user's restart resets it.
class CodeAttempts {
 public:
  static constexpr int kLimit = 3;
  // Records how a code's machine ended; true when the receiver must stop
  // (too_many_attempts) instead of showing a fresh code.
  bool record(const CodeReceiver& ended) noexcept;
  void reset() noexcept { failures_ = 0; }
  [[nodiscard]] int failures() const noexcept { return failures_; }
  [[nodiscard]] bool exhausted() const noexcept { return failures_ >= kLimit; }

 private:
  int failures_ = 0;
};

}  // namespace qrlogin::pairing
