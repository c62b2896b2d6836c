#pragma once
// One relay channel over as many WebSocket connections as it takes: when
// the connection drops (no close frame, or a resumable relay error such as
// `going_away`: cli/relay_errors.hpp), it reconnects to the same channel
// with the last `joined`'s resume token and `received=N`, re-sends the
// frames the relay had not received, and goes on. The pairing above it
// sees every binary frame exactly once, in order, and never a dropped
// connection; only a definitive end (a normal close, a refusal such as
// `expired`, or no connection until the channel's lifetime is over)
// reaches it as `closed`.
//
// Single-threaded: the pairing session's loop calls everything here; the
// clients' I/O threads only call the wake function.
#include <functional>
#include <memory>
#include <optional>
#include <string>

#include "cli/inbox.hpp"
#include "cli/relay_connection.hpp"
#include "cli/reporter.hpp"
#include "cli/resume_ledger.hpp"
#include "cli/relay_client/client.hpp"

namespace qrlogin::cli {

class ResumableChannel {
 public:
  // code_channel: a typed code's channel (kind=code on every connection).
  ResumableChannel(RelayEndpoint endpoint, std::string cid, std::string role, const Reporter& reporter,
                   bool code_channel = false);
  ~ResumableChannel();
  ResumableChannel(const ResumableChannel&) = delete;
  ResumableChannel& operator=(const ResumableChannel&) = delete;

  // The first connection. On success the relay's `joined` (or its refusal)
  // comes from try_next().
  [[nodiscard]] bool open(ConnectError& error);

  // Called from an I/O thread whenever an event may be ready.
  void on_event(std::function<void()> wake);

  // The next event for the pairing, if one is ready: binary frames (each
  // exactly once, in order, over all connections), control messages (the
  // first `joined`, without its token; `peer`, `intrusion`, and the `error`
  // of a definitive refusal) and at last `closed`, once, when the channel
  // is over for good. failure() then says why, when it was not the relay.
  [[nodiscard]] std::optional<relay_client::Event> try_next();

  // Sends a binary frame, or queues it while reconnecting; it is kept until
  // a resume shows the relay had it. False when the channel is over.
  [[nodiscard]] bool send(ByteView frame);

  // While reconnecting: when the next attempt is due (also when a pending
  // resume's `joined` is overdue). nullopt while connected or after the end.
  [[nodiscard]] std::optional<Clock::time_point> next_attempt() const;
  // Makes that attempt if it is due (blocks for at most a few seconds).
  // True when it did something (new events may be ready).
  bool reconnect_if_due();

  // Ends the channel with a normal close 1000. When our last frame may not
  // have reached the relay (the socket broke after it), reconnects first to
  // deliver it: for 10 s at most, and not after `not_after`.
  void close(std::optional<Clock::time_point> not_after = std::nullopt);

  [[nodiscard]] bool over() const noexcept { return over_; }
  // The relay's definitive `error` answered a resume (so for `expired`: we
  // were away longer than its grace period).
  [[nodiscard]] bool resume_refused() const noexcept { return resume_refused_; }
  // Why we gave up, when no relay message says it (unreachable until the
  // channel's lifetime ran out, a refused resume, a relay that cannot count).
  [[nodiscard]] const std::optional<ConnectError>& failure() const noexcept { return failure_; }

 private:
  // What try_next does with one raw event: nullopt when it was for us only.
  std::optional<relay_client::Event> process(relay_client::Event event);
  void on_joined(relay_client::Event& event);
  void connection_dropped(const std::string& why);
  void schedule_attempt();
  void give_up(ConnectError error);
  void install(std::unique_ptr<relay_client::Client> client);
  [[nodiscard]] bool live() const noexcept { return client_ && !awaiting_joined_ && !over_; }

  RelayEndpoint endpoint_;
  std::string cid_;
  std::string role_;
  bool code_channel_;
  const Reporter& reporter_;
  std::function<void()> wake_;

  std::unique_ptr<relay_client::Client> client_;
  ResumeLedger ledger_;
  Backoff backoff_;
  bool joined_once_ = false;
  bool awaiting_joined_ = false;        // a resume's upgrade succeeded, its `joined` not yet read
  bool refused_ = false;                // the relay sent a definitive `error`: its close is the end
  bool resume_refused_ = false;
  bool told_to_resume_ = false;         // this socket's `error` said resume: its close starts a resume
  bool over_ = false;
  bool end_delivered_ = false;
  bool reported_outage_ = false;
  std::optional<Clock::time_point> attempt_at_;   // reconnecting: the next attempt
  std::optional<Clock::time_point> joined_by_;    // awaiting_joined_: give up on this connection then
  Clock::time_point lifetime_end_{};              // from the last `joined`'s expires_in_ms
  std::string last_error_;                        // the last reconnect failure, for the final message
  std::optional<ConnectError> failure_;
};

}  // namespace qrlogin::cli
