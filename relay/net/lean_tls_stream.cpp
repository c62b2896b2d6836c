#include "relay/net/lean_tls_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <climits>

namespace qrlogin::relay {

namespace net = boost::asio;
using boost::system::error_code;

namespace lean_tls {

namespace {

// The largest plaintext of one TLS record (RFC 8446 5.1).
constexpr std::size_t kRecordBytes = 16384;

// Turns a failed OpenSSL call into a wait or a final error, and leaves the
// thread's OpenSSL error queue empty for the next connection's call.
Step failed(SSL* ssl, int ret) {
  int saved_errno = errno;
  Step out;
  switch (SSL_get_error(ssl, ret)) {
    case SSL_ERROR_WANT_READ:
      out.want = Want::read;
      break;
    case SSL_ERROR_WANT_WRITE:
      out.want = Want::write;
      break;
    case SSL_ERROR_ZERO_RETURN:  // the peer's close_notify
      out.ec = net::error::eof;
      break;
    case SSL_ERROR_SYSCALL:
      if (ERR_peek_error() != 0) {
        out.ec = error_code(static_cast<int>(ERR_get_error()), net::error::get_ssl_category());
      } else if (saved_errno != 0 && saved_errno != EAGAIN && saved_errno != EWOULDBLOCK) {
        out.ec = error_code(saved_errno, boost::system::system_category());
      } else {
        out.ec = net::ssl::error::stream_truncated;  // TCP closed without close_notify
      }
      break;
    case SSL_ERROR_SSL: {
      auto code = ERR_peek_last_error();
      if (ERR_GET_LIB(code) == ERR_LIB_SSL && ERR_GET_REASON(code) == SSL_R_UNEXPECTED_EOF_WHILE_READING) {
        out.ec = net::ssl::error::stream_truncated;
      } else {
        // Asio's ssl category names OpenSSL's reason ("wrong version number").
        out.ec = error_code(static_cast<int>(code), net::error::get_ssl_category());
      }
      break;
    }
    default:
      out.ec = net::error::fault;
      break;
  }
  ERR_clear_error();
  return out;
}

int clamp_int(std::size_t size) { return static_cast<int>(std::min<std::size_t>(size, INT_MAX)); }

}  // namespace

void SslFree::operator()(ssl_st* ssl) const noexcept { SSL_free(ssl); }

Step handshake(ssl_st* ssl) {
  ERR_clear_error();
  int ret = SSL_do_handshake(ssl);
  if (ret == 1) return {};
  return failed(ssl, ret);
}

Step read(ssl_st* ssl, void* data, std::size_t size) {
  if (size == 0) return {};
  ERR_clear_error();
  std::size_t n = 0;
  int ret = SSL_read_ex(ssl, data, size, &n);
  if (ret == 1) return {n, Want::nothing, {}};
  return failed(ssl, ret);
}

Step write(ssl_st* ssl, const net::const_buffer* buffers, std::size_t count) {
  if (count == 0) return {};
  const void* data = buffers[0].data();
  std::size_t size = buffers[0].size();
  if (count > 1 && size < kRecordBytes) {
    // Several small pieces (a frame header and its payload): one record
    // from a per-thread scratch copy. A retry after WANT_WRITE copies the
    // same bytes again (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows the new
    // address; the length is the same because the buffers are).
    thread_local std::array<unsigned char, kRecordBytes> scratch;
    std::size_t filled = 0;
    for (std::size_t i = 0; i < count && filled < scratch.size(); ++i) {
      auto take = std::min(buffers[i].size(), scratch.size() - filled);
      std::copy_n(static_cast<const unsigned char*>(buffers[i].data()), take, scratch.data() + filled);
      filled += take;
    }
    data = scratch.data();
    size = filled;
  }
  ERR_clear_error();
  int ret = SSL_write(ssl, data, clamp_int(size));
  if (ret > 0) return {static_cast<std::size_t>(ret), Want::nothing, {}};
  return failed(ssl, ret);
}

Step shutdown(ssl_st* ssl) {
  ERR_clear_error();
  int ret = SSL_shutdown(ssl);
  if (ret >= 0) return {};  // 0: ours is sent; 1: both sides have sent theirs
  return failed(ssl, ret);
}

}  // namespace lean_tls

LeanTlsStream::Made LeanTlsStream::accept(next_layer_type socket, ssl_ctx_st* ctx) {
  Made out;
  error_code ec;
  socket.non_blocking(true, ec);
  if (ec) {
    out.error = ec;
    return out;
  }
  ERR_clear_error();
  // SSL_new takes its own reference to the context: a reload that replaces
  // it leaves this connection's valid.
  std::unique_ptr<ssl_st, lean_tls::SslFree> ssl(SSL_new(ctx));
  if (!ssl || SSL_set_fd(ssl.get(), socket.native_handle()) != 1) {
    out.error = net::error::no_memory;
    ERR_clear_error();
    return out;
  }
  SSL_set_accept_state(ssl.get());
  // Partial writes: a write returns after each record, like write_some.
  // Moving buffer: a retried write may come from another scratch address.
  // Release buffers: OpenSSL frees its read and write buffers whenever they
  // are empty, so an idle connection holds none.
  SSL_set_mode(ssl.get(), SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  out.stream.emplace(LeanTlsStream(std::move(socket), std::move(ssl)));
  return out;
}

}  // namespace qrlogin::relay
