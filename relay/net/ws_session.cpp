#include "relay/net/ws_session.hpp"

#include <algorithm>
#include <boost/asio/post.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/websocket.hpp>

#include "crypto/secret.hpp"
#include "relay/core/control.hpp"

namespace qrlogin::relay {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace websocket = beast::websocket;

namespace {
// The first read of a message is small, so an idle connection holds a
// small buffer; later reads of a large message grow.
constexpr std::size_t kFirstReadBytes = 256;
constexpr std::size_t kMinReadBytes = 4096;
// One write carries at most this many queued messages, and stops adding
// messages past this many bytes.
constexpr std::uint32_t kMaxBatchMessages = 64;
constexpr std::size_t kMaxBatchBytes = 128 * 1024;
// on_flush waits at most this many turns of the event loop.
constexpr std::uint8_t kMaxFlushTurns = 16;

// Reads on this thread that returned part of a message: while they move,
// a message is still arriving, perhaps for a session whose write waits.
thread_local std::uint64_t t_partial_reads = 0;

// Our pings carry a sequence number, so a pong is matched to its ping.
websocket::ping_data ping_payload(std::uint32_t seq) {
  char bytes[4];
  for (int i = 0; i < 4; ++i) bytes[i] = static_cast<char>((seq >> (8 * (3 - i))) & 0xff);
  return websocket::ping_data(bytes, sizeof bytes);
}
}  // namespace

template <class Stream>
WsSession<Stream>::WsSession(Stream stream, Hub& hub, ConnectionLease lease, WsClientInfo info)
    : ws_(std::move(stream)),
      hub_(hub),
      lease_(std::move(lease)),
      info_(std::move(info)),
      inline_hub_(hub.config().threads == 1),
      opened_(Clock::now()),
      last_seen_(opened_),
      control_window_(opened_) {}

template <class Stream>
WsSession<Stream>::~WsSession() {
  hub_.deadlines().cancel(*this);
  release_incoming();
  give_up_slot(LeaveKind::abnormal);
  hub_.detach(info_.id);
  auto& log = hub_.logger();
  if (log.enabled(LogLevel::info)) {
    auto ms = std::chrono::duration_cast<Millis>(Clock::now() - opened_).count();
    log.write(LogLevel::info, "ws_close",
              {{"conn", info_.id},
               {"channel", std::string_view(tag_)},
               {"role", role_name(info_.request.role)},
               {"outcome", outcome_ ? code_name(*outcome_) : std::string_view("closed")},
               {"close_code", std::uint64_t{close_started_ ? close_code_ : peer_close_code_}},
               {"frames_in", frames_in_},
               {"bytes_in", bytes_in_},
               {"duration_ms", static_cast<std::int64_t>(ms)}});
  }
}

template <class Stream>
void WsSession<Stream>::start(Request request) {
  const auto& limits = hub_.limits();
  beast::error_code ignored;
  beast::get_lowest_layer(ws_).set_option(net::ip::tcp::no_delay(true), ignored);
  ws_.read_message_max(limits.max_frame_bytes);
  websocket::permessage_deflate no_compression;  // compression before encryption leaks; and costs memory
  no_compression.server_enable = false;
  no_compression.client_enable = false;
  ws_.set_option(no_compression);
  ws_.auto_fragment(false);
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = limits.handshake_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();  // our own pings, see on_timer
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);
  bool answer = info_.answer_subprotocol;
  ws_.set_option(websocket::stream_base::decorator([answer](websocket::response_type& res) {
    res.set(beast::http::field::server, "qrlogin-relay");
    if (answer) res.set(beast::http::field::sec_websocket_protocol, "qrlogin.v1");
  }));
  ws_.control_callback([this](websocket::frame_type kind, std::string_view payload) { on_control(kind, payload); });
  tag_ = hub_.channel_tag(info_.request.cid);
  ws_.async_accept(request, beast::bind_front_handler(&WsSession<Stream>::on_accept, this->shared_from_this()));
}

template <class Stream>
void WsSession<Stream>::on_accept(beast::error_code ec) {
  Busy busy(*this);
  if (ec) {
    outcome_ = Code::bad_request;
    hub_.logger().write(LogLevel::debug, "ws_handshake_failed", {{"conn", info_.id}, {"reason", ec.message()}});
    return;
  }
  // Now the whole connection is ours: the close handshake gets close_timeout.
  websocket::stream_base::timeout timeouts{};
  timeouts.handshake_timeout = hub_.limits().close_timeout;
  timeouts.idle_timeout = websocket::stream_base::none();
  timeouts.keep_alive_pings = false;
  ws_.set_option(timeouts);

  hub_.attach(info_.id, this->weak_from_this());
  phase_ = Phase::joining;
  resuming_ = info_.resume_token.has_value();
  hub_.join(info_.request.cid, info_.request.role, info_.request.kind, info_.id, info_.address, tag_, info_.resume_token,
            info_.request.received.value_or(0), [self = this->shared_from_this()](Hub::Joined j) {
              self->run_or_post([j = std::move(j)](WsSession& s) mutable { s.on_joined(std::move(j)); });
            });
  info_.resume_token.reset();
}

template <class Stream>
void WsSession<Stream>::on_joined(Hub::Joined joined_result) {
  const auto& error = joined_result.error;
  auto& result = joined_result.answer;
  if (phase_ != Phase::joining) {
    // Ended (shutdown, a dead socket) while the join was on its way: give
    // the slot back at once.
    if (!error) hub_.leave(info_.request.cid, info_.request.role, info_.id, LeaveKind::abnormal);
    return;
  }
  last_seen_ = Clock::now();
  if (error) {
    hub_.logger().write_refusal(LogLevel::info, "ws_refused",
                        {{"conn", info_.id},
                         {"channel", std::string_view(tag_)},
                         {"role", role_name(info_.request.role)},
                         {"resume", resuming_},
                         {"code", code_name(*error)}});
    begin_close(*error);  // never held a slot
    do_read();
    return;
  }
  phase_ = Phase::open;
  hub_.metrics().websocket_opened();
  hub_.logger().write(LogLevel::info, "ws_open",
                      {{"conn", info_.id},
                       {"channel", std::string_view(tag_)},
                       {"role", role_name(info_.request.role)},
                       {"resumed", result.resumed},
                       {"peer", result.peer_present}});
  peer_taken_ = info_.request.received.value_or(0);  // a resume's `received=N`
  JoinedInfo joined{info_.request.role, result.expires_in, result.peer_present,
                    std::string(joined_result.resume_token.view()),
                    result.resumed ? std::optional<std::uint64_t>(result.received) : std::nullopt,
                    info_.request.kind};
  enqueue_control(make_joined_message(joined));
  secure_wipe(joined.resume_token);
  joined_result.resume_token.wipe();
  for (auto& d : result.backlog) enqueue({std::move(d.frame), false, true, d.from, d.index});
  do_read();
  arm_timer(last_seen_ + hub_.limits().ping_interval);
}

template <class Stream>
void WsSession<Stream>::do_read() {
  if (phase_ == Phase::closed || reading_ || awaiting_backend_) return;
  auto size = incoming_.size();
  std::size_t limit = hub_.limits().max_frame_bytes + 1;  // Beast refuses more; +1 keeps the buffer non-empty
  std::size_t chunk = size == 0 ? kFirstReadBytes : std::max(kMinReadBytes, size);
  chunk = std::max<std::size_t>(1, std::min(chunk, limit > size ? limit - size : 1));
  if (size + chunk > incoming_.capacity()) {
    if (size > 0 && !grow_incoming(size + chunk)) {
      // A message still arriving would pass the relay's buffer budget.
      hub_.metrics().rejected(Limit::buffered_bytes);
      incoming_.clear();
      release_incoming();
      begin_close(Code::unavailable);
      chunk = kFirstReadBytes;  // only the close frame is still of interest
      if (chunk > incoming_.capacity()) incoming_.reserve(chunk);
    } else {
      incoming_.reserve(size + chunk);  // exactly this much, not zero-filled
    }
  }
  reading_ = true;
  ws_.async_read_some(incoming_.prepare(chunk),
                      beast::bind_front_handler(&WsSession<Stream>::on_read, this->shared_from_this()));
}

template <class Stream>
bool WsSession<Stream>::grow_incoming(std::size_t capacity) {
  if (capacity <= incoming_reserved_) return true;
  if (!hub_.reserve_incoming(capacity - incoming_reserved_)) return false;
  incoming_reserved_ = capacity;
  return true;
}

template <class Stream>
void WsSession<Stream>::release_incoming() {
  if (incoming_reserved_ == 0) return;
  hub_.release_incoming(incoming_reserved_);
  incoming_reserved_ = 0;
}

template <class Stream>
void WsSession<Stream>::on_read(beast::error_code ec, std::size_t n) {
  Busy busy(*this);
  reading_ = false;
  incoming_.commit(n);
  if (ec) {
    on_read_error(ec);
    return;
  }
  auto now = Clock::now();
  last_seen_ = now;
  if (phase_ == Phase::closing) {  // only waiting for the peer's close frame now
    incoming_.clear();
    release_incoming();
    do_read();
    return;
  }
  if (ws_.got_text()) {  // text frames are relay -> client only
    incoming_.clear();
    release_incoming();
    begin_close(Code::bad_request);
    do_read();
    return;
  }
  if (!ws_.is_message_done()) {
    ++t_partial_reads;
    if (!message_started_) {
      message_started_ = now;
      arm_timer(now + hub_.limits().fragment_timeout);
    }
    do_read();
    return;
  }
  message_started_.reset();
  auto bytes = incoming_.data();
  auto* begin = static_cast<const std::uint8_t*>(bytes.data());
  Frame frame = std::make_shared<const std::vector<std::uint8_t>>(begin, begin + bytes.size());
  incoming_.clear();
  if (incoming_.capacity() > kMinReadBytes) incoming_.shrink_to_fit();
  release_incoming();
  ++frames_in_;
  bytes_in_ += frame->size();
  if (!hub_.forward(info_.request.cid, info_.request.role, info_.id, std::move(frame), peer_taken_)) {
    awaiting_backend_ = true;  // read_on() reads on
    // No read is pending now to keep this session alive: it keeps itself
    // until the backend has the frame (read_on), or the session ends.
    backend_hold_ = this->shared_from_this();
    return;
  }
  do_read();
}

template <class Stream>
void WsSession<Stream>::on_read_error(beast::error_code ec) {
  if (ec == websocket::error::closed) {
    peer_close_code_ = ws_.reason().code;
    fail(peer_close_code_ == close_code::normal ? LeaveKind::normal : LeaveKind::abnormal);
    return;
  }
  if (ec == websocket::error::message_too_big && !outcome_) {
    outcome_ = Code::too_large;  // Beast has sent close 1009
    hub_.metrics().error(Code::too_large);
    hub_.metrics().rejected(Limit::channel_budget);
    close_code_ = close_code::message_too_big;
    close_started_ = true;
  }
  fail();
}

template <class Stream>
void WsSession<Stream>::on_control(websocket::frame_type kind, std::string_view payload) {
  auto now = Clock::now();
  last_seen_ = now;
  if (kind == websocket::frame_type::pong && ping_sent_) {
    auto ours = ping_payload(ping_seq_);
    if (payload == std::string_view(ours.data(), ours.size())) ping_sent_.reset();
  }
  if (now - control_window_ >= std::chrono::seconds{1}) {
    control_window_ = now;
    control_count_ = 0;
  }
  if (++control_count_ == hub_.limits().max_control_frames_per_second + 1 && phase_ < Phase::closing) {
    // Not from inside Beast's read operation: post.
    net::post(ws_.get_executor(), [self = this->shared_from_this()] {
      Busy busy(*self);
      self->begin_close(Code::bad_request);
    });
  }
}

template <class Stream>
void WsSession<Stream>::pop_front() {
  queue_[queue_head_] = Outgoing{};  // release the frame now
  if (++queue_head_ == queue_.size()) {
    queue_.clear();  // keeps the capacity for the rest of a burst; do_write releases it
    queue_head_ = 0;
  }
}

template <class Stream>
void WsSession<Stream>::enqueue(Outgoing item) {
  if (phase_ == Phase::closed) return;
  if (queue_head_ != 0 && queue_.size() == queue_.capacity()) {  // reuse the sent slots before growing
    queue_.erase(queue_.begin(), queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_));
    queue_head_ = 0;
  }
  queue_.push_back(std::move(item));
  schedule_write();
}

template <class Stream>
void WsSession<Stream>::enqueue_control(std::string text) {
  if (queued_controls_ >= hub_.limits().max_queued_control_messages) {
    begin_close(Code::slow_consumer);
    return;
  }
  ++queued_controls_;
  enqueue({std::make_shared<const std::vector<std::uint8_t>>(text.begin(), text.end()), true, false,
           Role::receiver, 0});
}

// A peer's read hands on each of its frames in its own turn of the event
// loop (Beast completes a read of an already buffered frame by posting; a
// frame larger than the read buffer takes several turns), so a write started
// at the first frame would carry only that one. on_flush instead looks again
// each turn and writes once a turn passed in which the queue did not grow
// and no read on this thread returned part of a message: the frames of one
// read, and whatever else arrived meanwhile, go out in one system call.
// With one frame it costs two posted turns, no syscall; the wait is bounded
// by kMaxFlushTurns and by the batch size. With --threads N the peer may
// read on another thread, unseen here: bursts then go out in more writes.
template <class Stream>
void WsSession<Stream>::schedule_write() {
  if (phase_ == Phase::closed || writing_ || flush_posted_) return;
  if (queue_.size() - queue_head_ >= kMaxBatchMessages) {
    do_write();
    return;
  }
  flush_posted_ = true;
  flush_seen_ = 0;
  flush_turns_ = 0;
  flush_reads_seen_ = t_partial_reads;
  net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->on_flush(); });
}

template <class Stream>
void WsSession<Stream>::on_flush() {
  Busy busy(*this);
  auto waiting = static_cast<std::uint32_t>(queue_.size() - queue_head_);
  bool arriving = waiting != flush_seen_ || t_partial_reads != flush_reads_seen_;
  if (phase_ != Phase::closed && arriving && waiting < kMaxBatchMessages && ++flush_turns_ < kMaxFlushTurns) {
    flush_seen_ = waiting;
    flush_reads_seen_ = t_partial_reads;
    net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->on_flush(); });
    return;
  }
  flush_posted_ = false;
  do_write();
}

template <class Stream>
void WsSession<Stream>::do_write() {
  if (phase_ == Phase::closed || writing_) return;
  if (queue_empty()) {
    batch_.reset();  // an idle session holds no batch and no queue
    queue_.shrink_to_fit();
    if (phase_ == Phase::closing && !close_started_) do_close();
    return;
  }
  // Beast has sent or answered a close: nothing may follow it on the wire.
  if (close_started_ || !ws_.is_open()) return;
  writing_ = true;
  write_started_ = Clock::now();
  arm_timer(write_started_ + hub_.limits().write_timeout);
  if (!batch_) batch_ = std::make_unique<Batch>();
  auto& headers = batch_->headers;
  auto& buffers = batch_->buffers;
  headers.clear();
  buffers.clear();
  // Reserved up front: the buffers point into headers, which must not move.
  headers.reserve(std::min<std::size_t>(queue_.size() - queue_head_, kMaxBatchMessages));
  std::size_t bytes = 0;
  for (auto i = queue_head_; i < queue_.size() && headers.size() < kMaxBatchMessages && bytes < kMaxBatchBytes; ++i) {
    const auto& item = *queue_[i].bytes;
    const auto& header = headers.emplace_back(server_frame_header(queue_[i].text, item.size()));
    buffers.emplace_back(header.bytes.data(), header.size);
    if (!item.empty()) buffers.emplace_back(item.data(), item.size());
    bytes += item.size();
  }
  hub_.metrics().written(headers.size());
  ws_.next_layer().async_write_batch(buffers, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_write(ec);
  });
}

template <class Stream>
void WsSession<Stream>::on_write(beast::error_code ec) {
  Busy busy(*this);
  auto written = in_flight();
  writing_ = false;
  if (ec) {
    fail();
    return;
  }
  for (; written > 0; --written) {
    auto& item = queue_[queue_head_];
    if (item.text) --queued_controls_;
    // The next frame this client sends confirms it (Hub::forward's `taken`).
    if (item.is_frame) peer_taken_ = std::max(peer_taken_, item.index + 1);
    pop_front();
  }
  // What came in meanwhile may still be growing: the next write waits as
  // the first did.
  if (queue_empty()) do_write();
  else schedule_write();
}

template <class Stream>
void WsSession<Stream>::begin_close(Code code) {
  if (phase_ >= Phase::closing) return;
  // Our slot is given up now, so the peer hears `peer left` at once.
  give_up_slot(LeaveKind::abnormal);
  phase_ = Phase::closing;
  if (code != Code::peer_closed) {
    outcome_ = code;
    hub_.metrics().error(code);
  }
  close_code_ = code_close(code);
  close_deadline_ = Clock::now() + hub_.limits().close_timeout;
  arm_timer(close_deadline_);
  // Only the client's close frame is of interest now, stored or not.
  if (awaiting_backend_) {
    awaiting_backend_ = false;
    auto hold = std::move(backend_hold_);  // the read takes over
    do_read();
  }
  // Undelivered frames stay in the channel's log; a slow reader's queue is
  // dropped so its error is not stuck behind what it would not read.
  auto keep = in_flight();
  if (code == Code::slow_consumer || code == Code::going_away || code == Code::expired || code == Code::replaced) {
    auto waiting = queue_.size() - queue_head_;
    auto first = queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_);
    queue_.erase(first + static_cast<std::ptrdiff_t>(std::min(keep, waiting)), queue_.end());
    first = queue_.begin() + static_cast<std::ptrdiff_t>(queue_head_);
    queued_controls_ = static_cast<std::size_t>(std::count_if(first, queue_.end(), [](const auto& o) { return o.text; }));
  }
  auto text = code == Code::peer_closed ? make_peer_message(PeerEvent::left) : make_error_message(code);
  ++queued_controls_;
  enqueue({std::make_shared<const std::vector<std::uint8_t>>(text.begin(), text.end()), true, false,
           Role::receiver, 0});
}

template <class Stream>
void WsSession<Stream>::do_close() {
  close_started_ = true;
  ws_.async_close(websocket::close_reason(close_code_), [self = this->shared_from_this()](beast::error_code) {
    // The pending read sees the end of the stream and finishes the session.
    self->cancel_timer();
  });
}

template <class Stream>
void WsSession<Stream>::arm_timer(TimePoint at) {
  if (phase_ == Phase::closed || at >= timer_at_) return;
  timer_at_ = at;
  hub_.deadlines().schedule(*this, at);
}

template <class Stream>
void WsSession<Stream>::cancel_timer() {
  timer_at_ = TimePoint::max();
  hub_.deadlines().cancel(*this);
}

// On the deadline timer's thread: with one I/O thread that is this
// session's too; with several the session has a strand of its own.
template <class Stream>
void WsSession<Stream>::deadline_reached() {
  if (inline_hub_) return on_timer();
  net::post(ws_.get_executor(), [self = this->shared_from_this()] { self->on_timer(); });
}

template <class Stream>
void WsSession<Stream>::on_timer() {
  Busy busy(*this);
  if (phase_ == Phase::closed) return;
  auto now = Clock::now();
  // A deadline that was moved or dropped while this call was posted.
  if (now < timer_at_ && timer_at_ != TimePoint::max()) return;
  timer_at_ = TimePoint::max();
  const auto& limits = hub_.limits();
  if (phase_ == Phase::closing) {
    if (now >= close_deadline_) fail(LeaveKind::abnormal, Cut::reset);
    else arm_timer(close_deadline_);
    return;
  }
  if (writing_ && now >= write_started_ + limits.write_timeout) {
    on_write_stalled();
    return;
  }
  if (message_started_ && now >= *message_started_ + limits.fragment_timeout) {
    begin_close(Code::bad_request);
    return;
  }
  if (awaiting_backend_) {
    // Not reading, so no pong can arrive: the backend's own grace bounds
    // this wait, and the pings start again after it.
    ping_sent_.reset();
    last_seen_ = std::max(last_seen_, now);
  }
  if (ping_sent_ && now >= *ping_sent_ + limits.pong_timeout) {
    hub_.logger().write(LogLevel::debug, "pong_timeout", {{"conn", info_.id}});
    fail(LeaveKind::abnormal, Cut::reset);
    return;
  }
  if (!ping_sent_ && !ping_in_flight_ && !awaiting_backend_ && now >= last_seen_ + limits.ping_interval) start_ping(now);
  auto next = ping_sent_ ? *ping_sent_ + limits.pong_timeout : last_seen_ + limits.ping_interval;
  if (!ping_sent_ && ping_in_flight_) next = now + limits.pong_timeout;  // the last ping is still being written
  if (message_started_) next = std::min(next, *message_started_ + limits.fragment_timeout);
  if (writing_) next = std::min(next, write_started_ + limits.write_timeout);
  arm_timer(next);
}

template <class Stream>
void WsSession<Stream>::start_ping(TimePoint now) {
  ping_sent_ = now;
  ping_in_flight_ = true;
  ws_.async_ping(ping_payload(++ping_seq_), [self = this->shared_from_this()](beast::error_code) {
    self->ping_in_flight_ = false;
  });
}

// The client has not taken a message for --write-timeout: nothing more can
// reach it, not even an error, so the socket is cut now. Its slot waits out
// the grace (the client may resume and read what it missed); the peer hears
// `peer left`.
template <class Stream>
void WsSession<Stream>::on_write_stalled() {
  hub_.logger().write(LogLevel::info, "write_timeout", {{"conn", info_.id}, {"channel", std::string_view(tag_)}});
  outcome_ = Code::slow_consumer;
  hub_.metrics().error(Code::slow_consumer);
  close_code_ = code_close(Code::slow_consumer);
  fail(LeaveKind::abnormal, Cut::reset);
}

template <class Stream>
void WsSession<Stream>::give_up_slot(LeaveKind kind) {
  if (phase_ != Phase::open) return;
  phase_ = Phase::closing;
  hub_.leave(info_.request.cid, info_.request.role, info_.id, kind);
}

template <class Stream>
void WsSession<Stream>::fail(LeaveKind kind, Cut how) {
  if (phase_ == Phase::closed) return;
  give_up_slot(kind);
  phase_ = Phase::closed;
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(ws_);
  // A client that stopped reading would otherwise leave the kernel holding
  // what is queued for it (megabytes) until its TCP timeouts give up.
  if (how == Cut::reset) socket.set_option(net::socket_base::linger(true, 0), ignored);
  socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  cancel_timer();
  // Every caller holds the session too (a handler's or the deadline's
  // reference), so this is never the last one.
  backend_hold_.reset();
}

// With one I/O thread every caller (the hub, from another session's handler,
// the sweeper or the shutdown) is on this session's thread, so the work can
// run at once instead of as a heap-allocated posted closure. It runs inline
// only when none of this session's own handlers is on the stack (busy_):
// the hub calls back into the session whose handler started the chain (a
// session's begin_close tells its peer, whose own work may tell this one),
// and that must not touch the queue or the close state mid-handler. And
// only when nothing is still posted (posted_), so hub work keeps its order.
// With several threads the session has a strand and everything is posted.
template <class Stream>
template <class F>
void WsSession<Stream>::run_or_post(F f) {
  if (inline_hub_ && busy_ == 0 && posted_ == 0) {
    Busy busy(*this);
    f(*this);
    return;
  }
  if (inline_hub_) ++posted_;
  net::post(ws_.get_executor(), [self = this->shared_from_this(), f = std::move(f)]() mutable {
    if (self->inline_hub_) --self->posted_;
    Busy busy(*self);
    f(*self);
  });
}

template <class Stream>
void WsSession<Stream>::deliver(Delivery delivery) {
  run_or_post([d = std::move(delivery)](WsSession& self) mutable {
    if (self.phase_ >= Phase::closing) return;  // the frame stays in the channel's log
    self.enqueue({std::move(d.frame), false, true, d.from, d.index});
  });
}

template <class Stream>
void WsSession<Stream>::notify(std::string control_message) {
  run_or_post([text = std::move(control_message)](WsSession& self) mutable {
    if (self.phase_ >= Phase::closing) return;
    self.enqueue_control(std::move(text));
  });
}

template <class Stream>
void WsSession<Stream>::end(Code code) {
  run_or_post([code](WsSession& self) { self.begin_close(code); });
}

template <class Stream>
void WsSession<Stream>::end_by_peer() {
  run_or_post([](WsSession& self) { self.begin_close(Code::peer_closed); });
}

template <class Stream>
void WsSession<Stream>::read_on() {
  run_or_post([](WsSession& self) {
    if (!self.awaiting_backend_) return;
    self.awaiting_backend_ = false;
    auto hold = std::move(self.backend_hold_);  // the read takes over
    self.do_read();
  });
}

template class WsSession<PlainStream>;
template class WsSession<TlsStream>;

}  // namespace qrlogin::relay
