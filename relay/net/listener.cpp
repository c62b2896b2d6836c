#include "relay/net/listener.hpp"

#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/bind_handler.hpp>

namespace qrlogin::relay {

namespace net = boost::asio;
using tcp = net::ip::tcp;

namespace {
constexpr Millis kAcceptRetry{50};

IpAddress to_ip(const net::ip::address& address) {
  IpAddress out;
  if (address.is_v4()) {
    auto v6 = net::ip::make_address_v6(net::ip::v4_mapped, address.to_v4());
    out.bytes = v6.to_bytes();
  } else {
    out.bytes = address.to_v6().to_bytes();
  }
  return out;
}
}  // namespace

Listener::Listener(net::io_context& ioc, Hub& hub, const HttpPolicy& policy, const TlsContexts* tls)
    : ioc_(ioc),
      acceptor_(net::make_strand(ioc)),
      retry_(acceptor_.get_executor()),
      hub_(hub),
      policy_(policy),
      tls_(tls) {}

Status Listener::open(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return make_error(Errc::listen_failed, "cannot listen: " + ec.message());
  return {};
}

std::uint16_t Listener::port() const {
  boost::system::error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void Listener::start() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void Listener::stop() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    self->stopped_ = true;
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_.cancel();
  });
}

void Listener::do_accept() {
  if (stopped_) return;
  // A connection's handlers never run concurrently: with several I/O
  // threads a strand per connection sees to that; with one thread the
  // io_context's own executor does, without the strand's cost per handler.
  net::any_io_executor executor = ioc_.get_executor();
  if (hub_.config().threads > 1) executor = net::make_strand(ioc_);
  acceptor_.async_accept(executor, boost::beast::bind_front_handler(&Listener::on_accept, shared_from_this()));
}

void Listener::on_accept(boost::system::error_code ec, tcp::socket socket) {
  if (stopped_) return;
  if (ec) {
    auto now = Clock::now();
    if (now - last_error_log_ > std::chrono::seconds{1}) {
      last_error_log_ = now;
      hub_.logger().write(LogLevel::warn, "accept_failed", {{"reason", ec.message()}});
    }
    retry_.expires_after(kAcceptRetry);
    retry_.async_wait([self = shared_from_this()](boost::beast::error_code) { self->do_accept(); });
    return;
  }
  do_accept();

  boost::system::error_code peer_ec;
  auto remote = socket.remote_endpoint(peer_ec);
  if (peer_ec) return;  // already gone
  auto peer = to_ip(remote.address());
  auto id = hub_.next_connection_id();
  auto& log = hub_.logger();
  if (log.enabled(LogLevel::debug))
    log.write(LogLevel::debug, "accept", {{"conn", id}, {"addr", std::string_view(log_address(peer))}});
  if (auto refused = hub_.acquire_connection()) {
    log.write_refusal(LogLevel::warn, "refused",
                      {{"conn", id}, {"code", code_name(*refused)}, {"limit", "max_connections"}});
    hub_.metrics().rejected(Limit::max_connections);
    return;  // the socket closes as it goes out of scope
  }
  ConnectionLease lease(hub_);
  if (!any_contains(hub_.config().trusted_proxies, peer)) {
    if (auto refused = lease.bind_address(limit_key(peer))) {
      log.write_refusal(LogLevel::info, "refused",
                        {{"conn", id}, {"code", code_name(refused->code)}, {"limit", limit_name(refused->limit)}});
      hub_.metrics().rejected(refused->limit);
      return;
    }
  }
  serve_connection(std::move(socket), tls_ != nullptr ? tls_->current() : nullptr, hub_, policy_, std::move(lease), id,
                   peer);
}

}  // namespace qrlogin::relay
