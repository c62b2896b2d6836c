#include "web/app/server.hpp"

#include <sys/stat.h>

#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/signal_set.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/ssl/ssl_stream.hpp>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <thread>
#include <vector>

#include "web/app/api.hpp"
#include "web/app/event_stream.hpp"
#include "web/app/log.hpp"
#include "web/app/origin.hpp"
#include "relay/core/address.hpp"
#include "relay/net/tls.hpp"

namespace qrlogin::app {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

namespace {

constexpr std::size_t kMaxHeaderBytes = 8 * 1024;
constexpr auto kRequestTimeout = std::chrono::seconds(15);
constexpr unsigned kMaxRequestsPerConnection = 1000;

using TlsStream = beast::ssl_stream<beast::tcp_stream>;

std::string peer_address(const tcp::socket& socket) {
  beast::error_code ec;
  auto endpoint = socket.remote_endpoint(ec);
  if (ec) return "unknown";
  auto address = endpoint.address();
  if (address.is_v6() && address.to_v6().is_v4_mapped())
    return net::ip::make_address_v4(net::ip::v4_mapped, address.to_v6()).to_string();
  return address.to_string();
}

// The client's address: the TCP peer, or behind a trusted proxy the
// rightmost X-Forwarded-For entry that is not a trusted proxy, as the
// relay resolves it.
std::string client_address(const std::string& peer, const http::request<http::string_body>& req,
                           const std::vector<relay::Cidr>& trusted) {
  if (trusted.empty()) return peer;
  auto parsed = relay::parse_ip(peer);
  if (!parsed.ok()) return peer;
  return relay::format_ip(relay::resolve_client(*parsed, relay::joined_forwarded_for(req), trusted));
}

bool is_page_request(const ApiRequest& r) {
  return (r.method == "GET" || r.method == "HEAD") && !r.path.starts_with("/api/") && r.path != "/healthz";
}

// Answers one connection's requests in turn, on its own strand; over TLS
// when Stream is TlsStream (the handshake first, within the request timeout).
template <class Stream>
class Session final : public std::enable_shared_from_this<Session<Stream>> {
 public:
  template <class... TlsContext>
  Session(tcp::socket socket, Api& api, const PageHandler& pages, const std::vector<relay::Cidr>& trusted,
          TlsContext&... tls)
      : stream_(std::move(socket), tls...), api_(api), pages_(pages), trusted_(trusted),
        peer_(peer_address(beast::get_lowest_layer(stream_).socket())) {}

  void start() {
    net::dispatch(stream_.get_executor(), [self = this->shared_from_this()] {
      if constexpr (std::is_same_v<Stream, TlsStream>) {
        beast::get_lowest_layer(self->stream_).expires_after(kRequestTimeout);
        self->stream_.async_handshake(net::ssl::stream_base::server, [self](beast::error_code ec) {
          if (ec) return self->close();  // not TLS, or a client that gave up: nothing to answer
          self->do_read();
        });
      } else {
        self->do_read();
      }
    });
  }

 private:
  std::shared_ptr<Session> shared_from_this() { return this->std::template enable_shared_from_this<Session>::shared_from_this(); }

  void do_read() {
    parser_.emplace();
    parser_->header_limit(kMaxHeaderBytes);
    parser_->body_limit(kMaxBodyBytes);
    beast::get_lowest_layer(stream_).expires_after(kRequestTimeout);
    http::async_read(stream_, buffer_, *parser_, beast::bind_front_handler(&Session::on_read, shared_from_this()));
  }

  void on_read(beast::error_code ec, std::size_t) {
    if (ec == http::error::body_limit) {
      respond(Api::error_response(make_error(AppErrc::body_too_large, "the body is larger than " +
                                                                         std::to_string(kMaxBodyBytes) + " bytes")),
              11, false);
      return;
    }
    if (ec == http::error::header_limit) {
      respond(Api::error_response(make_error(AppErrc::bad_request, "the request's headers are too large")), 11, false);
      return;
    }
    if (ec) {
      // The client went away or timed out (nothing to answer), or sent
      // something that is not HTTP (answered 400, then closed).
      if (ec.category() == http::make_error_code(http::error::bad_method).category() &&
          ec != http::error::end_of_stream && ec != http::error::partial_message)
        respond(Api::error_response(make_error(AppErrc::bad_request, "malformed HTTP request")), 11, false);
      else
        close();
      return;
    }
    auto& req = parser_->get();
    ApiRequest request;
    request.method = std::string(req.method_string());
    std::string_view target = req.target();
    request.path = std::string(target.substr(0, target.find('?')));
    if (auto it = req.find(http::field::origin); it != req.end()) request.origin = std::string(it->value());
    request.cookie = std::string(req[http::field::cookie]);
    request.authorization = std::string(req[http::field::authorization]);
    request.user_agent = std::string(req[http::field::user_agent]);
    request.content_type = std::string(req[http::field::content_type]);
    request.body = std::move(req.body());
    request.peer = client_address(peer_, req, trusted_);
    const bool keep_alive = req.keep_alive() && ++requests_ < kMaxRequestsPerConnection;
    const unsigned version = req.version();
    if (request.path == "/api/events") {
      auto started = api_.begin_event_stream(request);
      if (auto* refusal = std::get_if<ApiResponse>(&started)) return respond(std::move(*refusal), version, false);
      // The connection becomes the stream; this session ends here.
      std::make_shared<EventStream<Stream>>(std::move(stream_), api_, std::get<DeviceRow>(std::move(started)))->start();
      return;
    }
    std::optional<ApiResponse> answer;
    if (pages_ && is_page_request(request)) answer = pages_(request);
    if (!answer) answer = api_.handle(request);
    if (request.method == "HEAD") answer->body.clear();
    respond(std::move(*answer), version, keep_alive);
  }

  void respond(ApiResponse answer, unsigned version, bool keep_alive) {
    auto res = std::make_shared<http::response<http::string_body>>(static_cast<http::status>(answer.status), version);
    res->set(http::field::server, "qrlogin-app");
    res->set(http::field::cache_control, "no-store");
    res->set("X-Content-Type-Options", "nosniff");
    res->set("Referrer-Policy", "no-referrer");
    bool typed = false;
    for (auto& [name, value] : answer.headers) {
      typed = typed || beast::iequals(name, "Content-Type");
      // Set-Cookie may repeat; any other header replaces the default above
      // (a page's script is cacheable, unlike the API's answers).
      if (beast::iequals(name, "Set-Cookie")) res->insert(name, value);
      else res->set(name, value);
    }
    if (!typed && !answer.body.empty()) res->set(http::field::content_type, "application/json");
    res->body() = std::move(answer.body);
    res->keep_alive(keep_alive);
    res->prepare_payload();
    http::async_write(stream_, *res, [self = shared_from_this(), res, keep_alive](beast::error_code ec, std::size_t) {
      if (ec || !keep_alive) return self->close();
      self->do_read();
    });
  }

  void close() {
    // Over TLS no close_notify is sent: every answer carries its length, so
    // a truncated one cannot pass for a whole one.
    auto& tcp_layer = beast::get_lowest_layer(stream_);
    beast::error_code ignored;
    tcp_layer.socket().shutdown(tcp::socket::shutdown_send, ignored);
    tcp_layer.close();
  }

  Stream stream_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::string_body>> parser_;
  Api& api_;
  const PageHandler& pages_;
  const std::vector<relay::Cidr>& trusted_;
  std::string peer_;
  unsigned requests_ = 0;
};

}  // namespace

struct Server::Impl {
  Impl(Config c, const Clock& clk, Rng& r)
      : config(std::move(c)), clock(clk), rng(r), ioc(static_cast<int>(config.threads)), acceptor(ioc), retry(ioc) {}

  void do_accept() {
    acceptor.async_accept(net::make_strand(ioc), [this](beast::error_code ec, tcp::socket socket) {
      if (!acceptor.is_open()) return;
      if (ec) {
        // Out of file descriptors or the like: try again shortly, never stop.
        retry.expires_after(std::chrono::milliseconds(100));
        retry.async_wait([this](beast::error_code) { if (acceptor.is_open()) do_accept(); });
        return;
      }
      if (tls)
        std::make_shared<Session<TlsStream>>(std::move(socket), *api, pages, config.trusted_proxies, *tls)->start();
      else
        std::make_shared<Session<beast::tcp_stream>>(std::move(socket), *api, pages, config.trusted_proxies)->start();
      do_accept();
    });
  }

  Config config;
  const Clock& clock;
  Rng& rng;
  Logger logger;
  std::unique_ptr<Store> store;
  std::unique_ptr<Api> api;
  PageHandler pages;
  std::shared_ptr<net::ssl::context> tls;  // null: plain http
  std::string origin;
  std::string where;  // the database path, for the listening line
  net::io_context ioc;
  tcp::acceptor acceptor;
  net::steady_timer retry;
  std::vector<std::thread> threads;
};

Server::Server(Config config, const Clock& clock, Rng& rng)
    : impl_(std::make_unique<Impl>(std::move(config), clock, rng)) {}

Server::~Server() { stop(); }

Status Server::open() {
  auto& c = impl_->config;
  if (c.in_memory) {
    impl_->where = ":memory:";
  } else {
    std::error_code ec;
    std::filesystem::create_directories(c.state_dir, ec);
    if (ec) return make_error(AppErrc::state_dir, "cannot create the state directory " + c.state_dir + ": " + ec.message());
    if (!std::filesystem::is_directory(c.state_dir, ec))
      return make_error(AppErrc::state_dir, "the state directory " + c.state_dir + " is not a directory");
    ::chmod(c.state_dir.c_str(), 0700);  // best effort: the directory may be someone else's
    impl_->where = c.state_dir + "/app.sqlite3";
  }
  if (!c.tls_cert_file.empty()) {
    auto context = relay::make_server_context({c.tls_cert_file, c.tls_key_file});
    if (!context.ok()) return make_error(AppErrc::tls, context.error().message);
    impl_->tls = std::move(context->context);
  }
  auto store = Store::open(impl_->where);
  if (!store.ok()) return store.error();
  impl_->store = std::move(*store);

  beast::error_code ec;
  auto address = net::ip::make_address(c.listen_host, ec);
  if (ec) return make_error(AppErrc::bad_flag, "--listen: " + c.listen_host + " is not an IP address");
  tcp::endpoint endpoint(address, c.listen_port);
  auto& acceptor = impl_->acceptor;
  if (acceptor.open(endpoint.protocol(), ec); !ec) acceptor.set_option(net::socket_base::reuse_address(true), ec);
  if (!ec) acceptor.bind(endpoint, ec);
  if (!ec) acceptor.listen(net::socket_base::max_listen_connections, ec);
  if (ec)
    return make_error(AppErrc::listen_failed,
                      "cannot listen on " + c.listen_host + ":" + std::to_string(c.listen_port) + ": " + ec.message());

  std::string origin_text = c.origin;
  if (origin_text.empty()) {
    const std::string host = address.is_v6() ? "[" + c.listen_host + "]" : c.listen_host;
    origin_text = (impl_->tls ? "https://" : "http://") + host + ":" + std::to_string(port());
  }
  auto origin = parse_origin(origin_text);
  if (!origin.ok()) return origin.error();
  impl_->origin = origin->text;

  ApiSettings settings;
  settings.origin = *origin;
  settings.relay_url = c.relay_url;
  settings.pairing_lifetime = c.pairing_lifetime_seconds * 1000;
  settings.grant_lifetime = c.grant_lifetime_seconds * 1000;
  settings.session_idle = c.session_idle_seconds * 1000;
  settings.password_cost = c.password_cost;
  settings.refuse_other_network = c.refuse_other_network;
  if (c.bench_profile) settings.limits = ApiLimits::unlimited();
  impl_->api = std::make_unique<Api>(std::move(settings), *impl_->store, impl_->clock, impl_->rng, impl_->logger);
  return {};
}

void Server::set_pages(PageHandler pages) { impl_->pages = std::move(pages); }

void Server::redirect_log(std::function<void(std::string_view line)> sink) { impl_->logger.redirect(std::move(sink)); }

std::uint16_t Server::port() const {
  beast::error_code ec;
  auto endpoint = impl_->acceptor.local_endpoint(ec);
  return ec ? 0 : endpoint.port();
}

const std::string& Server::origin() const { return impl_->origin; }

Store& Server::store() { return *impl_->store; }

void Server::start() {
  impl_->logger.write("listening", {{"port", std::int64_t{port()}},
                                     {"origin", impl_->origin},
                                     {"database", impl_->where},
                                     {"profile", impl_->config.bench_profile ? "bench" : "default"}});
  impl_->do_accept();
  for (unsigned i = 0; i < impl_->config.threads; ++i) impl_->threads.emplace_back([this] { impl_->ioc.run(); });
}

void Server::stop() {
  if (!impl_) return;
  net::post(impl_->ioc, [this] {
    beast::error_code ignored;
    impl_->acceptor.close(ignored);
    impl_->retry.cancel();
  });
  impl_->ioc.stop();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
}

int Server::run_until_signal() {
  net::signal_set signals(impl_->ioc, SIGINT, SIGTERM);
  signals.async_wait([this](beast::error_code ec, int signal) {
    if (ec) return;
    impl_->logger.write("stopping", {{"signal", std::int64_t{signal}}});
    impl_->ioc.stop();
  });
  start();
  for (auto& t : impl_->threads) t.join();
  impl_->threads.clear();
  return 0;
}

}  // namespace qrlogin::app
