#pragma once
// One WebSocket client of the relay after its upgrade request was checked:
// accepts the upgrade, joins its channel, forwards each binary message to
// the hub and writes what the hub delivers. The write queue holds frames
// counted in the channel's budget and a bounded number of control messages;
// one deadline serves pings, the pong, fragment, write and closing deadlines
// (the hub's DeadlineQueue keeps the earliest of each session on one timer).
//
// One of each Beast operation in flight, never two: Beast keeps a single
// slot per kind of operation, and a second one started while the first
// waits (say, a ping behind a write the client does not read) overwrites
// the first, whose handler - holding this session - then never runs.
//   read   reading_: started by do_read() only, from its own completion or
//          once after the join.
//   write  writing_: not Beast's. The session writes its queued messages
//          itself, up to kMaxBatchMessages of them in one gathered write
//          (batch_write_stream.hpp keeps it apart from Beast's writes),
//          started by do_write() only, which on_flush() calls once the
//          queue has stopped growing: the frames one read of the peer
//          hands on go out together.
//   ping   ping_in_flight_: started by the timer only when the previous
//          ping has completed; only a pong carrying our ping's payload
//          answers it (any other pong is ignored).
//   close  close_started_: started once, by do_write() when the queue is
//          empty after begin_close().
//   pong   never started by us (Beast's read answers pings itself).
// A write that is not taken within --write-timeout ends the session with
// slow_consumer; anything else stuck is cut by the closing deadline.
//
// A template over the stream below the WebSocket: PlainStream (TCP) or
// TlsStream (TLS over TCP), both instantiated in ws_session.cpp. Included
// only by http_session.cpp and ws_session.cpp.
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http/empty_body.hpp>
#include <boost/beast/http/message.hpp>
#include <boost/beast/websocket/stream.hpp>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "relay/core/address.hpp"
#include "relay/core/target.hpp"
#include "relay/net/batch_write_stream.hpp"
#include "relay/net/frame_header.hpp"
#include "relay/net/hub.hpp"
#include "relay/net/lean_tls_stream.hpp"
#include "relay/net/lease.hpp"

namespace qrlogin::relay {

using PlainStream = boost::asio::ip::tcp::socket;
// OpenSSL on the socket itself, no per-connection buffers (lean_tls_stream.hpp).
using TlsStream = LeanTlsStream;

struct WsClientInfo {
  ConnId id = 0;
  AddressKey address;          // for the per-address channel rate
  ChannelRequest request;
  bool answer_subprotocol = false;  // the client offered qrlogin.v1
  std::optional<SecretString> resume_token;  // offered as qrlogin.resume.<token>
};

template <class Stream>
class WsSession final : public Endpoint,
                        public DeadlineQueue::Client,
                        public std::enable_shared_from_this<WsSession<Stream>> {
 public:
  using Request = boost::beast::http::request<boost::beast::http::empty_body>;

  WsSession(Stream stream, Hub& hub, ConnectionLease lease, WsClientInfo info);
  ~WsSession() override;
  WsSession(const WsSession&) = delete;
  WsSession& operator=(const WsSession&) = delete;

  void start(Request request);

  void deliver(Delivery delivery) override;
  void notify(std::string control_message) override;
  void end(Code code) override;
  void end_by_peer() override;
  void read_on() override;

  void deadline_reached() override;
  std::shared_ptr<void> keep_alive() override { return this->weak_from_this().lock(); }

 private:
  struct Outgoing {
    Frame bytes;
    bool text = false;
    bool is_frame = false;  // a relayed frame: counted in peer_taken_ once written
    Role from = Role::receiver;
    std::uint64_t index = 0;
  };

  void on_accept(boost::beast::error_code ec);
  void on_joined(Hub::Joined joined);
  void do_read();
  void on_read(boost::beast::error_code ec, std::size_t n);
  void on_read_error(boost::beast::error_code ec);
  void on_control(boost::beast::websocket::frame_type kind, std::string_view payload);
  void start_ping(TimePoint now);
  // Accounts the read buffer's growth while a message is still arriving
  // (Hub::reserve_incoming); false when the relay's buffer budget is spent.
  [[nodiscard]] bool grow_incoming(std::size_t capacity);
  void release_incoming();
  void on_write_stalled();
  void enqueue(Outgoing item);
  void enqueue_control(std::string text);
  // Starts a write soon: once the queue has stopped growing between two
  // turns of the event loop (on_flush), or at once when a batch is full.
  void schedule_write();
  void on_flush();
  void do_write();
  void on_write(boost::beast::error_code ec);
  // Sends `error` (when `code` is an error), or `peer left` for peer_closed,
  // then closes with the code's close code; cut after close_timeout.
  void begin_close(Code code);
  void do_close();
  // Moves the session's deadline earlier (never later: on_timer finds the
  // next one itself); cancel_timer() drops it.
  void arm_timer(TimePoint at);
  void cancel_timer();
  void on_timer();
  // An open session leaves its channel (the peer hears `peer left`, or
  // with a normal close the channel ends) and is closing from then on.
  void give_up_slot(LeaveKind kind);
  // The one way a session ends without (more of) a close handshake: gives
  // up the slot and closes the socket - gracefully after the peer's close or
  // a failed write, or with an RST that drops what the kernel still queues
  // for a client that stopped reading or answering.
  enum class Cut : std::uint8_t { graceful, reset };
  void fail(LeaveKind kind = LeaveKind::abnormal, Cut how = Cut::graceful);

  // Work handed over by the hub (deliver/notify/end) runs at once when that
  // is safe, else is posted to the session's executor. See run_or_post.
  template <class F>
  void run_or_post(F f);
  // Marks one of this session's own handlers (or inline hub work) as on
  // the stack; while one is, hub work for this session is posted.
  struct Busy {
    explicit Busy(WsSession& s) : s_(s) { ++s_.busy_; }
    ~Busy() { --s_.busy_; }
    Busy(const Busy&) = delete;
    Busy& operator=(const Busy&) = delete;
    WsSession& s_;
  };

  // The write queue: items [queue_head_, size()) wait; sent items are
  // released and skipped rather than erased from the front one by one.
  [[nodiscard]] bool queue_empty() const noexcept { return queue_head_ == queue_.size(); }
  void pop_front();

  boost::beast::websocket::stream<BatchWriteStream<Stream>> ws_;
  Hub& hub_;
  ConnectionLease lease_;
  WsClientInfo info_;
  std::string tag_;

  // The message being read. Grown without zero-filling; its bytes beyond the
  // first read's count against --max-buffered-bytes (incoming_reserved_).
  boost::beast::flat_buffer incoming_;
  std::size_t incoming_reserved_ = 0;
  std::vector<Outgoing> queue_;
  std::size_t queue_head_ = 0;
  std::size_t queued_controls_ = 0;
  // The batch on the socket (while writing_): the headers of queue_'s
  // first in_flight() items and the gathered buffers. Kept while messages
  // flow, released when the queue drains (an idle session holds none).
  struct Batch {
    std::vector<FrameHeader> headers;
    std::vector<boost::asio::const_buffer> buffers;
  };
  [[nodiscard]] std::size_t in_flight() const noexcept { return writing_ && batch_ ? batch_->headers.size() : 0; }
  std::unique_ptr<Batch> batch_;
  std::uint64_t flush_reads_seen_ = 0;  // the thread's partial reads when on_flush last looked
  std::uint32_t flush_seen_ = 0;        // queue length when on_flush last looked
  std::uint8_t flush_turns_ = 0;        // turns on_flush has waited
  bool flush_posted_ = false;
  std::uint32_t busy_ = 0;    // Busy guards on the stack (only counted with inline_hub_)
  std::uint32_t posted_ = 0;  // hub work posted and not yet run (only counted with inline_hub_)

  // One I/O thread: every session and the hub run on that thread, so hub
  // work may run inline (no strand, no posted closure).
  bool inline_hub_ = false;
  // Where the session is; it only moves forward.
  enum class Phase : std::uint8_t {
    accepting,  // the WebSocket handshake is under way
    joining,    // accepted; the hub's answer to our join is on its way
    open,       // holds its slot: frames flow both ways
    closing,    // the slot is given up; the error (or `peer left`) and the close frame go out
    closed,     // the socket is closed
  };
  Phase phase_ = Phase::accepting;
  bool resuming_ = false;  // the client presented a resume token
  bool reading_ = false;
  // The hub has not taken our last frame yet (Hub::forward was false): no
  // read until Endpoint::read_on, so a slow backend slows this client.
  bool awaiting_backend_ = false;
  // While awaiting_backend_, no read is pending to hold the session: it
  // holds itself (released by read_on, begin_close or fail).
  std::shared_ptr<WsSession> backend_hold_;
  bool writing_ = false;
  bool ping_in_flight_ = false;
  bool close_started_ = false;
  std::optional<Code> outcome_;
  std::uint16_t close_code_ = 1000;
  std::uint16_t peer_close_code_ = 0;

  TimePoint opened_;
  TimePoint last_seen_;
  TimePoint timer_at_ = TimePoint::max();
  TimePoint close_deadline_;
  std::optional<TimePoint> ping_sent_;  // our ping awaits its pong
  std::uint32_t ping_seq_ = 0;         // the payload of our latest ping
  TimePoint write_started_;
  std::optional<TimePoint> message_started_;
  TimePoint control_window_;
  std::uint32_t control_count_ = 0;
  std::uint64_t frames_in_ = 0;
  std::uint64_t peer_taken_ = 0;  // the peer's frames written to this socket (by index)
  std::uint64_t bytes_in_ = 0;
};

extern template class WsSession<PlainStream>;
extern template class WsSession<TlsStream>;

}  // namespace qrlogin::relay
