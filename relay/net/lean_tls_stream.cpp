#include "relay/net/lean_tls_stream.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <sys/socket.h>

#include <algorithm>
#include <boost/asio/error.hpp>
#include <boost/asio/ssl/error.hpp>
#include <cerrno>
#include <climits>
#include <cstring>
#include <span>
#include <vector>

#include "relay/net/tls13_record.hpp"
#include "relay/net/tls13_secrets.hpp"

namespace qrlogin::relay {

namespace net = boost::asio;
using boost::system::error_code;

namespace lean_tls {

struct SslFree {
  void operator()(SSL* ssl) const noexcept { SSL_free(ssl); }
};

// The relay's own side of a TLS 1.3 connection after the handshake. The
// three byte vectors are empty (no capacity) while the connection idles.
struct Records {
  tls13::TrafficKeys read;
  tls13::TrafficKeys write;
  std::vector<std::uint8_t> in;     // received bytes not yet opened
  std::vector<std::uint8_t> plain;  // opened application data not yet read
  std::size_t plain_at = 0;
  std::vector<std::uint8_t> out;  // sealed bytes the socket has not taken
  std::size_t out_at = 0;
  std::size_t out_plain = 0;  // the application bytes those records carry
  enum class Sender : std::uint8_t { none, write, shutdown } out_sender = Sender::none;
  error_code read_end;  // once set, every later read ends with it
  std::uint8_t records_without_data = 0;  // KeyUpdates, warnings, empty records in a row
  bool key_update_owed = false;
  bool close_notify_sent = false;
};

struct Connection {
  int fd = -1;
  std::unique_ptr<SSL, SslFree> ssl;  // until a TLS 1.3 handshake is done
  std::unique_ptr<tls13::TrafficSecrets> secrets;  // during the handshake only
  std::unique_ptr<Records> records;                // after it
};

void ConnectionFree::operator()(Connection* connection) const noexcept {
  if (connection != nullptr && connection->ssl) (void)tls13::attach(connection->ssl.get(), nullptr);
  delete connection;
}

bool own_records(const Connection* c) { return c != nullptr && c->records != nullptr; }

namespace {

// A read takes in up to this much at once (several records of a burst).
constexpr std::size_t kReadScratch = 64 * 1024;
// Records that carry no application byte (KeyUpdates, warning alerts,
// empty application records) cost an AEAD open, and a KeyUpdate a key
// derivation, each; more than this many in a row end the connection, as
// BoringSSL does, so a peer cannot keep the relay busy on nothing.
constexpr std::uint8_t kMaxRecordsWithoutData = 32;
// A write seals at most this many full records before sending.
constexpr std::size_t kWriteRecords = 4;

std::uint8_t* read_scratch() {
  thread_local std::unique_ptr<std::uint8_t[]> buffer(new std::uint8_t[kReadScratch]);
  return buffer.get();
}

std::uint8_t* write_scratch() {
  thread_local std::unique_ptr<std::uint8_t[]> buffer(new std::uint8_t[kWriteRecords * tls13::kMaxRecord]);
  return buffer.get();
}

void release(std::vector<std::uint8_t>& bytes) { std::vector<std::uint8_t>().swap(bytes); }

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

// After a finished handshake: the relay's own records when the connection
// is TLS 1.3 with a suite tls13_record knows, both secrets arrived, and
// OpenSSL holds no byte beyond the handshake (it reads exactly one record
// at a time, so it never does; the check keeps that an assumption no
// more). Otherwise OpenSSL keeps the connection.
void take_over_records(Connection& c) {
  SSL* ssl = c.ssl.get();
  (void)tls13::attach(ssl, nullptr);
  auto secrets = std::move(c.secrets);
  if (!secrets || SSL_version(ssl) != TLS1_3_VERSION || SSL_has_pending(ssl) != 0 || SSL_get_num_tickets(ssl) != 0)
    return;
  const SSL_CIPHER* cipher = SSL_get_current_cipher(ssl);
  auto suite = cipher != nullptr ? tls13::suite_of(SSL_CIPHER_get_protocol_id(cipher)) : std::nullopt;
  if (!suite) return;
  auto size = tls13::secret_bytes(*suite);
  if (secrets->client_bytes != size || secrets->server_bytes != size) return;
  auto records = std::make_unique<Records>();
  if (!records->read.set(*suite, std::span(secrets->client, size)) ||
      !records->write.set(*suite, std::span(secrets->server, size)))
    return;
  c.records = std::move(records);
  c.ssl.reset();
}

// ---- reading records ----

// A KeyUpdate (RFC 8446 4.6.3) is the only handshake message a client may
// send after the handshake here (no tickets, no post-handshake auth). It
// ends its record, so one record holds exactly one.
error_code on_handshake_message(Records& r, std::span<const std::uint8_t> message) {
  constexpr std::uint8_t kKeyUpdate = 24;
  if (message.empty() || message[0] != kKeyUpdate) return tls13::Error::unexpected_message;
  if (message.size() != 5 || message[1] != 0 || message[2] != 0 || message[3] != 1 || message[4] > 1)
    return tls13::Error::decode_error;
  if (!r.read.update()) return tls13::Error::crypto_failure;
  if (message[4] == 1) r.key_update_owed = true;  // update_requested
  return {};
}

// close_notify ends the stream as EOF; user_canceled is a warning (a
// close_notify follows); every other alert is fatal (RFC 8446 6).
error_code on_alert(std::span<const std::uint8_t> alert, bool& ignore) {
  ignore = false;
  if (alert.size() != 2) return tls13::Error::decode_error;
  if (alert[1] == 0) return net::error::eof;
  if (alert[1] == 90) {
    ignore = true;
    return {};
  }
  return tls13::Error::fatal_alert;
}

Step read_records(Connection& c, std::uint8_t* out, std::size_t size) {
  Records& r = *c.records;
  if (r.plain_at < r.plain.size()) {
    auto n = std::min(size, r.plain.size() - r.plain_at);
    std::memcpy(out, r.plain.data() + r.plain_at, n);
    r.plain_at += n;
    if (r.plain_at == r.plain.size()) {
      release(r.plain);
      r.plain_at = 0;
    }
    return {n, Want::nothing, {}};
  }
  if (r.read_end) return {0, Want::nothing, r.read_end};

  std::uint8_t* buf = read_scratch();
  std::size_t have = r.in.size();
  if (have != 0) std::memcpy(buf, r.in.data(), have);
  release(r.in);
  std::size_t pos = 0;
  std::size_t delivered = 0;
  for (;;) {
    // Open every whole record there is, until the reader's buffer is full.
    while (!r.read_end && delivered < size) {
      auto framing = tls13::frame(std::span<const std::uint8_t>(buf + pos, have - pos));
      if (framing.error) {
        r.read_end = framing.error;
        break;
      }
      if (framing.record_bytes == 0 || have - pos < framing.record_bytes) break;
      auto opened = tls13::open(r.read, std::span(buf + pos, framing.record_bytes));
      pos += framing.record_bytes;
      if (opened.error) {
        r.read_end = opened.error;
        break;
      }
      auto plaintext = opened.plaintext;
      bool carried_data = opened.type == tls13::kApplicationData && !plaintext.empty();
      if (carried_data) r.records_without_data = 0;
      switch (opened.type) {
        case tls13::kApplicationData: {
          auto n = std::min(plaintext.size(), size - delivered);
          std::memcpy(out + delivered, plaintext.data(), n);
          delivered += n;
          if (n < plaintext.size()) {  // the reader's buffer is full: keep the rest
            r.plain.assign(plaintext.begin() + static_cast<std::ptrdiff_t>(n), plaintext.end());
            r.plain_at = 0;
          }
          break;
        }
        case tls13::kHandshake:
          r.read_end = on_handshake_message(r, plaintext);
          break;
        case tls13::kAlert: {
          bool ignore = false;
          auto ec = on_alert(plaintext, ignore);
          if (!ignore) r.read_end = ec;
          break;
        }
        default:
          r.read_end = tls13::Error::unexpected_message;
          break;
      }
      if (!r.read_end && !carried_data && ++r.records_without_data > kMaxRecordsWithoutData)
        r.read_end = tls13::Error::unexpected_message;
    }
    if (r.read_end || delivered > 0) break;

    // Nothing for the reader yet: take in more.
    std::memmove(buf, buf + pos, have - pos);
    have -= pos;
    pos = 0;
    ssize_t got = ::recv(c.fd, buf + have, kReadScratch - have, 0);
    if (got > 0) {
      have += static_cast<std::size_t>(got);
      continue;
    }
    if (got == 0) {
      r.read_end = net::ssl::error::stream_truncated;  // TCP closed without close_notify
      break;
    }
    if (errno == EINTR) continue;
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (have != 0) r.in.assign(buf, buf + have);
      return {0, Want::read, {}};
    }
    r.read_end = error_code(errno, boost::system::system_category());
    break;
  }
  if (!r.read_end && pos < have) r.in.assign(buf + pos, buf + have);
  if (delivered > 0) return {delivered, Want::nothing, {}};
  return {0, Want::nothing, r.read_end};
}

// ---- writing records ----

// Sends what the socket takes now: the byte count, or the error.
std::size_t send_some(int fd, const std::uint8_t* data, std::size_t size, error_code& ec) {
  for (;;) {
    ssize_t sent = ::send(fd, data, size, MSG_NOSIGNAL);
    if (sent >= 0) return static_cast<std::size_t>(sent);
    if (errno == EINTR) continue;
    if (errno != EAGAIN && errno != EWOULDBLOCK) ec = error_code(errno, boost::system::system_category());
    return 0;
  }
}

// Sends `size` sealed bytes for `sender`; what the socket does not take now
// is kept and sent by the sender's next steps (continue_sealed), and only
// then does the operation report its `plain` bytes.
Step send_sealed(Connection& c, const std::uint8_t* data, std::size_t size, Records::Sender sender, std::size_t plain) {
  Records& r = *c.records;
  error_code ec;
  auto sent = send_some(c.fd, data, size, ec);
  if (ec) return {0, Want::nothing, ec};
  if (sent == size) return {plain, Want::nothing, {}};
  r.out.assign(data + sent, data + size);
  r.out_at = 0;
  r.out_plain = plain;
  r.out_sender = sender;
  return {0, Want::write, {}};
}

Step continue_sealed(Connection& c) {
  Records& r = *c.records;
  error_code ec;
  r.out_at += send_some(c.fd, r.out.data() + r.out_at, r.out.size() - r.out_at, ec);
  if (ec) return {0, Want::nothing, ec};
  if (r.out_at < r.out.size()) return {0, Want::write, {}};
  auto plain = r.out_plain;
  release(r.out);
  r.out_at = 0;
  r.out_plain = 0;
  r.out_sender = Records::Sender::none;
  return {plain, Want::nothing, {}};
}

Step write_records(Connection& c, const net::const_buffer* buffers, std::size_t count) {
  Records& r = *c.records;
  if (r.out_sender == Records::Sender::write) return continue_sealed(c);
  if (r.out_sender != Records::Sender::none) return {0, Want::nothing, net::error::in_progress};
  if (r.close_notify_sent) return {0, Want::nothing, net::error::shut_down};

  std::uint8_t* buf = write_scratch();
  std::size_t len = 0;
  if (r.key_update_owed) {
    // Ours, not asking back (update_not_requested), under the old key; the
    // records after it under the new one.
    const std::uint8_t key_update[] = {24, 0, 0, 1, 0};
    net::const_buffer piece(key_update, sizeof key_update);
    if (auto ec = tls13::seal(r.write, tls13::kHandshake, std::span(&piece, 1), sizeof key_update, buf)) return {0, Want::nothing, ec};
    if (!r.write.update()) return {0, Want::nothing, tls13::Error::crypto_failure};
    len += tls13::sealed_bytes(sizeof key_update);
    r.key_update_owed = false;
  }

  // Records of up to 16 KiB, each from as many buffers as fill it.
  std::size_t plain = 0;
  std::size_t index = 0;
  std::size_t offset = 0;  // into buffers[index]
  for (std::size_t record = 0; record < kWriteRecords && index < count; ++record) {
    std::array<net::const_buffer, kMaxGather> pieces{};
    std::size_t pieces_count = 0;
    std::size_t take = 0;
    while (index < count && take < tls13::kMaxPlaintext) {
      auto rest = buffers[index].size() - offset;
      auto n = std::min(rest, tls13::kMaxPlaintext - take);
      pieces[pieces_count++] = net::const_buffer(static_cast<const std::uint8_t*>(buffers[index].data()) + offset, n);
      take += n;
      offset += n;
      if (offset == buffers[index].size()) {
        ++index;
        offset = 0;
      }
    }
    if (take == 0) break;
    if (auto ec = tls13::seal(r.write, tls13::kApplicationData, std::span(pieces.data(), pieces_count), take, buf + len))
      return {0, Want::nothing, ec};
    len += tls13::sealed_bytes(take);
    plain += take;
  }
  if (len == 0) return {};
  return send_sealed(c, buf, len, Records::Sender::write, plain);
}

Step shutdown_records(Connection& c) {
  Records& r = *c.records;
  if (r.out_sender == Records::Sender::shutdown) return continue_sealed(c);
  if (r.out_sender != Records::Sender::none) return {0, Want::nothing, net::error::in_progress};
  if (r.close_notify_sent) return {};
  const std::uint8_t close_notify[] = {1, 0};  // warning, close_notify
  net::const_buffer piece(close_notify, sizeof close_notify);
  std::uint8_t sealed[tls13::sealed_bytes(sizeof close_notify)];
  if (auto ec = tls13::seal(r.write, tls13::kAlert, std::span(&piece, 1), sizeof close_notify, sealed))
    return {0, Want::nothing, ec};
  r.close_notify_sent = true;
  return send_sealed(c, sealed, sizeof sealed, Records::Sender::shutdown, 0);
}

}  // namespace

Step handshake(Connection* c) {
  if (c->records) return {};
  ERR_clear_error();
  int ret = SSL_do_handshake(c->ssl.get());
  if (ret == 1) {
    take_over_records(*c);
    return {};
  }
  return failed(c->ssl.get(), ret);
}

Step read(Connection* c, void* data, std::size_t size) {
  if (size == 0) return {};
  if (c->records) return read_records(*c, static_cast<std::uint8_t*>(data), size);
  ERR_clear_error();
  std::size_t n = 0;
  int ret = SSL_read_ex(c->ssl.get(), data, size, &n);
  if (ret == 1) return {n, Want::nothing, {}};
  return failed(c->ssl.get(), ret);
}

Step write(Connection* c, const net::const_buffer* buffers, std::size_t count) {
  if (count == 0) return {};
  if (c->records) return write_records(*c, buffers, count);
  SSL* ssl = c->ssl.get();
  const void* data = buffers[0].data();
  std::size_t size = buffers[0].size();
  if (count > 1 && size < tls13::kMaxPlaintext) {
    // Several small pieces (a frame header and its payload): one record
    // from a per-thread scratch copy. A retry after WANT_WRITE copies the
    // same bytes again (SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER allows the new
    // address; the length is the same because the buffers are).
    thread_local std::array<unsigned char, tls13::kMaxPlaintext> scratch;
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

Step shutdown(Connection* c) {
  if (c->records) return shutdown_records(*c);
  ERR_clear_error();
  int ret = SSL_shutdown(c->ssl.get());
  if (ret >= 0) return {};  // 0: ours is sent; 1: both sides have sent theirs
  return failed(c->ssl.get(), ret);
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
  std::unique_ptr<lean_tls::Connection, lean_tls::ConnectionFree> c(new (std::nothrow) lean_tls::Connection);
  if (c) {
    c->fd = socket.native_handle();
    // SSL_new takes its own reference to the context: a reload that
    // replaces it leaves this connection's valid.
    c->ssl.reset(SSL_new(ctx));
    c->secrets.reset(new (std::nothrow) tls13::TrafficSecrets);
  }
  if (!c || !c->ssl || !c->secrets || SSL_set_fd(c->ssl.get(), c->fd) != 1 ||
      !tls13::attach(c->ssl.get(), c->secrets.get())) {
    out.error = net::error::no_memory;
    ERR_clear_error();
    return out;
  }
  SSL_set_accept_state(c->ssl.get());
  // Partial writes: a write returns after each record, like write_some.
  // Moving buffer: a retried write may come from another scratch address.
  // Release buffers: OpenSSL frees its read and write buffers whenever they
  // are empty, so an idle connection holds none.
  SSL_set_mode(c->ssl.get(),
               SSL_MODE_ENABLE_PARTIAL_WRITE | SSL_MODE_ACCEPT_MOVING_WRITE_BUFFER | SSL_MODE_RELEASE_BUFFERS);
  out.stream.emplace(LeanTlsStream(std::move(socket), std::move(c)));
  return out;
}

}  // namespace qrlogin::relay
