#include "crypto/pairing/code_sender.hpp"

#include "crypto/internal.hpp"
#include "crypto/pairing/code_messages.hpp"
#include "crypto/pairing/frames.hpp"
#include "crypto/pairing/sealed_steps.hpp"
#include "crypto/pairing/link.hpp"

namespace qrlogin::pairing {

Result<CodeSender> CodeSender::create(std::string_view page_url, Code code, Secret credential_json) {
  return create_drawing_from(system_rng(), page_url, std::move(code), std::move(credential_json));
}

Result<CodeSender> CodeSender::create(std::string_view page_url, Code code) {
  return create_drawing_from(system_rng(), page_url, std::move(code), std::nullopt);
}

Result<CodeSender> CodeSender::create_drawing_from(Rng& rng, std::string_view page_url, Code code,
                                                   std::optional<Secret> credential_json) {
  auto app = page_origin(page_url);
  if (!app) return app.error();
  if (credential_json && credential_json->size() > kMaxCredentialJsonBytes)
    return make_error(Errc::credential_too_large, "the credential is too large: at most 65536 bytes of JSON can be sent");
  CodeSender s(rng, std::move(code));
  s.app_ = std::move(app).value();
  s.nameplate_ = s.code_->nameplate();
  s.cid_ = code_channel_id(s.nameplate_);
  s.credential_deferred_ = !credential_json;
  if (credential_json) s.credential_ = std::move(*credential_json);
  return s;
}

bool CodeSender::holds_secrets() const noexcept {
  return code_.has_value() || !credential_.empty() || !mac_key_.empty() || ctx_.has_value() || response_.has_value();
}

void CodeSender::wipe() noexcept {
  code_.reset();
  credential_.wipe();
  mac_key_.wipe();
  ctx_.reset();
  response_.reset();
}

Actions CodeSender::fail(Reason reason, std::string detail, bool tell_peer, bool own_credential) {
  // Between PAKE_S and a verified CONFIRM_R every ending but the user's own
  // means the code was not accepted.
  if (pake_sent_ && !peer_verified_ && reason != Reason::user_cancelled && reason != Reason::invalid_event &&
      reason != Reason::bad_message && reason != Reason::unexpected_message) {
    if (detail.empty() && reason != Reason::wrong_code) detail = std::string(reason_code(reason));
    reason = Reason::wrong_code;
  }
  auto ending = own_credential ? Aborted{reason, std::move(detail)} : Aborted::shown(reason, std::move(detail), pake_sent_);
  failure_ = ending.reason;
  // Only a side that verified its peer's tag sends ABORT.
  auto actions = steps::ending(tell_peer && peer_verified_ && ctx_ ? &*ctx_ : nullptr, std::move(ending), reason);
  state_ = State::aborted;
  wipe();
  return actions;
}

Actions CodeSender::on_frame(ByteView frame) {
  if (finished()) return {};
  auto type = frame_type(frame);
  if (!type) return fail(Reason::unexpected_message);
  switch (*type) {
    case MessageType::pake_r: return handle_pake_r(frame);
    case MessageType::confirm_r: return handle_confirm_r(frame);
    case MessageType::result: return handle_result(frame);
    case MessageType::abort: return handle_abort(frame);
    default: return fail(Reason::unexpected_message);  // QR mode's, or the sender's own: no downgrade
  }
}

Actions CodeSender::handle_pake_r(ByteView frame) {
  if (state_ != State::waiting_for_pake_r) return fail(Reason::unexpected_message);
  auto pake = split_pake_r(frame);
  if (!pake) return fail(Reason::bad_message);
  // Randomness order (docs/protocol.md): y_b, then the HPKE key pair, whose
  // enc must be in ADb before ISK (and so psk) exists.
  auto share = cpace::start(as_bytes(code_->password()), code_ci(app_, cid_), pake->sid, *rng_);
  if (!share) return fail(Reason::bad_key);
  auto ephemeral = qrlogin::internal::hpke_ephemeral_key(*rng_);
  auto ada = code_ad_receiver(pake->receiver_public_key);
  auto adb = code_ad_sender(ephemeral.enc());
  auto keys = cpace::derive_keys(cpace::Role::responder, share->y.view(), pake->sid, pake->ya, ada, share->Y, adb);
  if (!keys) return fail(Reason::bad_key);
  auto setup = hpke::setup_psk_sender(kAead, std::move(ephemeral), pake->receiver_public_key, code_hpke_info(cid_),
                                      keys->psk.view(), code_psk_id());
  if (!setup) return fail(setup.error().code == crypto::Errc::low_order_point ? Reason::bad_key : Reason::bad_message);
  auto response = response_aead(setup->context);
  if (!response) return fail(Reason::bad_message);
  auto pake_s = make_pake_s(share->Y, setup->enc, cpace::tag(keys->mac_key.view(), share->Y, adb));
  ya_.assign(pake->ya.begin(), pake->ya.end());
  ada_ = std::move(ada);
  mac_key_ = std::move(keys->mac_key);
  ctx_.emplace(std::move(setup->context));
  response_.emplace(std::move(response).value());
  code_.reset();  // P's last use
  pake_sent_ = true;
  state_ = State::waiting_for_confirm;
  Actions actions;
  actions.emplace_back(SendFrame{std::move(pake_s)});
  return actions;
}

Actions CodeSender::handle_confirm_r(ByteView frame) {
  if (state_ != State::waiting_for_confirm) return fail(Reason::unexpected_message);
  auto tag = split_confirm_r(frame);
  if (!tag) return fail(Reason::bad_message);
  if (!cpace::tag_matches(mac_key_.view(), ya_, ada_, *tag)) return fail(Reason::wrong_code);
  mac_key_.wipe();
  peer_verified_ = true;
  state_ = State::confirming;
  Actions actions;
  actions.emplace_back(CodeVerified{});
  return actions;
}

Actions CodeSender::handle_result(ByteView frame) {
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

Actions CodeSender::handle_abort(ByteView frame) {
  // A receiver sends ABORT only after it verified tag_S, which is after it
  // sent CONFIRM_R: before that, it is not genuine.
  if (!peer_verified_) return fail(Reason::unexpected_message, {}, false);
  return fail(Reason::possible_attack, read_abort_code(*response_, frame), false);
}

Actions CodeSender::on_peer(PeerEvent event) {
  if (finished()) return {};
  Actions actions;
  actions.emplace_back(PeerStatus{event});
  return actions;
}

Actions CodeSender::on_user_confirmed() {
  if (finished()) return {};
  if (state_ != State::confirming || credential_deferred_) return fail(Reason::invalid_event);
  return send_credential();
}

Actions CodeSender::on_user_confirmed(Secret credential_json) {
  if (finished()) return {};
  if (state_ != State::confirming || !credential_deferred_) return fail(Reason::invalid_event);
  if (credential_json.size() > kMaxCredentialJsonBytes)
    return fail(Reason::bad_credential, "the credential is too large: at most 65536 bytes of JSON can be sent", true,
                true);
  credential_ = std::move(credential_json);
  return send_credential();
}

Actions CodeSender::send_credential() {
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

Actions CodeSender::on_user_rejected() {
  if (finished()) return {};
  return fail(Reason::user_cancelled);
}

Actions CodeSender::on_timeout() {
  if (finished()) return {};
  return fail(Reason::timeout);
}

Actions CodeSender::cancel(Reason reason) {
  if (finished()) return {};
  return fail(reason);
}

}  // namespace qrlogin::pairing
