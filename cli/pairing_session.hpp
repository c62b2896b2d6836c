#pragma once
// Runs one pairing machine (Receiver or Sender, or in code mode
// CodeReceiver or CodeSender) over one relay channel
// (which reconnects by itself when its connection drops): relay events and
// the user's answers in, the machine's actions out, until the pairing ends.
// What differs between the roles is in SessionHooks.
#include <memory>
#include <optional>
#include <string>

#include "cli/inbox.hpp"
#include "cli/relay_connection.hpp"
#include "cli/reporter.hpp"
#include "cli/resumable_channel.hpp"
#include "crypto/pairing/actions.hpp"

namespace qrlogin::cli {

struct SessionHooks {
  virtual ~SessionHooks() = default;
  // `joined`: the relay attached us. Returns actions to perform (the sender
  // starts here when its peer is present).
  virtual pairing::Actions on_joined(bool peer_present, std::chrono::milliseconds expires_in) = 0;
  virtual pairing::Actions on_peer_joined() { return {}; }
  // Whether the user's answer to the code is needed (not with auto-accept).
  virtual bool asks_user() const { return true; }
  // Shows the code (and the question, when asks_user()).
  virtual void show_sas(const std::string& code) = 0;
  virtual pairing::Actions deliver(pairing::DeliverCredential&) { return {}; }
  virtual void show_result(const pairing::ShowResult&) {}
  // How long the current machine state may last, if bounded.
  virtual std::optional<Clock::duration> step_limit() const { return std::nullopt; }
  // A deadline of the hook's own (e.g. 30 s after a code's sender joined).
  virtual std::optional<Clock::time_point> own_deadline() const { return std::nullopt; }
  // Code mode: the channel is a code channel, so the relay's `joined` must
  // say "kind":"code" (a relay that does not is closed: unsupported).
  virtual bool code_channel() const { return false; }
  // Code mode: the peer proved the code (CodeVerified). Returns whether the
  // user must now answer y or n (the sender's confirmation).
  virtual bool code_verified() { return false; }
  // Code mode, receiver: the credential arrived; ask whether to accept it.
  virtual void ask_to_accept(const std::string& label) { (void)label; }
  // What to say when an answer was not understood, and at end of input.
  virtual std::string prompt_again_text() const {
    return "Please answer y (the same code), n (a different code), or type the six digits you see.";
  }
  virtual std::string no_answer_text() const { return "No answer (end of input): treating the codes as different."; }
  // Called when the user answered the prompt and must now wait.
  virtual void answered() {}
  // The user confirmed the code (typed_digits: by typing it). A hook that
  // must first fetch the credential (a sender with --app) returns the
  // machine's actions; nullopt lets the session confirm as usual.
  virtual std::optional<pairing::Actions> confirm(std::optional<std::string_view> typed_digits) {
    (void)typed_digits;
    return std::nullopt;
  }
  // A hook that asks more than the usual question (a sender approving a
  // device on another network) reads the person's lines itself: the
  // machine's actions, and whether the answer is complete (no more lines
  // wanted). nullopt: the session reads the line as usual.
  struct TakenAnswer {
    pairing::Actions actions;
    bool complete = false;
  };
  virtual std::optional<TakenAnswer> take_answer(const Inbox::Line& line) {
    (void)line;
    return std::nullopt;
  }
  // True while a relay `expired` only means nobody came yet (the receiver
  // then shows a fresh code instead of failing).
  virtual bool waiting_for_first_contact() const { return false; }
  // When the code shown must be replaced if nobody came by then (a code
  // receiver with --app: the application forgets its registration sooner
  // than the relay forgets the code). The session then ends as an expired
  // wait.
  virtual std::optional<Clock::time_point> replace_at() const { return std::nullopt; }
};

struct SessionOutcome {
  bool completed = false;               // the machine reached `done`
  std::optional<pairing::Reason> reason;  // why it ended otherwise
  std::string detail;                   // the peer's reason code, or the relay's error code
  std::optional<ConnectError> relay;    // the relay's error, when it caused the end
  bool relay_refused = false;           // the relay answered with an `error` (its code in detail)
  bool expired_waiting = false;         // the channel expired before any peer spoke

  // What to tell the user for `shown` (the reason reported, which may
  // differ from `reason`, e.g. timeout for an expired wait): its message, and
  // for an ending after READY (possible_attack) the precise reason and the
  // relay's words.
  [[nodiscard]] std::string message_for(pairing::Reason shown) const;
};

template <class Machine>
class PairingSession {
 public:
  PairingSession(Machine& machine, ResumableChannel& channel, std::shared_ptr<Inbox> inbox, AnswerReader& answers,
                 const Reporter& reporter, SessionHooks& hooks, std::optional<Clock::time_point> deadline, bool sender);
  SessionOutcome run();

 private:
  void perform(pairing::Actions actions);
  void handle_event(relay_client::Event& event);
  void handle_line(const Inbox::Line& line);
  void prompt_again();
  std::optional<Clock::time_point> next_deadline() const;
  void note_state();
  bool replace_if_due();

  Machine& machine_;
  ResumableChannel& channel_;
  std::shared_ptr<Inbox> inbox_;
  AnswerReader& answers_;
  const Reporter& reporter_;
  SessionHooks& hooks_;
  std::optional<Clock::time_point> deadline_;
  bool sender_;

  bool finished_ = false;
  bool connection_dead_ = false;  // the channel is over: skip further sends and the close
  bool awaiting_answer_ = false;
  bool joined_ = false;
  typename Machine::State last_state_;
  Clock::time_point state_since_ = Clock::now();
  SessionOutcome outcome_;
};

}  // namespace qrlogin::cli
