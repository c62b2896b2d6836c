#pragma once
// The code sender's state machine (sans-IO): the logged-in device on which
// the person typed the code (docs/protocol.md, "Pairing by a typed code").
//
//   waiting_for_pake_r --PAKE_R/PAKE_S--> waiting_for_confirm
//   --CONFIRM_R with a valid tag_R/CodeVerified--> confirming
//   --user confirmed/CREDENTIAL--> waiting_for_result --RESULT/ShowResult--> done
//
// One CPace session per machine, and per nameplate: once PAKE_S went out
// and the pairing did not succeed, the driver refuses this nameplate for the
// code lifetime plus grace (pake_sent()), so a hostile relay gets one guess
// per code the person typed, not one per retype.
#include <optional>
#include <string>

#include "crypto/pairing/actions.hpp"
#include "crypto/pairing/code.hpp"
#include "crypto/random.hpp"

namespace qrlogin::pairing {

namespace testing {
struct MachineAccess;
}

class CodeSender {
 public:
  enum class State { waiting_for_pake_r, waiting_for_confirm, confirming, waiting_for_result, done, aborted };

  // page_url is the application's (its origin is bound into the key).
  // credential_json is J, sent only after the user confirmed. Errors: the
  // page URL is not acceptable; J over 65536 bytes.
  static Result<CodeSender> create(std::string_view page_url, Code code, Secret credential_json);
  // A sender whose credential is minted once its user confirmed
  // (on_user_confirmed(Secret)).
  static Result<CodeSender> create(std::string_view page_url, Code code);

  CodeSender(CodeSender&&) noexcept = default;
  CodeSender& operator=(CodeSender&&) noexcept = default;

  [[nodiscard]] const ChannelId& cid() const noexcept { return cid_; }
  [[nodiscard]] const std::string& nameplate() const noexcept { return nameplate_; }
  [[nodiscard]] State state() const noexcept { return state_; }
  [[nodiscard]] std::optional<Reason> failure() const noexcept { return failure_; }
  [[nodiscard]] bool holds_secrets() const noexcept;
  [[nodiscard]] bool pake_sent() const noexcept { return pake_sent_; }
  [[nodiscard]] bool credential_sent() const noexcept { return credential_sent_; }

  Actions on_frame(ByteView frame);
  Actions on_peer(PeerEvent event);
  Actions on_user_confirmed();
  Actions on_user_confirmed(Secret credential_json);
  Actions on_user_rejected();
  // Before PAKE_S: no receiver answered (30 s). After it, before CONFIRM_R:
  // wrong_code (mistyped, expired, or someone interfered).
  Actions on_timeout();
  // The driver ends the pairing. Between PAKE_S and CONFIRM_R any ending
  // but the user's own cancel is wrong_code, at once.
  Actions cancel(Reason reason = Reason::user_cancelled);

 private:
  friend struct testing::MachineAccess;
  static Result<CodeSender> create_drawing_from(Rng& rng, std::string_view page_url, Code code,
                                                std::optional<Secret> credential_json);
  CodeSender(Rng& rng, Code code) : rng_(&rng), code_(std::move(code)) {}

  Actions handle_pake_r(ByteView frame);
  Actions handle_confirm_r(ByteView frame);
  Actions handle_result(ByteView frame);
  Actions handle_abort(ByteView frame);
  Actions send_credential();
  Actions fail(Reason reason, std::string detail = {}, bool tell_peer = true, bool own_credential = false);
  void wipe() noexcept;
  [[nodiscard]] bool finished() const noexcept { return state_ == State::done || state_ == State::aborted; }

  Rng* rng_;
  std::optional<Code> code_;
  std::string app_;
  std::string nameplate_;
  ChannelId cid_;
  Secret credential_;
  bool credential_deferred_ = false;
  State state_ = State::waiting_for_pake_r;
  std::optional<Reason> failure_;
  bool pake_sent_ = false;
  bool peer_verified_ = false;
  bool credential_sent_ = false;

  Bytes ya_;
  Bytes ada_;
  Secret mac_key_;
  std::optional<hpke::Context> ctx_;
  std::optional<hpke::SequencedAead> response_;
};

}  // namespace qrlogin::pairing
