#include "crypto/pairing/receiver.hpp"

#include "crypto/internal.hpp"
#include "crypto/pairing/frames.hpp"
#include "crypto/pairing/sealed_steps.hpp"
#include "crypto/pairing/link.hpp"
#include "crypto/pairing/sas.hpp"

namespace qrlogin::pairing {

Result<Receiver> Receiver::create(std::string_view page_url, std::string_view relay_url, Options options) {
  return create_drawing_from(system_rng(), page_url, relay_url, options);
}

Result<Receiver> Receiver::create_drawing_from(Rng& rng, std::string_view page_url, std::string_view relay_url,
                                               Options options) {
  Receiver r(rng, options);
  auto keys = internal::x25519_generate(rng);
  auto link = build_link(page_url, keys.public_key, relay_url);
  if (!link) return link.error();
  r.secret_key_ = std::move(keys.secret_key);
  r.public_key_ = keys.public_key;
  r.cid_ = channel_id(r.public_key_);
  r.link_ = std::move(link).value();
  return r;
}

bool Receiver::holds_secrets() const noexcept {
  return !secret_key_.empty() || ctx_.has_value() || response_.has_value() || !receiver_nonce_.empty() ||
         held_credential_.has_value();
}

void Receiver::wipe() noexcept {
  secret_key_.wipe();
  ctx_.reset();
  response_.reset();
  receiver_nonce_.wipe();
  held_credential_.reset();
  user_confirmed_ = false;
}

Actions Receiver::fail(Reason reason, std::string detail, bool tell_peer) {
  // Once READY went out, any ending but the user's own is a possible attack.
  bool ready_sent = state_ == State::waiting_for_reveal || state_ == State::comparing_codes || state_ == State::delivering;
  auto ending = Aborted::shown(reason, std::move(detail), ready_sent);
  failure_ = ending.reason;
  // ABORT needs an HPKE context; before HELLO the socket is simply closed.
  auto actions = steps::ending(tell_peer && response_ ? &*response_ : nullptr, std::move(ending), reason);
  state_ = State::aborted;
  wipe();
  return actions;
}

Actions Receiver::on_frame(ByteView frame) {
  if (finished()) return {};
  auto type = frame_type(frame);
  if (!type) return fail(Reason::unexpected_message);
  switch (*type) {
    case MessageType::hello: return handle_hello(frame);
    case MessageType::reveal: return handle_reveal(frame);
    case MessageType::credential: return handle_credential(frame);
    case MessageType::abort: return handle_abort(frame);
    case MessageType::ready:
    case MessageType::result: break;  // receiver-to-sender messages
    case MessageType::pake_r:
    case MessageType::pake_s:
    case MessageType::confirm_r: break;  // code mode's: no downgrade
  }
  return fail(Reason::unexpected_message);
}

Actions Receiver::handle_hello(ByteView frame) {
  // Exactly one HELLO per key pair, also across resumes (docs/protocol.md).
  if (state_ != State::waiting_for_hello) return fail(Reason::unexpected_message);
  if (frame.size() != kHelloFrameBytes) return fail(Reason::bad_message);
  auto enc = frame.subspan(1, hpke::kEncBytes);
  auto commit = frame.subspan(1 + hpke::kEncBytes, kCommitBytes);
  auto ctx = hpke::setup_base_receiver(kAead, enc, secret_key_.view(), hpke_info(cid_));
  if (!ctx) return fail(ctx.error().code == crypto::Errc::low_order_point ? Reason::bad_key : Reason::bad_message);
  auto response = response_aead(*ctx);
  if (!response) return fail(Reason::bad_message);
  enc_.assign(enc.begin(), enc.end());
  commit_.assign(commit.begin(), commit.end());
  ctx_.emplace(std::move(ctx).value());
  response_.emplace(std::move(response).value());
  secret_key_.wipe();  // the context holds all that is needed from now on

  // Nr is drawn only now, after the sender has committed to Ns.
  receiver_nonce_ = Secret(kNonceBytes);
  rng_->fill(receiver_nonce_.bytes());
  auto ready = seal_frame(*response_, MessageType::ready, receiver_nonce_.view());
  if (!ready) return fail(Reason::bad_message);
  state_ = State::waiting_for_reveal;
  Actions actions;
  actions.emplace_back(SendFrame{std::move(ready).value()});
  return actions;
}

Actions Receiver::handle_reveal(ByteView frame) {
  if (state_ != State::waiting_for_reveal) return fail(Reason::unexpected_message);
  if (frame.size() != kSealedNonceFrameBytes) return fail(Reason::bad_message);
  auto sender_nonce = open_frame(*ctx_, frame);
  if (!sender_nonce) return fail(Reason::bad_message);
  auto expected = commitment(cid_, enc_, sender_nonce->view());
  if (!ct_equal(expected, commit_)) return fail(Reason::bad_commit);
  auto sas = compute_sas(*ctx_, receiver_nonce_.view(), sender_nonce->view());
  if (!sas) return fail(Reason::bad_message);
  receiver_nonce_.wipe();
  sas_ = std::move(sas).value();
  state_ = State::comparing_codes;
  user_confirmed_ = options_.auto_accept;
  Actions actions;
  actions.emplace_back(ShowSas{sas_});
  return actions;
}

Actions Receiver::handle_credential(ByteView frame) {
  if (state_ != State::comparing_codes || held_credential_) return fail(Reason::unexpected_message);
  auto credential = steps::open_credential(*ctx_, frame);
  if (const auto* reason = std::get_if<Reason>(&credential)) return fail(*reason);
  held_credential_.emplace(std::move(std::get<ReceivedCredential>(credential)));
  return deliver_if_ready();
}

Actions Receiver::handle_abort(ByteView frame) {
  // Before HELLO there is no context, so an ABORT cannot be genuine.
  if (!ctx_) return fail(Reason::unexpected_message, {}, false);
  // With a context READY went out too, so whatever the sender claims is a
  // possible attack (the sender that stops before revealing Ns is the
  // classic pattern, docs/threat-model.md); its code is the detail.
  return fail(Reason::possible_attack, read_abort_code(*ctx_, frame), false);
}

Actions Receiver::deliver_if_ready() {
  if (!user_confirmed_ || !held_credential_) return {};
  state_ = State::delivering;
  Actions actions;
  actions.emplace_back(DeliverCredential{std::move(*held_credential_)});
  held_credential_.reset();
  return actions;
}

Actions Receiver::on_peer(PeerEvent event) {
  if (finished()) return {};
  Actions actions;
  actions.emplace_back(PeerStatus{event});
  return actions;
}

Actions Receiver::on_intrusion() {
  if (finished()) return {};
  return fail(Reason::intrusion);
}

Actions Receiver::on_user_confirmed() {
  if (finished()) return {};
  if (state_ != State::comparing_codes) return fail(Reason::invalid_event);
  user_confirmed_ = true;
  return deliver_if_ready();
}

Actions Receiver::on_user_rejected() {
  if (finished()) return {};
  return fail(state_ == State::comparing_codes ? Reason::sas_mismatch : Reason::user_cancelled);
}

Actions Receiver::on_user_typed(std::string_view digits) {
  if (finished()) return {};
  if (state_ != State::comparing_codes) return fail(Reason::invalid_event);
  if (!sas_matches(digits, sas_)) return fail(Reason::sas_mismatch);
  return on_user_confirmed();
}

Actions Receiver::on_credential_handled(bool accepted, std::string_view reason) {
  if (finished()) return {};
  if (state_ != State::delivering) return fail(Reason::invalid_event);
  auto actions = steps::result_and_close(*response_, accepted, reason);
  state_ = State::done;
  wipe();
  return actions;
}

Actions Receiver::on_timeout() {
  if (finished()) return {};
  return fail(Reason::timeout);  // after READY: a possible attack (fail)
}

Actions Receiver::cancel(Reason reason) {
  if (finished()) return {};
  // The application holds the credential and is storing it: a cancel now
  // would tell the sender `user_cancelled` after the fact. Its answer
  // (RESULT) says what became of the credential instead.
  if (state_ == State::delivering && reason == Reason::user_cancelled) return {};
  // Anything else after READY is reported as what it may be (fail).
  return fail(reason);
}

}  // namespace qrlogin::pairing
