#pragma once
// The stream under the relay's WebSocket. Reads pass straight through to
// the next layer (TCP, or LeanTlsStream). Writes come from two writers:
// Beast (the handshake's response, pings, pongs, close frames) and the
// session, which encodes its queued messages itself and writes several of
// them as one gathered write (async_write_batch), where Beast would make a
// system call per message.
//
// The two writers never overlap on the socket: a write started while the
// other writer's is on the socket is held, and starts when that one
// completes. Each writer has at most one write at a time (Beast's write
// lock; the session's writing_), so at most one write is ever held.
//
// Every write is written whole before it completes, Beast's too: Beast's
// write_some is answered with all of its bytes (allowed by write_some's
// contract). Beast writes each control frame and its handshake response with
// one write_some (they are far below Asio's 64 KiB step), so a batch never
// lands inside one of Beast's frames. The session must not start a batch
// once Beast is closing (ws.is_open() false): nothing may follow a close frame.
#include <boost/asio/associated_allocator.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <memory>
#include <utility>
#include <vector>

namespace qrlogin::relay {

template <class Next>
class BatchWriteStream {
 public:
  using next_layer_type = Next;
  using executor_type = typename Next::executor_type;
  using WriteSignature = void(boost::system::error_code, std::size_t);

  explicit BatchWriteStream(Next next) : next_(std::move(next)) {}
  BatchWriteStream(BatchWriteStream&&) noexcept = default;
  BatchWriteStream& operator=(BatchWriteStream&&) noexcept = default;
  ~BatchWriteStream() = default;

  executor_type get_executor() noexcept { return next_.get_executor(); }
  Next& next_layer() noexcept { return next_; }
  const Next& next_layer() const noexcept { return next_; }

  template <class MutableBufferSequence, class Handler>
  auto async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
    return next_.async_read_some(buffers, std::forward<Handler>(handler));
  }

  // Beast's writes: completes when all of `buffers` is written.
  template <class ConstBufferSequence, class Handler>
  auto async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
    return write(buffers, std::forward<Handler>(handler));
  }

  // The session's batch of encoded frames: all of `buffers`, or an error.
  // `buffers` must stay valid until the handler runs.
  template <class ConstBufferSequence, class Handler>
  auto async_write_batch(const ConstBufferSequence& buffers, Handler&& handler) {
    return write(buffers, std::forward<Handler>(handler));
  }

 private:
  // A write that waits for the other writer's: its buffers (the writer
  // keeps the bytes alive until its handler runs) and its handler, behind
  // a virtual call (Boost 1.81's any_completion_handler, tried first,
  // overflowed the stack around Beast's write handler).
  struct Held {
    virtual ~Held() = default;
    // Frees this held write (`self`), then runs its handler.
    virtual void complete(std::unique_ptr<Held> self, boost::system::error_code ec, std::size_t bytes) = 0;
    std::vector<boost::asio::const_buffer> buffers;
  };
  template <class Handler>
  struct HeldWrite final : Held {
    explicit HeldWrite(Handler h) : handler(std::move(h)) {}
    void complete(std::unique_ptr<Held> self, boost::system::error_code ec, std::size_t bytes) override {
      Handler h = std::move(handler);
      self.reset();  // *this is gone from here on
      std::move(h)(ec, bytes);
    }
    Handler handler;
  };

  // Wraps a writer's handler: the stream is free again (and a held write
  // starts) before the handler runs, because the handler may end the
  // session that owns this stream. Keeps the handler's executor and
  // allocator, so a strand's handler still runs on its strand.
  template <class Handler>
  class Done {
   public:
    using executor_type = boost::asio::associated_executor_t<Handler, typename Next::executor_type>;
    using allocator_type = boost::asio::associated_allocator_t<Handler>;

    Done(BatchWriteStream& stream, Handler handler)
        : stream_(&stream),
          executor_(boost::asio::get_associated_executor(handler, stream.next_.get_executor())),
          handler_(std::move(handler)) {}

    executor_type get_executor() const noexcept { return executor_; }
    allocator_type get_allocator() const noexcept { return boost::asio::get_associated_allocator(handler_); }

    void operator()(boost::system::error_code ec, std::size_t bytes) {
      stream_->busy_ = false;
      stream_->start_held();
      std::move(handler_)(ec, bytes);
    }

   private:
    BatchWriteStream* stream_;
    executor_type executor_;
    Handler handler_;
  };

  template <class ConstBufferSequence, class Handler>
  auto write(const ConstBufferSequence& buffers, Handler&& handler) {
    return boost::asio::async_initiate<Handler, WriteSignature>(
        [this](auto completion, const ConstBufferSequence& bufs) {
          if (!busy_) {
            start(bufs, std::move(completion));
            return;
          }
          auto held = std::make_unique<HeldWrite<decltype(completion)>>(std::move(completion));
          held->buffers.assign(boost::asio::buffer_sequence_begin(bufs), boost::asio::buffer_sequence_end(bufs));
          held_ = std::move(held);
        },
        handler, buffers);
  }

  template <class ConstBufferSequence, class Handler>
  void start(const ConstBufferSequence& buffers, Handler handler) {
    busy_ = true;
    boost::asio::async_write(next_, buffers, Done<Handler>(*this, std::move(handler)));
  }

  void start_held() {
    if (!held_) return;
    // The held buffers move into the operation's frame with its handler,
    // so they outlive held_.
    auto held = std::move(held_);
    busy_ = true;
    auto& buffers = held->buffers;
    boost::asio::async_write(next_, buffers,
                             Done<HeldCompletion>(*this, HeldCompletion{std::move(held)}));
  }

  // A held write's handler, owning the held buffers until it runs. It runs
  // on the socket's executor (the session's strand when there is one),
  // where the writer started it.
  struct HeldCompletion {
    std::unique_ptr<Held> held;
    void operator()(boost::system::error_code ec, std::size_t bytes) {
      auto* write = held.get();
      write->complete(std::move(held), ec, bytes);
    }
  };

  Next next_;
  bool busy_ = false;           // a write (either writer's) is on the socket
  std::unique_ptr<Held> held_;  // the other writer's, waiting for it
};

// Beast's close ends with the next layer's own teardown (TCP: shut down
// sending and read to the end; TLS: close_notify first). By then both
// writers are done: Beast tears down after its close frame is written, and
// the session starts no batch once Beast is closing.
template <class Next, class Handler>
void async_teardown(boost::beast::role_type role, BatchWriteStream<Next>& stream, Handler&& handler) {
  using boost::beast::websocket::async_teardown;
  async_teardown(role, stream.next_layer(), std::forward<Handler>(handler));
}

}  // namespace qrlogin::relay
