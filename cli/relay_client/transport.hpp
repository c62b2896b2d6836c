#pragma once
// Internal to relay_client (client.cpp, http_get.cpp): the byte stream
// under the WebSocket and HTTP clients, plain TCP or TLS over TCP, chosen at
// run time, and how it is opened: DNS, each address in turn, then the TLS
// handshake with the certificate and the host name (or IP address)
// verified. Verification is always on; Options::ca_file only changes whom
// it trusts.
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/ssl/context.hpp>
#include <boost/asio/ssl/stream.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/websocket/ssl.hpp>
#include <boost/beast/websocket/teardown.hpp>
#include <chrono>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <utility>

#include "cli/relay_client/client.hpp"

namespace qrlogin::relay_client::detail {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace ssl = net::ssl;
using tcp = net::ip::tcp;

// An AsyncStream for Beast: reads and writes go to TLS when it is on, else
// straight to TCP. Beast's WebSocket finds its lowest layer (for timeouts)
// through next_layer(), and its teardown through the functions below.
class Transport {
 public:
  using executor_type = beast::tcp_stream::executor_type;

  template <class Executor>
  explicit Transport(const Executor& executor) : tcp_(executor) {}
  Transport(const Transport&) = delete;
  Transport& operator=(const Transport&) = delete;

  executor_type get_executor() noexcept { return tcp_.get_executor(); }
  beast::tcp_stream& next_layer() noexcept { return tcp_; }
  const beast::tcp_stream& next_layer() const noexcept { return tcp_; }
  tcp::socket& socket() noexcept { return tcp_.socket(); }
  ssl::stream<beast::tcp_stream&>* tls() noexcept { return tls_ ? &*tls_ : nullptr; }

  // Before the handshake: every byte from now on goes through TLS.
  void enable_tls(std::shared_ptr<ssl::context> context) {
    context_ = std::move(context);
    tls_.emplace(tcp_, *context_);
  }

  template <class Buffers, class Handler>
  void async_read_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) tls_->async_read_some(buffers, std::forward<Handler>(handler));
    else tcp_.async_read_some(buffers, std::forward<Handler>(handler));
  }
  template <class Buffers, class Handler>
  void async_write_some(const Buffers& buffers, Handler&& handler) {
    if (tls_) tls_->async_write_some(buffers, std::forward<Handler>(handler));
    else tcp_.async_write_some(buffers, std::forward<Handler>(handler));
  }

  // The WebSocket closing handshake's last step: TLS close_notify (when on),
  // then the TCP shutdown.
  template <class Handler>
  friend void async_teardown(beast::role_type role, Transport& transport, Handler&& handler) {
    if (transport.tls_) beast::async_teardown(role, *transport.tls_, std::forward<Handler>(handler));
    else beast::async_teardown(role, transport.tcp_, std::forward<Handler>(handler));
  }
  friend void teardown(beast::role_type role, Transport& transport, beast::error_code& ec) {
    if (transport.tls_) beast::teardown(role, *transport.tls_, ec);
    else beast::teardown(role, transport.tcp_, ec);
  }

 private:
  beast::tcp_stream tcp_;
  std::shared_ptr<ssl::context> context_;  // outlives tls_
  std::optional<ssl::stream<beast::tcp_stream&>> tls_;
};

struct Destination {
  std::string host;         // a name (resolved) or an IP literal
  std::uint16_t port = 0;
  std::string bind_address;
  int receive_buffer_bytes = 0;
  bool tls = false;
  std::string ca_file;
  std::string server_name;  // empty: host
};

struct OpenFailure {
  std::string message;  // for ConnectResult::error
  TlsFailure tls = TlsFailure::none;
};

// Opens `transport` (not yet open) to the destination within `deadline`: TCP
// to each resolved address in turn (SO_RCVBUF, TCP_NODELAY and the source
// address set before connecting), then the TLS handshake. `done` runs on
// the transport's executor with nullopt on success. The caller keeps the
// transport alive until then (e.g. by capturing its owner in `done`).
void async_open(Transport& transport, const Destination& destination, std::chrono::steady_clock::time_point deadline,
                std::function<void(std::optional<OpenFailure>)> done);

// "host:port", with brackets around an IPv6 literal: for the Host header.
std::string host_header(const std::string& host, std::uint16_t port);

}  // namespace qrlogin::relay_client::detail
