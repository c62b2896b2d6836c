// The relay's TLS stream (relay/net/lean_tls_stream.hpp) in one process: a
// real OpenSSL client on a thread of its own, the stream on an io_context.
// Each round sends bytes both ways in pieces of random sizes (so records
// split across reads, several records arrive in one read, and a record's
// plaintext is larger than the reader's buffer), with TLS 1.3 KeyUpdates
// from the client in between, and checks every byte and the clean ending.
// Small socket buffers make the relay's writes go out in parts. TLS 1.3
// runs through the relay's own record layer, TLS 1.2 through OpenSSL: the
// same script must hold for both.
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <openssl/ssl.h>
#include <sys/socket.h>
#include <unistd.h>

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/write.hpp>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <vector>

#include "relay/net/lean_tls_stream.hpp"
#include "relay/net/tls13_record.hpp"
#include "relay/net/tls.hpp"
#include "tests/support/certs.hpp"
#include "tests/support/scratch_dir.hpp"

namespace net = boost::asio;
using qrlogin::relay::LeanTlsStream;
using Bytes = std::vector<std::uint8_t>;

namespace {

Bytes pattern(std::uint32_t seed, std::size_t n) {
  std::mt19937 rng(seed);
  Bytes out(n);
  for (auto& b : out) b = static_cast<std::uint8_t>(rng());
  return out;
}

std::size_t pick(std::mt19937& rng, std::size_t low, std::size_t high) {
  return low + static_cast<std::size_t>(rng()) % (high - low + 1);
}

struct Round {
  std::uint32_t seed;
  int version;
  std::size_t up;    // client to relay
  std::size_t down;  // relay to client
};

// A blocking loopback socket connected to `port` (reads and writes give up
// after 10 s), or -1. `receive_buffer`: SO_RCVBUF, when not 0.
int connect_loopback(std::uint16_t port, int receive_buffer = 0) {
  int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  timeval tv{10, 0};
  ::setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  ::setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  if (receive_buffer != 0) ::setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &receive_buffer, sizeof receive_buffer);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(port);
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0) return fd;
  ::close(fd);
  return -1;
}

// The relay's server context, with a certificate from scripts/make-cert.
qrlogin::relay::ServerContext server_context(const qrlogin::testing::ScratchDir& dir) {
  auto certs = qrlogin::testing::make_lan_cert(dir.path);
  auto made = qrlogin::relay::make_server_context(qrlogin::relay::TlsFiles{certs.cert, certs.key});
  REQUIRE(made.ok());
  return *made;
}

// The client: blocking OpenSSL on a loopback socket. Returns what went
// wrong, or an empty string.
std::string run_client(std::uint16_t port, const Round& round) {
  SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
  SSL_CTX_set_min_proto_version(ctx, round.version);
  SSL_CTX_set_max_proto_version(ctx, round.version);
  // A small receive buffer, with the relay's small send buffer: its writes
  // go out in parts.
  int fd = connect_loopback(port, 4096);
  SSL* ssl = SSL_new(ctx);
  std::string failure;
  std::mt19937 rng(round.seed * 7 + 1);
  if (fd < 0) {
    failure = "connect failed";
  } else if (SSL_set_fd(ssl, fd); SSL_connect(ssl) != 1) {
    failure = "handshake failed";
  }
  auto up = pattern(round.seed, round.up);
  for (std::size_t at = 0; failure.empty() && at < up.size();) {
    auto n = std::min(pick(rng, 1, 40000), up.size() - at);
    if (SSL_write(ssl, up.data() + at, static_cast<int>(n)) != static_cast<int>(n)) failure = "write failed";
    at += n;
    if (round.version == TLS1_3_VERSION && rng() % 4 == 0)
      (void)SSL_key_update(ssl, rng() % 2 == 0 ? SSL_KEY_UPDATE_REQUESTED : SSL_KEY_UPDATE_NOT_REQUESTED);
  }
  Bytes down(round.down);
  for (std::size_t at = 0; failure.empty() && at < down.size();) {
    int got = SSL_read(ssl, down.data() + at, static_cast<int>(std::min<std::size_t>(down.size() - at, 65536)));
    if (got <= 0) failure = "read failed after " + std::to_string(at) + " bytes";
    else at += static_cast<std::size_t>(got);
  }
  if (failure.empty() && down != pattern(round.seed + 1, round.down)) failure = "the relay's bytes differ";
  if (failure.empty()) {
    (void)SSL_shutdown(ssl);  // our close_notify
    char c = 0;
    // The relay's close_notify: SSL_read ends with a zero return.
    int r = SSL_read(ssl, &c, 1);
    if (r > 0 || SSL_get_error(ssl, r) != SSL_ERROR_ZERO_RETURN) failure = "no clean close from the relay";
  }
  SSL_free(ssl);
  SSL_CTX_free(ctx);
  if (fd >= 0) ::close(fd);
  return failure;
}

// The relay's side: handshake, read everything in random-size reads, write
// the answer in random gathered writes, read the client's close_notify as
// EOF, send ours.
struct Server {
  Server(LeanTlsStream s, const Round& r) : stream(std::move(s)), round(r), rng(r.seed * 13 + 5) {}

  void start() {
    stream.async_handshake([this](boost::system::error_code ec) {
      handshake_ec = ec;
      if (ec) return;
      own_records = stream.own_records();
      read_more();
    });
  }

  void read_more() {
    if (received.size() >= round.up) return write_more();
    chunk.resize(pick(rng, 1, 20000));
    stream.async_read_some(net::buffer(chunk), [this](boost::system::error_code ec, std::size_t n) {
      if (ec) {
        read_ec = ec;
        return;
      }
      received.insert(received.end(), chunk.begin(), chunk.begin() + static_cast<std::ptrdiff_t>(n));
      read_more();
    });
  }

  void write_more() {
    if (sent >= answer.size()) return read_end();
    auto total = std::min(pick(rng, 1, 70000), answer.size() - sent);
    std::vector<net::const_buffer> pieces;
    for (std::size_t at = 0; at < total;) {
      auto n = std::min(pick(rng, 1, 9000), total - at);
      pieces.emplace_back(answer.data() + sent + at, n);
      at += n;
    }
    net::async_write(stream, pieces, [this, total](boost::system::error_code ec, std::size_t n) {
      if (ec || n != total) {
        write_ec = ec ? ec : net::error::fault;
        return;
      }
      sent += n;
      write_more();
    });
  }

  void read_end() {
    chunk.resize(64);
    stream.async_read_some(net::buffer(chunk), [this](boost::system::error_code ec, std::size_t) {
      end_ec = ec;
      stream.async_shutdown([this](boost::system::error_code shut) {
        shutdown_ec = shut;
        done = true;
      });
    });
  }

  LeanTlsStream stream;
  Round round;
  std::mt19937 rng;
  Bytes answer = pattern(round.seed + 1, round.down);
  Bytes chunk;
  Bytes received;
  std::size_t sent = 0;
  bool own_records = false;
  bool done = false;
  boost::system::error_code handshake_ec, read_ec, write_ec, end_ec, shutdown_ec;
};

}  // namespace

TEST_CASE("lean tls stream: random pieces both ways, KeyUpdates between them, every byte and a clean close",
          "[unit]") {
  qrlogin::testing::ScratchDir dir;
  auto context = server_context(dir);
  auto version = GENERATE(TLS1_3_VERSION, TLS1_2_VERSION);
  for (std::uint32_t seed = 1; seed <= 6; ++seed) {
    Round round{seed, version, 20000 * seed + seed, 30000 * seed + 7};
    INFO("TLS " << (version == TLS1_3_VERSION ? "1.3" : "1.2") << ", seed " << seed);
    net::io_context ioc;
    net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
    std::string client_failure;
    std::thread client([&] { client_failure = run_client(acceptor.local_endpoint().port(), round); });
    auto socket = acceptor.accept();
    socket.set_option(net::socket_base::send_buffer_size(4096));
    auto accepted = LeanTlsStream::accept(std::move(socket), context.context->native_handle());
    REQUIRE(accepted.stream);
    Server server(std::move(*accepted.stream), round);
    server.start();
    ioc.run_for(std::chrono::seconds(20));
    client.join();
    INFO(client_failure);
    CHECK(client_failure.empty());
    CHECK_FALSE(server.handshake_ec);
    CHECK(server.own_records == (version == TLS1_3_VERSION));
    CHECK_FALSE(server.read_ec);
    CHECK_FALSE(server.write_ec);
    CHECK(server.received == pattern(seed, round.up));
    CHECK(server.end_ec == net::error::eof);  // the client's close_notify
    CHECK(server.done);
    CHECK_FALSE(server.shutdown_ec);
  }
}

namespace {

// A client that sends `updates` KeyUpdates in a row, then "hello"; what the
// relay's first read gets.
std::pair<boost::system::error_code, std::string> read_after_key_updates(const qrlogin::relay::ServerContext& context,
                                                                         int updates) {
  net::io_context ioc;
  net::ip::tcp::acceptor acceptor(ioc, {net::ip::make_address("127.0.0.1"), 0});
  auto port = acceptor.local_endpoint().port();
  std::thread client([port, updates] {
    SSL_CTX* ctx = SSL_CTX_new(TLS_client_method());
    SSL_CTX_set_min_proto_version(ctx, TLS1_3_VERSION);
    int fd = connect_loopback(port);
    SSL* ssl = SSL_new(ctx);
    if (fd >= 0 && SSL_set_fd(ssl, fd) == 1 && SSL_connect(ssl) == 1) {
      for (int i = 0; i < updates; ++i) {
        (void)SSL_key_update(ssl, SSL_KEY_UPDATE_NOT_REQUESTED);
        (void)SSL_do_handshake(ssl);  // sends it now, with no data after it
      }
      (void)SSL_write(ssl, "hello", 5);
      char c = 0;
      (void)SSL_read(ssl, &c, 1);  // until the relay closes
    }
    SSL_free(ssl);
    SSL_CTX_free(ctx);
    if (fd >= 0) ::close(fd);
  });
  auto accepted = LeanTlsStream::accept(acceptor.accept(), context.context->native_handle());
  REQUIRE(accepted.stream);
  auto& stream = *accepted.stream;
  boost::system::error_code result;
  std::string got(64, '\0');
  stream.async_handshake([&](boost::system::error_code ec) {
    result = ec;
    if (ec) return;
    stream.async_read_some(net::buffer(got), [&](boost::system::error_code read_ec, std::size_t n) {
      result = read_ec;
      got.resize(n);
      stream.next_layer().close();
    });
  });
  ioc.run_for(std::chrono::seconds(10));
  client.join();
  return {result, got};
}

}  // namespace

TEST_CASE("lean tls stream: 32 KeyUpdates in a row are followed - a 33rd with no data between ends the connection",
          "[unit]") {
  qrlogin::testing::ScratchDir dir;
  auto context = server_context(dir);
  auto [ok_ec, ok_bytes] = read_after_key_updates(context, 32);
  CHECK_FALSE(ok_ec);
  CHECK(ok_bytes == "hello");
  auto [flood_ec, flood_bytes] = read_after_key_updates(context, 33);
  CHECK(flood_ec == qrlogin::relay::tls13::Error::unexpected_message);
  CHECK(flood_bytes.empty());
}
