#pragma once
// The receiver's pairing state machine (sans-IO): the device that shows the
// QR code and gets the credential. It takes events and returns the actions
// its driver must carry out, in order. No sockets, no clocks.
//
//   waiting_for_hello --HELLO/READY--> waiting_for_reveal --REVEAL/ShowSas-->
//   comparing_codes --(user confirmed + CREDENTIAL)/DeliverCredential-->
//   delivering --on_credential_handled/RESULT--> done
//
// Any invalid event moves to `aborted` with a Reason; keys are wiped in both
// final states. Events after a final state return no actions.
#include <optional>
#include <string>

#include "crypto/pairing/actions.hpp"
#include "crypto/pairing/channel.hpp"
#include "crypto/random.hpp"
#include "crypto/x25519.hpp"

namespace qrlogin::pairing {

namespace testing {
struct MachineAccess;  // crypto/pairing/testing: the tests' way to fix the randomness
}

class Receiver {
 public:
  enum class State { waiting_for_hello, waiting_for_reveal, comparing_codes, delivering, done, aborted };

  struct Options {
    // Skip the receiver's own confirmation (the code is still shown for the
    // sender's user to compare). Risk: whoever holds the QR can push their
    // own credential into this device. See docs/threat-model.md.
    bool auto_accept = false;
  };

  // Draws a fresh key pair from the system's CSPRNG (nothing else until
  // HELLO). relay_url may be empty: the link then points at the page URL's
  // own relay.
  static Result<Receiver> create(std::string_view page_url, std::string_view relay_url, Options options);
  static Result<Receiver> create(std::string_view page_url, std::string_view relay_url) {
    return create(page_url, relay_url, Options{});
  }

  Receiver(Receiver&&) noexcept = default;
  Receiver& operator=(Receiver&&) noexcept = default;

  [[nodiscard]] const std::string& link() const noexcept { return link_; }
  [[nodiscard]] const ChannelId& cid() const noexcept { return cid_; }
  [[nodiscard]] const x25519::PublicKey& public_key() const noexcept { return public_key_; }
  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] std::optional<Reason> failure() const noexcept { return failure_; }
  [[nodiscard]] const std::string& sas() const noexcept { return sas_; }
  // True while any secret (skR, HPKE context, Nr, a held credential) is kept.
  [[nodiscard]] bool holds_secrets() const noexcept;

  // A binary frame from the relay. Valid in every non-final state for the
  // message that state expects; anything else aborts.
  Actions on_frame(ByteView frame);
  // Relay notices.
  Actions on_peer(PeerEvent event);
  Actions on_intrusion();
  // The user compared the codes (valid in comparing_codes; a rejection
  // earlier counts as a cancel).
  Actions on_user_confirmed();
  Actions on_user_rejected();
  Actions on_user_typed(std::string_view digits);
  // The application stored (or refused) the delivered credential; valid in
  // delivering. Sends RESULT.
  Actions on_credential_handled(bool accepted, std::string_view reason = {});
  // A step took too long (the driver owns the clock). After READY this is
  // reported as a possible attack.
  Actions on_timeout();
  // The driver ends the pairing (user, network, expiry). After READY a
  // network loss, expiry or timeout is reported as possible_attack, with the
  // driver's reason as detail.
  Actions cancel(Reason reason = Reason::user_cancelled);

 private:
  friend struct testing::MachineAccess;
  static Result<Receiver> create_drawing_from(Rng& rng, std::string_view page_url, std::string_view relay_url,
                                              Options options);
  Receiver(Rng& rng, Options options) : rng_(&rng), options_(options) {}

  Actions handle_hello(ByteView frame);
  Actions handle_reveal(ByteView frame);
  Actions handle_credential(ByteView frame);
  Actions handle_abort(ByteView frame);
  Actions deliver_if_ready();
  Actions fail(Reason reason, std::string detail = {}, bool tell_peer = true);
  void wipe() noexcept;
  [[nodiscard]] bool finished() const noexcept { return state_ == State::done || state_ == State::aborted; }

  Rng* rng_;
  Options options_;
  State state_ = State::waiting_for_hello;
  std::optional<Reason> failure_;

  Secret secret_key_;
  x25519::PublicKey public_key_{};
  ChannelId cid_;
  std::string link_;

  Bytes enc_;
  Bytes commit_;
  std::optional<hpke::Context> ctx_;
  std::optional<hpke::SequencedAead> response_;
  Secret receiver_nonce_;
  std::string sas_;
  bool user_confirmed_ = false;
  std::optional<ReceivedCredential> held_credential_;
};

}  // namespace qrlogin::pairing
