#include "cli/resumable_channel.hpp"

#include <algorithm>
#include <thread>
#include <utility>

#include "cli/relay_errors.hpp"

namespace qrlogin::cli {

namespace {

using namespace std::chrono_literals;
using relay_client::Event;

// One reconnect attempt: TCP connect and upgrade, then the relay's `joined`.
constexpr Clock::duration kAttemptTimeout = 5s;
constexpr Clock::duration kJoinedTimeout = 5s;
// How long a normal close may spend reconnecting to deliver our last frame.
constexpr Clock::duration kCloseFlushLimit = 10s;

void wipe(std::string& text) noexcept {
  secure_wipe(text);
  text.clear();
}

// HTTP answers to a resume that may go away by themselves.
bool worth_retrying(int http_status) {
  return http_status == 0 || http_status == 429 || http_status == 502 || http_status == 503 || http_status == 504;
}

}  // namespace

ResumableChannel::ResumableChannel(RelayEndpoint endpoint, std::string cid, std::string role, const Reporter& reporter,
                                   bool code_channel)
    : endpoint_(std::move(endpoint)),
      cid_(std::move(cid)),
      role_(std::move(role)),
      code_channel_(code_channel),
      reporter_(reporter) {}

ResumableChannel::~ResumableChannel() { client_.reset(); }

bool ResumableChannel::open(ConnectError& error) {
  auto options = channel_options(endpoint_, cid_, role_, code_channel_);
  auto result = relay_client::Client::connect(options);
  if (!result) {
    error = connect_error(endpoint_, result);
    return false;
  }
  install(std::move(result.client));
  return true;
}

void ResumableChannel::install(std::unique_ptr<relay_client::Client> client) {
  client_ = std::move(client);
  client_->on_event([wake = wake_] {
    if (wake) wake();
  });
}

void ResumableChannel::on_event(std::function<void()> wake) {
  wake_ = std::move(wake);
  if (client_) client_->on_event([wake = wake_] {
      if (wake) wake();
    });
}

std::optional<Event> ResumableChannel::try_next() {
  while (client_ && !end_delivered_) {
    auto raw = client_->try_next();
    if (!raw) break;
    if (auto event = process(std::move(*raw))) return event;
  }
  if (over_ && !end_delivered_) {
    end_delivered_ = true;
    Event end;
    end.kind = Event::Kind::closed;
    end.close_reason = failure_ ? failure_->message : "the channel ended";
    return end;
  }
  return std::nullopt;
}

std::optional<Event> ResumableChannel::process(Event event) {
  switch (event.kind) {
    case Event::Kind::binary:
      ledger_.on_received();
      return event;
    case Event::Kind::control:
      if (event.control.type == "joined") {
        bool first = !joined_once_;
        on_joined(event);
        if (first && !over_) return event;
        return std::nullopt;
      }
      if (event.control.type == "error") {
        // A resumable error (slow_consumer, going_away, unavailable): the
        // relay dropped this socket but keeps the slot; the close that
        // follows starts a resume. Before any `joined` there is no slot.
        // The error's own `resume` flag decides; an older relay's by its code.
        auto resumable = event.control.resume.value_or(classify_relay_error(event.control.code).resumable);
        if (joined_once_ && resumable) {
          told_to_resume_ = true;
          return std::nullopt;
        }
        refused_ = true;  // anything else is the relay's last word
        resume_refused_ = awaiting_joined_;
      }
      return event;
    case Event::Kind::closed:
      // No close frame at all (the socket broke), or a resumable error's.
      if (!refused_ && joined_once_ &&
          (std::exchange(told_to_resume_, false) || event.close_code == 0 || resumable_close(event.close_code))) {
        connection_dropped(event.close_reason);
        return std::nullopt;
      }
      over_ = true;
      end_delivered_ = true;
      attempt_at_.reset();
      ledger_.forget_token();
      return event;
  }
  return std::nullopt;
}

void ResumableChannel::on_joined(Event& event) {
  auto& msg = event.control;
  bool resuming = awaiting_joined_;
  std::optional<std::uint64_t> relay_received = resuming ? msg.received : std::nullopt;
  Status counted = resuming && !relay_received
                       ? Status(make_error(Errc::bad_resume, "the relay answered a resume like a new connection"))
                       : ledger_.on_joined(msg.resume_token, relay_received);
  // The token now lives only in the ledger's wiped buffer.
  wipe(msg.resume_token);
  wipe(event.text);
  lifetime_end_ = Clock::now() + msg.expires_in.value_or(std::chrono::milliseconds{0});
  joined_once_ = true;
  if (!counted) {
    give_up({ExitCode::network, "relay_error", "the relay could not resume the connection: " + counted.error().message});
    return;
  }
  if (!resuming) return;
  awaiting_joined_ = false;
  joined_by_.reset();
  backoff_.reset();
  reported_outage_ = false;
  auto frames = ledger_.unconfirmed();
  reporter_.event("reconnected",
                  {{"received", ledger_.received()}, {"relay_received", *relay_received}, {"resent", frames.size()}},
                  "Reconnected to the relay.");
  for (auto frame : frames) {
    if (!client_->send(frame)) {
      client_->abort();  // its `closed` comes next, and another attempt
      break;
    }
  }
}

void ResumableChannel::connection_dropped(const std::string& why) {
  client_.reset();
  awaiting_joined_ = false;
  joined_by_.reset();
  last_error_ = printable(why, 120);
  if (refused_ || !ledger_.can_resume()) {
    give_up({ExitCode::network, "connection_lost", "the connection to the relay was lost (" + last_error_ + ")"});
    return;
  }
  if (!reported_outage_) {
    reported_outage_ = true;
    reporter_.event("reconnecting", {}, "Connection to the relay lost; reconnecting...");
  }
  schedule_attempt();
}

void ResumableChannel::schedule_attempt() {
  attempt_at_ = std::min(Clock::now() + backoff_.next(), lifetime_end_);
}

void ResumableChannel::give_up(ConnectError error) {
  failure_ = std::move(error);
  over_ = true;
  client_.reset();
  awaiting_joined_ = false;
  attempt_at_.reset();
  joined_by_.reset();
  ledger_.forget_token();
}

std::optional<Clock::time_point> ResumableChannel::next_attempt() const {
  if (over_) return std::nullopt;
  if (awaiting_joined_) return joined_by_;
  return attempt_at_;
}

bool ResumableChannel::reconnect_if_due() {
  if (over_) return false;
  auto now = Clock::now();
  if (awaiting_joined_) {
    if (!joined_by_ || now < *joined_by_) return false;
    connection_dropped("the relay did not answer the resume");
    return true;
  }
  if (!attempt_at_ || now < *attempt_at_) return false;
  attempt_at_.reset();
  if (now >= lifetime_end_) {
    give_up({ExitCode::network, "connection_lost",
             "the connection to the relay was lost and could not be restored before the code expired" +
                 (last_error_.empty() ? std::string() : " (" + last_error_ + ")")});
    return true;
  }
  auto options = channel_options(endpoint_, cid_, role_, code_channel_);
  options.target = endpoint_.base_path + relay_client::channel_target(cid_, role_, ledger_.received(), code_channel_);
  options.resume_token = std::string(ledger_.token());
  options.timeout = std::chrono::duration_cast<relay_client::Millis>(
      std::clamp<Clock::duration>(lifetime_end_ - now, std::chrono::seconds(1), kAttemptTimeout));
  auto result = relay_client::Client::connect(options);
  wipe(options.resume_token);
  if (!result) {
    auto error = connect_error(endpoint_, result);
    if (!worth_retrying(result.http_status)) {
      give_up(error);
      return true;
    }
    last_error_ = result.http_status == 0 ? printable(result.error, 120) : error.message;
    schedule_attempt();
    return true;
  }
  install(std::move(result.client));
  awaiting_joined_ = true;
  joined_by_ = Clock::now() + kJoinedTimeout;
  return true;
}

bool ResumableChannel::send(ByteView frame) {
  if (over_) return false;
  ledger_.on_sent(frame);
  if (!live()) return true;  // re-sent after the resume
  if (!client_->send(frame)) client_->abort();  // the `closed` that follows starts a resume
  return true;
}

void ResumableChannel::close(std::optional<Clock::time_point> not_after) {
  auto until = std::min(Clock::now() + kCloseFlushLimit, lifetime_end_);
  if (not_after) until = std::min(until, *not_after);
  while (!over_ && !refused_) {
    if (live()) {
      // Beast's close completes only once the relay's close frame came
      // back (it reads up to it), so success means the relay read
      // everything we sent before (the pending read then ends as
      // "cancelled"). It fails when the relay closed first (the peer's
      // normal close ended the channel): a close frame from the relay is
      // its last word too, and there is nothing left to resume.
      bool clean = client_->close(1000).ok();
      auto closed = client_->wait_closed(std::chrono::seconds(1));
      if (closed.ok() && closed->close_code != 0) clean = true;
      if (clean || !ledger_.last_frame_ours()) break;
      connection_dropped("the close did not complete");
      continue;
    }
    // Reconnecting: worth it only for a frame nothing proves arrived.
    if (!ledger_.last_frame_ours() || Clock::now() >= until) break;
    auto at = next_attempt();
    if (!at) break;
    std::this_thread::sleep_until(std::min(*at, until));
    reconnect_if_due();
    while (client_ && awaiting_joined_ && !over_) {
      auto left = std::chrono::duration_cast<relay_client::Millis>(*joined_by_ - Clock::now());
      auto event = client_->next(std::max(left, relay_client::Millis{0}));
      if (!event) break;  // reconnect_if_due gives up on this connection
      (void)process(std::move(event).value());
    }
  }
  over_ = true;
  end_delivered_ = true;
  attempt_at_.reset();
  ledger_.forget_token();
}

}  // namespace qrlogin::cli
