#include "crypto/pairing/code_receiver.hpp"

#include "crypto/cpace.hpp"
#include "crypto/internal.hpp"
#include "crypto/pairing/code_draw.hpp"
#include "crypto/pairing/code_messages.hpp"
#include "crypto/pairing/frames.hpp"
#include "crypto/pairing/sealed_steps.hpp"
#include "crypto/pairing/link.hpp"

namespace qrlogin::pairing {

Result<CodeReceiver> CodeReceiver::create(std::string_view page_url) {
  return create_drawing_from(system_rng(), page_url);
}

Result<CodeReceiver> CodeReceiver::create_drawing_from(Rng& rng, std::string_view page_url) {
  auto app = page_origin(page_url);
  if (!app) return app.error();
  // Randomness order (docs/protocol.md): N, P, skR, sid, y_a. A generator or
  // Ya that is the identity (probability ~2^-250) means a fresh code.
  for (int attempt = 0; attempt < 4; ++attempt) {
    CodeReceiver r(rng);
    r.code_.emplace(internal::draw_code(rng));
    r.cid_ = code_channel_id(r.code_->nameplate());
    auto keys = qrlogin::internal::x25519_generate(rng);
    r.secret_key_ = std::move(keys.secret_key);
    r.public_key_ = keys.public_key;
    r.sid_.resize(kSidBytes);
    rng.fill(r.sid_);
    auto share = cpace::start(as_bytes(r.code_->password()), code_ci(*app, r.cid_), r.sid_, rng);
    if (!share) continue;
    r.y_ = std::move(share->y);
    r.ya_ = share->Y;
    return r;
  }
  return make_error(Errc::internal, "cannot make a CPace share for a fresh code");
}

bool CodeReceiver::holds_secrets() const noexcept {
  return code_.has_value() || !secret_key_.empty() || !y_.empty() || ctx_.has_value() || response_.has_value() ||
         held_credential_.has_value();
}

void CodeReceiver::wipe() noexcept {
  code_.reset();
  secret_key_.wipe();
  y_.wipe();
  ctx_.reset();
  response_.reset();
  held_credential_.reset();
}

Actions CodeReceiver::fail(Reason reason, std::string detail, bool tell_peer) {
  auto ending = Aborted::shown(reason, std::move(detail), pake_received_);
  failure_ = ending.reason;
  // Only a side that verified its peer's tag sends ABORT; the response
  // direction exists only then.
  auto actions = steps::ending(tell_peer && response_ ? &*response_ : nullptr, std::move(ending), reason);
  state_ = State::aborted;
  wipe();
  return actions;
}

Actions CodeReceiver::start() {
  if (finished()) return {};
  if (state_ != State::ready_to_start) return fail(Reason::invalid_event);
  state_ = State::waiting_for_sender;
  Actions actions;
  actions.emplace_back(SendFrame{make_pake_r(sid_, ya_, public_key_)});
  return actions;
}

Actions CodeReceiver::on_frame(ByteView frame) {
  if (finished()) return {};
  sender_seen_ = true;
  auto type = frame_type(frame);
  if (!type) return fail(Reason::unexpected_message);
  switch (*type) {
    case MessageType::pake_s: return handle_pake_s(frame);
    case MessageType::credential: return handle_credential(frame);
    case MessageType::abort: return handle_abort(frame);
    default: return fail(Reason::unexpected_message);  // QR mode's, or the receiver's own: no downgrade
  }
}

Actions CodeReceiver::handle_pake_s(ByteView frame) {
  // One PAKE_S per code, also across resumes.
  if (state_ != State::waiting_for_sender) return fail(Reason::unexpected_message);
  pake_received_ = true;
  auto pake = split_pake_s(frame);
  if (!pake) return fail(Reason::bad_message);
  auto ada = code_ad_receiver(public_key_);
  auto adb = code_ad_sender(pake->enc);
  auto keys = cpace::derive_keys(cpace::Role::initiator, y_.view(), sid_, ya_, ada, pake->yb, adb);
  if (!keys) return fail(Reason::bad_key);
  if (!cpace::tag_matches(keys->mac_key.view(), pake->yb, adb, pake->tag)) return fail(Reason::wrong_code);
  auto ctx = hpke::setup_psk_receiver(kAead, pake->enc, secret_key_.view(), code_hpke_info(cid_), keys->psk.view(),
                                      code_psk_id());
  if (!ctx) return fail(ctx.error().code == crypto::Errc::low_order_point ? Reason::bad_key : Reason::bad_message);
  auto response = response_aead(*ctx);
  if (!response) return fail(Reason::bad_message);
  auto confirm = make_confirm_r(cpace::tag(keys->mac_key.view(), ya_, ada));
  ctx_.emplace(std::move(ctx).value());
  response_.emplace(std::move(response).value());
  // The sender proved the code: it, the key pair and y_a are done with.
  code_.reset();
  secret_key_.wipe();
  y_.wipe();
  state_ = State::waiting_for_credential;
  Actions actions;
  actions.emplace_back(SendFrame{std::move(confirm)});
  actions.emplace_back(CodeVerified{});
  return actions;
}

Actions CodeReceiver::handle_credential(ByteView frame) {
  if (state_ != State::waiting_for_credential) return fail(Reason::unexpected_message);
  auto credential = steps::open_credential(*ctx_, frame);
  if (const auto* reason = std::get_if<Reason>(&credential)) return fail(*reason);
  held_credential_.emplace(std::move(std::get<ReceivedCredential>(credential)));
  state_ = State::asking;
  Actions actions;
  actions.emplace_back(AskToAccept{held_credential_->label});
  return actions;
}

Actions CodeReceiver::handle_abort(ByteView frame) {
  // A sender sends ABORT only after it verified tag_R, so only once there is
  // a context; whatever it claims is shown as a possible attack.
  if (!ctx_) return fail(Reason::unexpected_message, {}, false);
  return fail(Reason::possible_attack, read_abort_code(*ctx_, frame), false);
}

Actions CodeReceiver::on_peer(PeerEvent event) {
  if (finished()) return {};
  if (event == PeerEvent::joined) sender_seen_ = true;
  Actions actions;
  actions.emplace_back(PeerStatus{event});
  return actions;
}

Actions CodeReceiver::on_user_confirmed() {
  if (finished()) return {};
  if (state_ != State::asking) return fail(Reason::invalid_event);
  state_ = State::delivering;
  Actions actions;
  actions.emplace_back(DeliverCredential{std::move(*held_credential_)});
  held_credential_.reset();
  return actions;
}

Actions CodeReceiver::on_user_rejected() {
  if (finished()) return {};
  // Refusing a login the user did not ask for counts as an attempt; only
  // cancel() by the user does not.
  return fail(Reason::user_cancelled);
}

Actions CodeReceiver::on_credential_handled(bool accepted, std::string_view reason) {
  if (finished()) return {};
  if (state_ != State::delivering) return fail(Reason::invalid_event);
  auto actions = steps::result_and_close(*response_, accepted, reason);
  state_ = State::done;
  wipe();
  return actions;
}

Actions CodeReceiver::on_timeout() {
  if (finished()) return {};
  return fail(Reason::timeout);
}

Actions CodeReceiver::cancel(Reason reason) {
  if (finished()) return {};
  if (state_ == State::delivering && reason == Reason::user_cancelled) return {};
  if (reason == Reason::user_cancelled) cancelled_by_user_ = true;
  return fail(reason);
}

bool CodeAttempts::record(const CodeReceiver& ended) noexcept {
  bool counts = ended.state() == CodeReceiver::State::aborted && ended.sender_seen() && !ended.cancelled_by_user();
  if (counts) ++failures_;
  return exhausted();
}

}  // namespace qrlogin::pairing
