#include "cli/pairing_session.hpp"

#include "cli/answer.hpp"
#include "cli/relay_errors.hpp"
#include "crypto/pairing/code_receiver.hpp"
#include "crypto/pairing/code_sender.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"

namespace qrlogin::cli {

using namespace pairing;

template <class Machine>
PairingSession<Machine>::PairingSession(Machine& machine, ResumableChannel& channel, std::shared_ptr<Inbox> inbox,
                                        AnswerReader& answers, const Reporter& reporter, SessionHooks& hooks,
                                        std::optional<Clock::time_point> deadline, bool sender)
    : machine_(machine),
      channel_(channel),
      inbox_(std::move(inbox)),
      answers_(answers),
      reporter_(reporter),
      hooks_(hooks),
      deadline_(deadline),
      sender_(sender),
      last_state_(machine.state()) {}

template <class Machine>
std::optional<Clock::time_point> PairingSession<Machine>::next_deadline() const {
  std::optional<Clock::time_point> at = deadline_;
  if (auto limit = hooks_.step_limit()) {
    auto step = state_since_ + *limit;
    if (!at || step < *at) at = step;
  }
  if (auto own = hooks_.own_deadline(); own && (!at || *own < *at)) at = own;
  if (auto replace = hooks_.replace_at(); replace && hooks_.waiting_for_first_contact() && (!at || *replace < *at))
    at = replace;
  return at;
}

template <class Machine>
void PairingSession<Machine>::note_state() {
  if (machine_.state() != last_state_) {
    last_state_ = machine_.state();
    state_since_ = Clock::now();
  }
}

template <class Machine>
bool PairingSession<Machine>::replace_if_due() {
  auto replace = hooks_.replace_at();
  if (!replace || Clock::now() < *replace || !hooks_.waiting_for_first_contact()) return false;
  outcome_.expired_waiting = true;  // nobody came: the caller shows a fresh code
  perform(machine_.cancel(Reason::expired));
  if (!finished_ && !connection_dead_) channel_.close(deadline_);
  finished_ = true;
  return true;
}

template <class Machine>
SessionOutcome PairingSession<Machine>::run() {
  auto inbox = inbox_;
  channel_.on_event([inbox] { inbox->wake(); });
  while (!finished_) {
    while (!finished_) {
      auto event = channel_.try_next();
      if (!event) break;
      handle_event(*event);
    }
    if (finished_) break;
    if (channel_.reconnect_if_due()) continue;
    if (replace_if_due()) break;
    auto deadline = next_deadline();
    if (deadline && Clock::now() >= *deadline) {
      perform(machine_.on_timeout());
      continue;
    }
    auto wake_at = deadline;
    if (auto attempt = channel_.next_attempt(); attempt && (!wake_at || *attempt < *wake_at)) wake_at = attempt;
    auto woke = inbox_->wait(wake_at);
    if (woke.line) handle_line(*woke.line);
  }
  channel_.on_event({});
  return outcome_;
}

template <class Machine>
void PairingSession<Machine>::handle_event(relay_client::Event& event) {
  using Kind = relay_client::Event::Kind;
  if (event.kind == Kind::binary) {
    perform(machine_.on_frame(event.bytes));
    return;
  }
  if (event.kind == Kind::closed) {
    // The channel gave up reconnecting, or the relay closed it for good.
    connection_dead_ = true;
    if (!finished_) {
      outcome_.relay = channel_.failure().value_or(ConnectError{
          ExitCode::network, "connection_lost", "the connection to the relay was lost (" + printable(event.close_reason) + ")"});
      perform(machine_.cancel(Reason::network));
      finished_ = true;
    }
    return;
  }
  const auto& msg = event.control;
  if (msg.type == "joined") {
    if (!joined_) {
      joined_ = true;
      if (hooks_.code_channel() && msg.kind != "code") {
        // A relay that ignores kind=code would pair this code like a QR
        // channel, without the code channels' rules.
        outcome_.relay = ConnectError{ExitCode::protocol, "unsupported",
                                      "the relay does not support pairing by a typed code (its answer lacks "
                                      "\"kind\":\"code\"); use the QR code"};
        outcome_.detail = "unsupported";
        perform(machine_.cancel(Reason::network));
        if (!connection_dead_) channel_.close(deadline_);
        finished_ = true;
        return;
      }
      perform(hooks_.on_joined(msg.peer.value_or(false), msg.expires_in.value_or(std::chrono::milliseconds{0})));
    }
  } else if (msg.type == "peer") {
    if (msg.event == "joined") {
      perform(machine_.on_peer(PeerEvent::joined));
      perform(hooks_.on_peer_joined());
    } else if (msg.event == "left") {
      perform(machine_.on_peer(PeerEvent::left));
    } else if (msg.event == "back") {
      perform(machine_.on_peer(PeerEvent::back));
    }
  } else if (msg.type == "intrusion") {
    reporter_.event("intrusion", {},
                    sender_ ? "WARNING: another device tried to use this code. Stopping: this code is burnt."
                            : "WARNING: someone else scanned or opened this code. It has been discarded.");
    if constexpr (requires { machine_.on_intrusion(); }) perform(machine_.on_intrusion());
  } else if (msg.type == "error") {
    auto error = relay_error(msg.code, msg.message, sender_);
    if (msg.code == "expired" && hooks_.waiting_for_first_contact()) {
      outcome_.expired_waiting = true;  // nobody came: the caller shows a fresh code
      perform(machine_.cancel(Reason::expired));
      finished_ = true;
      return;
    }
    if (msg.code == "expired" && channel_.resume_refused())
      error.message = "the connection to the relay was lost for too long: " + error.message;
    outcome_.relay = error;
    outcome_.relay_refused = true;
    perform(machine_.cancel(classify_relay_error(msg.code).reason));
    outcome_.detail = msg.code;
    finished_ = true;
  }
}

template <class Machine>
void PairingSession<Machine>::handle_line(const Inbox::Line& line) {
  if (!awaiting_answer_ || finished_) return;
  if (auto taken = hooks_.take_answer(line)) {
    if (taken->complete) awaiting_answer_ = false;
    perform(std::move(taken->actions));
    return;
  }
  if (line.end_of_input) {
    awaiting_answer_ = false;
    reporter_.say(hooks_.no_answer_text());
    perform(machine_.on_user_rejected());
    return;
  }
  auto answer = interpret_answer(line.text);
  switch (answer.kind) {
    case AnswerKind::yes:
      awaiting_answer_ = false;
      hooks_.answered();
      if (auto actions = hooks_.confirm(std::nullopt)) perform(std::move(*actions));
      else perform(machine_.on_user_confirmed());
      break;
    case AnswerKind::no:
      awaiting_answer_ = false;
      perform(machine_.on_user_rejected());
      break;
    case AnswerKind::typed_code:
      if constexpr (requires { machine_.on_user_typed(answer.digits); }) {
        awaiting_answer_ = false;
        hooks_.answered();
        if (auto actions = hooks_.confirm(answer.digits)) perform(std::move(*actions));
        else perform(machine_.on_user_typed(answer.digits));
      } else {
        prompt_again();  // code mode has no SAS to type
      }
      break;
    case AnswerKind::own_device:  // only a question that asks for it takes it (SessionHooks::take_answer)
    case AnswerKind::unclear:
      prompt_again();
      break;
  }
}

template <class Machine>
void PairingSession<Machine>::prompt_again() {
  reporter_.say(hooks_.prompt_again_text());
}

template <class Machine>
void PairingSession<Machine>::perform(Actions actions) {
  for (auto& action : actions) {
    if (auto* send = std::get_if<SendFrame>(&action)) {
      if (connection_dead_) continue;
      if (!channel_.send(send->frame)) {
        connection_dead_ = true;
        // An ABORT that cannot be delivered after the pairing already ended
        // (the peer closed first) changes nothing: go on with the actions
        // after it, which say why it ended. Anything else is a lost
        // connection.
        bool ended = machine_.state() == Machine::State::aborted || machine_.state() == Machine::State::done;
        if (!ended) {
          outcome_.relay = ConnectError{ExitCode::network, "connection_lost", "the connection to the relay was lost"};
          perform(machine_.cancel(Reason::network));
          finished_ = true;
          return;
        }
      }
    } else if (auto* sas = std::get_if<ShowSas>(&action)) {
      // The reader starts (and drops what was typed so far) before the
      // code is on screen, so an answer typed after seeing it always counts.
      awaiting_answer_ = hooks_.asks_user();
      if (awaiting_answer_) answers_.start();
      hooks_.show_sas(sas->code);
    } else if (auto* peer = std::get_if<PeerStatus>(&action)) {
      const char* name = peer->event == PeerEvent::joined ? "joined" : peer->event == PeerEvent::left ? "left" : "back";
      const char* human = peer->event == PeerEvent::joined ? "The other device connected."
                          : peer->event == PeerEvent::left ? "The other device lost its connection; waiting for it to come back..."
                                                           : "The other device is back.";
      reporter_.event("peer", {{"peer", name}}, human);
    } else if (auto* deliver = std::get_if<DeliverCredential>(&action)) {
      perform(hooks_.deliver(*deliver));
    } else if (auto* result = std::get_if<ShowResult>(&action)) {
      hooks_.show_result(*result);
    } else if (auto* aborted = std::get_if<Aborted>(&action)) {
      outcome_.reason = aborted->reason;
      if (!aborted->detail.empty()) outcome_.detail = aborted->detail;
      awaiting_answer_ = false;
    } else if (std::holds_alternative<CodeVerified>(action)) {
      awaiting_answer_ = hooks_.code_verified();
      if (awaiting_answer_) answers_.start();
    } else if (auto* ask = std::get_if<AskToAccept>(&action)) {
      awaiting_answer_ = true;
      answers_.start();
      hooks_.ask_to_accept(ask->label);
    } else if (std::holds_alternative<CloseConnection>(action)) {
      if (!connection_dead_) channel_.close(deadline_);
      finished_ = true;
    }
  }
  note_state();
  if (machine_.state() == Machine::State::done) outcome_.completed = true;
}

std::string SessionOutcome::message_for(Reason shown) const {
  std::string message(reason_message(shown));
  if (shown != Reason::possible_attack) return message;
  if (!detail.empty()) message += " (" + printable(detail, 60) + ")";
  if (relay) message += ": " + relay->message;
  return message;
}

template class PairingSession<Receiver>;
template class PairingSession<Sender>;
template class PairingSession<CodeReceiver>;
template class PairingSession<CodeSender>;

}  // namespace qrlogin::cli
