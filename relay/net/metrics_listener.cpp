#include "relay/net/metrics_listener.hpp"

#include <atomic>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>

namespace qrlogin::relay {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

struct MetricsListener::Shared {
  Render render;
  Millis timeout;
  std::atomic<std::size_t> open{0};
};

namespace {

constexpr std::uint32_t kMaxHeaderBytes = 8192;

class MetricsSession final : public std::enable_shared_from_this<MetricsSession> {
 public:
  MetricsSession(tcp::socket socket, std::shared_ptr<MetricsListener::Shared> shared)
      : socket_(std::move(socket)), timer_(socket_.get_executor()), shared_(std::move(shared)) {}
  ~MetricsSession() { shared_->open.fetch_sub(1); }
  MetricsSession(const MetricsSession&) = delete;
  MetricsSession& operator=(const MetricsSession&) = delete;

  void start() {
    timer_.expires_after(shared_->timeout);
    timer_.async_wait([self = shared_from_this()](beast::error_code ec) {
      if (!ec) self->finish();
    });
    parser_.header_limit(kMaxHeaderBytes);
    parser_.body_limit(0);
    http::async_read(socket_, buffer_, parser_,
                     [self = shared_from_this()](beast::error_code ec, std::size_t) { self->on_read(ec); });
  }

 private:
  void on_read(beast::error_code ec) {
    if (ec) return finish();
    const auto& req = parser_.get();
    auto target = std::string_view(req.target());
    bool get = req.method() == http::verb::get || req.method() == http::verb::head;
    auto res = std::make_shared<http::response<http::string_body>>();
    res->version(req.version());
    res->set(http::field::server, "qrlogin-relay");
    res->set(http::field::cache_control, "no-store");
    res->keep_alive(false);
    if (get && target.substr(0, target.find('?')) == "/metrics") {
      res->result(http::status::ok);
      res->set(http::field::content_type, "text/plain; version=0.0.4; charset=utf-8");
      res->body() = shared_->render();
    } else {
      res->result(http::status::not_found);
      res->set(http::field::content_type, "text/plain; charset=utf-8");
      res->body() = "not found\n";
    }
    res->prepare_payload();
    if (req.method() == http::verb::head) res->body().clear();
    http::async_write(socket_, *res, [self = shared_from_this(), res](beast::error_code, std::size_t) {
      self->finish();
    });
  }

  void finish() {
    beast::error_code ignored;
    socket_.shutdown(tcp::socket::shutdown_both, ignored);
    socket_.close(ignored);
    timer_.cancel();
  }

  tcp::socket socket_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  http::request_parser<http::empty_body> parser_;
  std::shared_ptr<MetricsListener::Shared> shared_;
};

}  // namespace

MetricsListener::MetricsListener(net::io_context& ioc, Render render, Millis timeout)
    : ioc_(ioc), acceptor_(net::make_strand(ioc)), retry_(acceptor_.get_executor()), shared_(std::make_shared<Shared>()) {
  shared_->render = std::move(render);
  shared_->timeout = timeout;
}

Status MetricsListener::open(const tcp::endpoint& endpoint) {
  boost::system::error_code ec;
  acceptor_.open(endpoint.protocol(), ec);
  if (!ec) acceptor_.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor_.bind(endpoint, ec);
  if (!ec) acceptor_.listen(net::socket_base::max_listen_connections, ec);
  if (ec) return make_error(Errc::listen_failed, "cannot listen for metrics: " + ec.message());
  return {};
}

std::uint16_t MetricsListener::port() const {
  boost::system::error_code ec;
  auto endpoint = acceptor_.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

void MetricsListener::start() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] { self->do_accept(); });
}

void MetricsListener::stop() {
  net::dispatch(acceptor_.get_executor(), [self = shared_from_this()] {
    self->stopped_ = true;
    boost::system::error_code ignored;
    self->acceptor_.close(ignored);
    self->retry_.cancel();
  });
}

void MetricsListener::do_accept() {
  if (stopped_) return;
  acceptor_.async_accept(net::make_strand(ioc_), [self = shared_from_this()](beast::error_code ec, tcp::socket socket) {
    if (self->stopped_) return;
    if (ec) {  // EMFILE and the like: pause, so a full file table does not spin
      self->retry_.expires_after(Millis{50});
      self->retry_.async_wait([self](beast::error_code) { self->do_accept(); });
      return;
    }
    if (self->shared_->open.load() < kMaxMetricsConnections) {
      self->shared_->open.fetch_add(1);
      std::make_shared<MetricsSession>(std::move(socket), self->shared_)->start();
    }  // else: too many at once, the socket closes here
    self->do_accept();
  });
}

}  // namespace qrlogin::relay
