#pragma once
// The sender's pairing state machine (sans-IO): the device that is logged in
// and sends its credential.
//
//   ready_to_start --start/HELLO--> waiting_for_ready --READY/REVEAL+ShowSas-->
//   comparing_codes --user confirmed/CREDENTIAL--> waiting_for_result
//   --RESULT/ShowResult--> done (or aborted when not accepted)
//
// One (enc, Ns) per Sender: it never retries by itself. Any invalid event
// moves to `aborted` with a Reason; secrets are wiped in both final states.
#include <optional>
#include <string>

#include "crypto/pairing/actions.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/random.hpp"

namespace qrlogin::pairing {

namespace testing {
struct MachineAccess;  // crypto/pairing/testing: the tests' way to fix the randomness
}

class Sender {
 public:
  enum class State { ready_to_start, waiting_for_ready, comparing_codes, waiting_for_result, done, aborted };

  // credential_json is J (see credential_json()); it is padded and sent
  // only after the user confirmed the code. Errors: J over 65536 bytes.
  // The ephemeral key and Ns come from the system's CSPRNG.
  static Result<Sender> create(const Link& link, Secret credential_json);
  // A sender whose credential does not exist yet: an application mints it
  // only once the person confirmed the code (a single-use grant), and hands
  // it over with on_user_confirmed(Secret) or on_user_typed(digits, Secret).
  static Result<Sender> create(const Link& link);

  Sender(Sender&&) noexcept = default;
  Sender& operator=(Sender&&) noexcept = default;

  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] std::optional<Reason> failure() const noexcept { return failure_; }
  [[nodiscard]] const std::string& sas() const noexcept { return sas_; }
  [[nodiscard]] const ChannelId& cid() const noexcept { return link_.cid; }
  [[nodiscard]] bool holds_secrets() const noexcept;
  // True once CREDENTIAL left, whatever happened after (a user must then be
  // told the credential may need revoking if the pairing failed).
  [[nodiscard]] bool credential_sent() const noexcept { return credential_sent_; }

  // The relay paired us with the receiver: draws a fresh ephemeral key,
  // then Ns, and sends HELLO. Valid once, in ready_to_start.
  Actions start();
  Actions on_frame(ByteView frame);
  Actions on_peer(PeerEvent event);
  Actions on_intrusion();
  // Without an argument for a sender created with its credential; with one
  // (J, checked and wiped like create's) for a deferred sender. The other
  // way round is invalid_event and sends no credential.
  Actions on_user_confirmed();
  Actions on_user_confirmed(Secret credential_json);
  Actions on_user_rejected();
  Actions on_user_typed(std::string_view digits);
  Actions on_user_typed(std::string_view digits, Secret credential_json);
  Actions on_timeout();
  Actions cancel(Reason reason = Reason::user_cancelled);

 private:
  friend struct testing::MachineAccess;
  static Result<Sender> create_drawing_from(Rng& rng, const Link& link, Secret credential_json);
  static Result<Sender> create_deferred_drawing_from(Rng& rng, const Link& link);
  Sender(Link link, Secret credential, bool deferred, Rng& rng)
      : rng_(&rng), link_(std::move(link)), credential_(std::move(credential)), credential_deferred_(deferred) {}

  Actions handle_ready(ByteView frame);
  Actions handle_result(ByteView frame);
  Actions handle_abort(ByteView frame);
  Actions send_credential();
  // own_credential: the ending is this device's own doing (its credential
  // cannot be sent), shown as it is even after READY, never as an attack.
  Actions fail(Reason reason, std::string detail = {}, bool tell_peer = true, bool own_credential = false);
  void wipe() noexcept;
  [[nodiscard]] bool finished() const noexcept { return state_ == State::done || state_ == State::aborted; }

  Rng* rng_;
  Link link_;
  Secret credential_;
  bool credential_deferred_;
  State state_ = State::ready_to_start;
  std::optional<Reason> failure_;

  std::optional<hpke::Context> ctx_;
  std::optional<hpke::SequencedAead> response_;
  Secret sender_nonce_;
  std::string sas_;
  bool credential_sent_ = false;
};

}  // namespace qrlogin::pairing
