#pragma once
// TLS over a TCP socket with no buffers of its own per connection.
//
// The handshake: OpenSSL reads and writes the non-blocking socket itself (a
// socket BIO on its descriptor), and when it would block the operation
// waits for the socket to become readable or writable, then tries again.
//
// After a TLS 1.3 handshake the relay protects the records itself
// (tls13_record.hpp) with the traffic secrets OpenSSL derived
// (tls13_secrets.hpp), and frees OpenSSL's connection: an idle wss
// connection then holds about 300 bytes of keys where OpenSSL's state is
// about 15 KB. Reads go through a per-thread buffer; bytes are kept per
// connection only while a record is incomplete or the reader's buffer is
// full, and sealed bytes only while the socket does not take them. A TLS 1.2
// connection (or one where OpenSSL had read past its Finished) stays with
// OpenSSL for its whole life, with SSL_MODE_RELEASE_BUFFERS.
//
// An Asio AsyncReadStream and AsyncWriteStream, usable under Beast's HTTP
// and WebSocket streams (async_teardown below). One read and one write may
// be in flight together, as Beast runs them; every call happens in a
// handler on the socket's executor (one thread, or the session's strand),
// so calls on one connection never overlap. A KeyUpdate that asks for ours
// is answered before our next record.
//
// Errors: the peer's close_notify ends a read with net::error::eof; a TCP
// close without it with net::ssl::error::stream_truncated; a TLS failure
// with OpenSSL's reason (net::error::get_ssl_category()) during the
// handshake and a tls13::Error after it (no key material in either).
#include <array>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/buffer.hpp>
#include <boost/asio/compose.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/post.hpp>
#include <boost/beast/core/role.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <type_traits>
#include <utility>

struct ssl_ctx_st;

namespace qrlogin::relay {

namespace lean_tls {

// What one non-blocking OpenSSL call did: `bytes` moved, or it must wait
// for the socket (`want`), or it failed for good (`ec`).
enum class Want : std::uint8_t { nothing, read, write };
struct Step {
  std::size_t bytes = 0;
  Want want = Want::nothing;
  boost::system::error_code ec;
};

// At most this many buffers of a write are looked at (Beast writes a
// header and a payload, HTTP a handful); the rest go in the next write.
inline constexpr std::size_t kMaxGather = 16;

// One connection's TLS state: OpenSSL's during the handshake (and for TLS
// 1.2), the relay's own records after a TLS 1.3 handshake.
struct Connection;
struct ConnectionFree {
  void operator()(Connection* connection) const noexcept;
};

Step handshake(Connection* c);
Step read(Connection* c, void* data, std::size_t size);
// Writes from `count` buffers, small ones together in one TLS record, so a
// WebSocket frame's header and payload do not become two records.
Step write(Connection* c, const boost::asio::const_buffer* buffers, std::size_t count);
// Sends our close_notify; does not wait for the peer's.
Step shutdown(Connection* c);
// Whether the relay protects this connection's records itself (after a
// TLS 1.3 handshake), for the tests and the metrics.
bool own_records(const Connection* c);

// Runs `step` until it no longer waits for the socket; completes with its
// error (and byte count, kBytes), never from inside the initiating call.
template <class StepFn, bool kBytes>
class Op {
 public:
  Op(boost::asio::ip::tcp::socket& socket, StepFn step) : socket_(socket), step_(std::move(step)) {}

  template <class Self>
  void operator()(Self& self, boost::system::error_code ec = {}) {
    if (state_ == State::posted) return finish(self, result_.ec, result_.bytes);
    if (state_ == State::waiting && ec) return finish(self, ec, 0);
    Step r = step_();
    if (r.want != Want::nothing) {
      state_ = State::waiting;
      socket_.async_wait(r.want == Want::read ? boost::asio::socket_base::wait_read
                                              : boost::asio::socket_base::wait_write,
                         std::move(self));
      return;
    }
    if (state_ == State::starting) {
      state_ = State::posted;
      result_ = r;
      auto executor = socket_.get_executor();
      boost::asio::post(executor, std::move(self));
      return;
    }
    finish(self, r.ec, r.bytes);
  }

 private:
  template <class Self>
  static void finish(Self& self, boost::system::error_code ec, std::size_t bytes) {
    if constexpr (kBytes) {
      self.complete(ec, bytes);
    } else {
      (void)bytes;
      self.complete(ec);
    }
  }

  enum class State : std::uint8_t { starting, waiting, posted };
  boost::asio::ip::tcp::socket& socket_;
  StepFn step_;
  State state_ = State::starting;
  Step result_;
};

}  // namespace lean_tls

class LeanTlsStream {
 public:
  using next_layer_type = boost::asio::ip::tcp::socket;
  using executor_type = next_layer_type::executor_type;

  // A server-side connection on `socket` with its own reference to `ctx`
  // (a later reload does not affect it). No stream in the result when
  // OpenSSL could not allocate the connection's state.
  struct Made;
  static Made accept(next_layer_type socket, ssl_ctx_st* ctx);

  LeanTlsStream(LeanTlsStream&&) noexcept = default;
  LeanTlsStream& operator=(LeanTlsStream&&) noexcept = default;
  ~LeanTlsStream() = default;

  executor_type get_executor() noexcept { return socket_.get_executor(); }
  next_layer_type& next_layer() noexcept { return socket_; }
  const next_layer_type& next_layer() const noexcept { return socket_; }
  [[nodiscard]] bool own_records() const noexcept { return lean_tls::own_records(connection_.get()); }

  template <class Handler>
  auto async_handshake(Handler&& handler) {
    return start<false>([c = connection_.get()] { return lean_tls::handshake(c); }, std::forward<Handler>(handler));
  }

  // Reads into the first non-empty buffer (read_some: what the records
  // that have arrived hold, up to its size).
  template <class MutableBufferSequence, class Handler>
  auto async_read_some(const MutableBufferSequence& buffers, Handler&& handler) {
    boost::asio::mutable_buffer target;
    auto last = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != last; ++it) {
      target = boost::asio::mutable_buffer(*it);
      if (target.size() != 0) break;
    }
    return start<true>([c = connection_.get(), target] { return lean_tls::read(c, target.data(), target.size()); },
                       std::forward<Handler>(handler));
  }

  template <class ConstBufferSequence, class Handler>
  auto async_write_some(const ConstBufferSequence& buffers, Handler&& handler) {
    std::array<boost::asio::const_buffer, lean_tls::kMaxGather> gathered{};
    std::size_t count = 0;
    auto last = boost::asio::buffer_sequence_end(buffers);
    for (auto it = boost::asio::buffer_sequence_begin(buffers); it != last && count < gathered.size(); ++it) {
      boost::asio::const_buffer b(*it);
      if (b.size() != 0) gathered[count++] = b;
    }
    return start<true>([c = connection_.get(), gathered, count] { return lean_tls::write(c, gathered.data(), count); },
                       std::forward<Handler>(handler));
  }

  template <class Handler>
  auto async_shutdown(Handler&& handler) {
    return start<false>([c = connection_.get()] { return lean_tls::shutdown(c); }, std::forward<Handler>(handler));
  }

 private:
  LeanTlsStream(next_layer_type socket, std::unique_ptr<lean_tls::Connection, lean_tls::ConnectionFree> connection)
      : socket_(std::move(socket)), connection_(std::move(connection)) {}

  template <bool kBytes, class StepFn, class Handler>
  auto start(StepFn step, Handler&& handler) {
    using Signature = std::conditional_t<kBytes, void(boost::system::error_code, std::size_t),
                                         void(boost::system::error_code)>;
    return boost::asio::async_compose<Handler, Signature>(lean_tls::Op<StepFn, kBytes>(socket_, std::move(step)),
                                                          handler, socket_);
  }

  next_layer_type socket_;
  std::unique_ptr<lean_tls::Connection, lean_tls::ConnectionFree> connection_;
};

struct LeanTlsStream::Made {
  std::optional<LeanTlsStream> stream;
  boost::system::error_code error;  // why there is no stream
};

namespace lean_tls {
template <class Stream>
class TeardownOp {
 public:
  TeardownOp(boost::beast::role_type role, Stream& stream) : role_(role), stream_(stream) {}

  template <class Self>
  void operator()(Self& self, boost::system::error_code ec = {}) {
    switch (stage_) {
      case Stage::shutdown:
        stage_ = Stage::tcp;
        stream_.async_shutdown(std::move(self));
        return;
      case Stage::tcp: {
        stage_ = Stage::done;
        shutdown_ec_ = ec;
        using boost::beast::websocket::async_teardown;
        async_teardown(role_, stream_.next_layer(), std::move(self));
        return;
      }
      case Stage::done:
        self.complete(shutdown_ec_ ? shutdown_ec_ : ec);
        return;
    }
  }

 private:
  enum class Stage : std::uint8_t { shutdown, tcp, done };
  boost::beast::role_type role_;
  Stream& stream_;
  Stage stage_ = Stage::shutdown;
  boost::system::error_code shutdown_ec_;
};
}  // namespace lean_tls

// Beast's WebSocket close: our close_notify (not waiting for the peer's:
// RFC 8446 6.1 allows it, and the TCP teardown reads to EOF anyway), then
// the teardown a plain socket gets (shut down sending, read to EOF, close).
template <class Handler>
void async_teardown(boost::beast::role_type role, LeanTlsStream& stream, Handler&& handler) {
  boost::asio::async_compose<Handler, void(boost::system::error_code)>(
      lean_tls::TeardownOp<LeanTlsStream>(role, stream), handler, stream.next_layer());
}

}  // namespace qrlogin::relay
