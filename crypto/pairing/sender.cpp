#include "crypto/pairing/sender.hpp"

#include "crypto/internal.hpp"
#include "crypto/pairing/frames.hpp"
#include "crypto/pairing/sealed_steps.hpp"
#include "crypto/pairing/sas.hpp"

namespace qrlogin::pairing {

Result<Sender> Sender::create(const Link& link, Secret credential_json) {
  return create_drawing_from(system_rng(), link, std::move(credential_json));
}

Result<Sender> Sender::create(const Link& link) { return create_deferred_drawing_from(system_rng(), link); }

Result<Sender> Sender::create_drawing_from(Rng& rng, const Link& link, Secret credential_json) {
  if (credential_json.size() > kMaxCredentialJsonBytes)
    return make_error(Errc::credential_too_large,
                      "the credential is too large: at most 65536 bytes of JSON can be sent");
  return Sender(link, std::move(credential_json), false, rng);
}

Result<Sender> Sender::create_deferred_drawing_from(Rng& rng, const Link& link) {
  return Sender(link, Secret{}, true, rng);
}

bool Sender::holds_secrets() const noexcept {
  return !credential_.empty() || ctx_.has_value() || response_.has_value() || !sender_nonce_.empty();
}

void Sender::wipe() noexcept {
  credential_.wipe();
  ctx_.reset();
  response_.reset();
  sender_nonce_.wipe();
}

Actions Sender::fail(Reason reason, std::string detail, bool tell_peer, bool own_credential) {
  // Once READY arrived, any ending but the user's own is a possible attack.
  bool ready_received = state_ == State::comparing_codes || state_ == State::waiting_for_result;
  auto ending = own_credential ? Aborted{reason, std::move(detail)} : Aborted::shown(reason, std::move(detail), ready_received);
  failure_ = ending.reason;
  auto actions = steps::ending(tell_peer && ctx_ ? &*ctx_ : nullptr, std::move(ending), reason);
  state_ = State::aborted;
  wipe();
  return actions;
}

Actions Sender::start() {
  if (finished()) return {};
  if (state_ != State::ready_to_start) return fail(Reason::invalid_event);
  // Randomness order (docs/protocol.md): the ephemeral key, then Ns.
  auto setup = internal::hpke_setup_base_sender(kAead, link_.receiver_public_key, hpke_info(link_.cid), *rng_);
  if (!setup) return fail(setup.error().code == crypto::Errc::low_order_point ? Reason::bad_key : Reason::bad_message);
  auto response = response_aead(setup->context);
  if (!response) return fail(Reason::bad_message);
  sender_nonce_ = Secret(kNonceBytes);
  rng_->fill(sender_nonce_.bytes());
  auto commit = commitment(link_.cid, setup->enc, sender_nonce_.view());
  ctx_.emplace(std::move(setup->context));
  response_.emplace(std::move(response).value());
  state_ = State::waiting_for_ready;
  Actions actions;
  actions.emplace_back(SendFrame{make_hello(setup->enc, commit)});
  return actions;
}

Actions Sender::on_frame(ByteView frame) {
  if (finished()) return {};
  auto type = frame_type(frame);
  if (!type) return fail(Reason::unexpected_message);
  switch (*type) {
    case MessageType::ready: return handle_ready(frame);
    case MessageType::result: return handle_result(frame);
    case MessageType::abort: return handle_abort(frame);
    case MessageType::hello:
    case MessageType::reveal:
    case MessageType::credential: break;  // sender-to-receiver messages
    case MessageType::pake_r:
    case MessageType::pake_s:
    case MessageType::confirm_r: break;  // code mode's: no downgrade
  }
  return fail(Reason::unexpected_message);
}

Actions Sender::handle_ready(ByteView frame) {
  if (state_ != State::waiting_for_ready) return fail(Reason::unexpected_message);
  if (frame.size() != kSealedNonceFrameBytes) return fail(Reason::bad_message);
  auto receiver_nonce = open_frame(*response_, frame);
  if (!receiver_nonce) return fail(Reason::bad_message);
  auto sas = compute_sas(*ctx_, receiver_nonce->view(), sender_nonce_.view());
  auto reveal = seal_frame(*ctx_, MessageType::reveal, sender_nonce_.view());
  if (!sas || !reveal) return fail(Reason::bad_message);
  sender_nonce_.wipe();
  sas_ = std::move(sas).value();
  state_ = State::comparing_codes;
  Actions actions;
  actions.emplace_back(SendFrame{std::move(reveal).value()});
  actions.emplace_back(ShowSas{sas_});
  return actions;
}

Actions Sender::handle_result(ByteView frame) {
  if (state_ != State::waiting_for_result) return fail(Reason::unexpected_message);
  auto read = steps::read_result(*response_, frame);
  if (!read.result) return fail(read.failure, {}, read.tell_peer);
  Actions actions;
  actions.emplace_back(*read.result);
  if (read.result->accepted) {
    actions.emplace_back(CloseConnection{});
    state_ = State::done;
    wipe();
    return actions;
  }
  auto failed = fail(Reason::rejected, read.result->reason, false);
  actions.insert(actions.end(), std::make_move_iterator(failed.begin()), std::make_move_iterator(failed.end()));
  return actions;
}

Actions Sender::handle_abort(ByteView frame) {
  if (!response_) return fail(Reason::unexpected_message, {}, false);  // nothing sent yet: not genuine
  std::string code = read_abort_code(*response_, frame);
  // After READY whatever the receiver claims is a possible attack; its code is the detail.
  if (state_ != State::waiting_for_ready) return fail(Reason::possible_attack, code, false);
  return fail(reason_from_peer_code(code), code, false);
}

Actions Sender::on_peer(PeerEvent event) {
  if (finished()) return {};
  Actions actions;
  actions.emplace_back(PeerStatus{event});
  return actions;
}

Actions Sender::on_intrusion() {
  if (finished()) return {};
  return fail(Reason::intrusion);
}

Actions Sender::on_user_confirmed() {
  if (finished()) return {};
  if (state_ != State::comparing_codes || credential_deferred_) return fail(Reason::invalid_event);
  return send_credential();
}

Actions Sender::on_user_confirmed(Secret credential_json) {
  if (finished()) return {};
  // The same checks as create's, in the same order as on_user_typed's.
  if (state_ != State::comparing_codes || !credential_deferred_) return fail(Reason::invalid_event);
  if (credential_json.size() > kMaxCredentialJsonBytes)
    return fail(Reason::bad_credential, "the credential is too large: at most 65536 bytes of JSON can be sent", true,
                true);
  credential_ = std::move(credential_json);
  return send_credential();
}

Actions Sender::send_credential() {
  auto frame = steps::credential_frame(*ctx_, credential_.view());
  if (const auto* reason = std::get_if<Reason>(&frame))
    return *reason == Reason::bad_credential ? fail(*reason, "the credential cannot be padded", true, true)
                                             : fail(*reason);
  credential_.wipe();
  credential_sent_ = true;
  state_ = State::waiting_for_result;
  Actions actions;
  actions.emplace_back(SendFrame{std::move(std::get<Bytes>(frame))});
  return actions;
}

Actions Sender::on_user_rejected() {
  if (finished()) return {};
  return fail(state_ == State::comparing_codes ? Reason::sas_mismatch : Reason::user_cancelled);
}

Actions Sender::on_user_typed(std::string_view digits) {
  if (finished()) return {};
  if (state_ != State::comparing_codes || credential_deferred_) return fail(Reason::invalid_event);
  if (!sas_matches(digits, sas_)) return fail(Reason::sas_mismatch);
  return send_credential();
}

Actions Sender::on_user_typed(std::string_view digits, Secret credential_json) {
  if (finished()) return {};
  if (state_ != State::comparing_codes || !credential_deferred_) return fail(Reason::invalid_event);
  if (!sas_matches(digits, sas_)) return fail(Reason::sas_mismatch);
  return on_user_confirmed(std::move(credential_json));
}

Actions Sender::on_timeout() {
  if (finished()) return {};
  return fail(Reason::timeout);
}

Actions Sender::cancel(Reason reason) {
  if (finished()) return {};
  return fail(reason);
}

}  // namespace qrlogin::pairing
