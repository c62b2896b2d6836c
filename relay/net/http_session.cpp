#include "relay/net/http_session.hpp"

#include <boost/asio/ssl/context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/beast/core/bind_handler.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <boost/beast/websocket/rfc6455.hpp>
#include <nlohmann/json.hpp>
#include <optional>
#include <type_traits>
#include <variant>

#include "relay/core/target.hpp"
#include "relay/core/upgrade_headers.hpp"
#include "relay/net/ws_session.hpp"

namespace qrlogin::relay {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
namespace ssl = net::ssl;

namespace {

constexpr unsigned kMaxRequestsPerConnection = 100;
// The relay serves no page and no script: whoever serves the code that
// handles a credential could read it, so the application serves the pages.
constexpr std::string_view kNotFoundMessage =
    "this relay serves only its channel endpoint and /healthz; the pages are served by the application";
void set_common_headers(http::fields& fields) {
  fields.set(http::field::server, "qrlogin-relay");
  fields.set(http::field::cache_control, "no-store");
  fields.set("X-Content-Type-Options", "nosniff");
  fields.set("Referrer-Policy", "no-referrer");
}

http::message_generator json_response(const http::request<http::empty_body>& req, http::status status,
                                      std::string body, bool keep_alive) {
  http::response<http::string_body> res{status, req.version()};
  set_common_headers(res.base());
  res.set(http::field::content_type, "application/json");
  res.keep_alive(keep_alive);
  res.body() = req.method() == http::verb::head ? std::string{} : std::move(body);
  res.prepare_payload();
  return res;
}

std::string error_body(std::string_view code, std::string_view message) {
  return nlohmann::json{{"error", code}, {"message", message}}.dump();
}

// A parse error that the client's bytes caused, as opposed to the
// connection ending early (which gets no answer).
bool is_malformed_request(const beast::error_code& ec) {
  if (ec.category() != beast::http::make_error_code(http::error::bad_method).category()) return false;
  return ec != http::error::end_of_stream && ec != http::error::partial_message && ec != http::error::short_read &&
         ec != http::error::need_more;
}

}  // namespace

template <class Stream>
class HttpSession final : public std::enable_shared_from_this<HttpSession<Stream>> {
 public:
  HttpSession(Stream stream, Hub& hub, const HttpPolicy& policy, ConnectionLease lease, ConnId id, IpAddress peer);
  void start();

 private:
  using Request = http::request<http::empty_body>;
  static constexpr bool kTls = std::is_same_v<Stream, TlsStream>;

  void on_handshake(beast::error_code ec);
  void do_read();
  void on_read(beast::error_code ec);
  void route(const Request& request);
  void route_channel(const Request& request);
  void respond(http::message_generator message, bool keep_alive);
  void on_timeout(beast::error_code ec);
  void finish();

  Stream stream_;
  net::steady_timer timer_;
  beast::flat_buffer buffer_;
  std::optional<http::request_parser<http::empty_body>> parser_;
  Hub& hub_;
  const HttpPolicy& policy_;
  ConnectionLease lease_;
  ConnId id_;
  IpAddress peer_;
  unsigned requests_ = 0;
  bool upgraded_ = false;
};

template <class Stream>
HttpSession<Stream>::HttpSession(Stream stream, Hub& hub, const HttpPolicy& policy, ConnectionLease lease, ConnId id,
                                 IpAddress peer)
    : stream_(std::move(stream)),
      timer_(stream_.get_executor()),
      hub_(hub),
      policy_(policy),
      lease_(std::move(lease)),
      id_(id),
      peer_(peer) {}

template <class Stream>
void HttpSession<Stream>::start() {
  // One deadline from accept: the TLS handshake and the first request
  // together get handshake_timeout.
  timer_.expires_after(hub_.limits().handshake_timeout);
  timer_.async_wait(beast::bind_front_handler(&HttpSession<Stream>::on_timeout, this->shared_from_this()));
  if constexpr (kTls) {
    stream_.async_handshake(beast::bind_front_handler(&HttpSession<Stream>::on_handshake, this->shared_from_this()));
  } else {
    do_read();
  }
}

template <class Stream>
void HttpSession<Stream>::on_handshake(beast::error_code ec) {
  if (ec) {
    // Not TLS, no protocol or cipher in common, or cut by the deadline.
    if (ec != net::error::operation_aborted && hub_.logger().enabled(LogLevel::debug))
      hub_.logger().write(LogLevel::debug, "tls_handshake_failed", {{"conn", id_}, {"reason", ec.message()}});
    finish();
    return;
  }
  if constexpr (kTls) hub_.metrics().tls_handshake(stream_.own_records());
  do_read();
}

template <class Stream>
void HttpSession<Stream>::on_timeout(beast::error_code ec) {
  if (ec == net::error::operation_aborted || upgraded_) return;
  hub_.logger().write(LogLevel::debug, "http_timeout", {{"conn", id_}});
  finish();
}

template <class Stream>
void HttpSession<Stream>::finish() {
  beast::error_code ignored;
  auto& socket = beast::get_lowest_layer(stream_);
  socket.shutdown(net::ip::tcp::socket::shutdown_both, ignored);
  socket.close(ignored);
  timer_.cancel();
}

template <class Stream>
void HttpSession<Stream>::do_read() {
  parser_.emplace();
  parser_->header_limit(static_cast<std::uint32_t>(hub_.limits().max_header_bytes));
  parser_->body_limit(0);
  http::async_read(stream_, buffer_, *parser_, [self = this->shared_from_this()](beast::error_code ec, std::size_t) {
    self->on_read(ec);
  });
}

template <class Stream>
void HttpSession<Stream>::on_read(beast::error_code ec) {
  if (ec) {
    if (ec == http::error::header_limit || ec == http::error::body_limit || ec == http::error::unexpected_body) {
      // Answer once so a client sees why, then close.
      http::request<http::empty_body> fake;
      auto status = ec == http::error::header_limit ? http::status::request_header_fields_too_large
                                                    : http::status::payload_too_large;
      hub_.metrics().rejected(Limit::max_header_bytes);
      hub_.logger().write_refusal(LogLevel::info, "http",
                                  {{"conn", id_}, {"status", std::uint64_t(static_cast<unsigned>(status))}});
      respond(json_response(fake, status, error_body("bad_request", "request too large"), false), false);
      return;
    }
    if (is_malformed_request(ec)) {
      // Garbage instead of HTTP (or TLS on the plain port): say so, then close.
      http::request<http::empty_body> fake;
      hub_.logger().write_refusal(LogLevel::info, "http", {{"conn", id_}, {"status", std::uint64_t{400}}});
      respond(json_response(fake, http::status::bad_request, error_body("bad_request", "not an HTTP/1.1 request"),
                            false),
              false);
      return;
    }
    finish();
    return;
  }
  ++requests_;
  route(parser_->get());
}

template <class Stream>
void HttpSession<Stream>::route(const Request& req) {
  auto target = std::string_view(req.target());
  bool keep_alive = req.keep_alive() && requests_ < kMaxRequestsPerConnection;
  if (is_channel_target(target)) {
    route_channel(req);
    return;
  }
  auto path = target.substr(0, target.find('?'));
  if (req.method() != http::verb::get && req.method() != http::verb::head) {
    respond(json_response(req, http::status::method_not_allowed, error_body("bad_request", "GET only"), keep_alive),
            keep_alive);
    return;
  }
  if (path == "/healthz") {
    // Public: ok or not ok and why; the counts are on /metrics only.
    if (auto reason = hub_.unavailable_reason()) {
      nlohmann::json body = {{"status", "unavailable"}, {"reason", *reason}};
      respond(json_response(req, http::status::service_unavailable, body.dump(), keep_alive), keep_alive);
      return;
    }
    respond(json_response(req, http::status::ok, R"({"status":"ok"})", keep_alive), keep_alive);
    return;
  }
  respond(json_response(req, http::status::not_found, error_body("not_found", kNotFoundMessage), keep_alive),
          keep_alive);
}

template <class Stream>
void HttpSession<Stream>::route_channel(const Request& req) {
  auto refuse = [&](http::status status, std::string_view code, std::string_view message) {
    hub_.logger().write_refusal(LogLevel::info, "http_refused",
                                {{"conn", id_}, {"status", std::uint64_t(static_cast<unsigned>(status))}, {"code", code}});
    auto res = json_response(req, status, error_body(code, message), false);
    respond(std::move(res), false);
  };
  auto parsed = parse_channel_target(req.target());
  if (!parsed.ok()) return refuse(http::status::bad_request, "bad_request", parsed.error().message);
  if (!beast::websocket::is_upgrade(req)) {
    http::response<http::string_body> res{http::status::upgrade_required, req.version()};
    set_common_headers(res.base());
    res.set(http::field::upgrade, "websocket");
    res.set(http::field::connection, "Upgrade");
    res.set(http::field::content_type, "application/json");
    res.body() = error_body("bad_request", "this endpoint speaks WebSocket only");
    res.keep_alive(false);
    res.prepare_payload();
    hub_.logger().write_refusal(LogLevel::info, "http_refused", {{"conn", id_}, {"status", std::uint64_t{426}}});
    return respond(std::move(res), false);
  }
  UpgradeHeaders headers;
  if (auto origin = req.find(http::field::origin); origin != req.end()) headers.origin = origin->value();
  if (auto protocols = req.find(http::field::sec_websocket_protocol); protocols != req.end())
    headers.protocols = protocols->value();
  auto checked = check_upgrade_headers(headers, policy_.allowed_origins);
  if (const auto* refusal = std::get_if<UpgradeRefusal>(&checked)) {
    auto response = refusal_response(*refusal);
    return refuse(static_cast<http::status>(response.status), response.code, response.message);
  }
  const auto& offer = std::get<UpgradeOffer>(checked);
  auto client = resolve_client(peer_, joined_forwarded_for(req), hub_.config().trusted_proxies);
  auto key = limit_key(client);
  if (auto refused = lease_.bind_address(key)) {
    hub_.metrics().rejected(refused->limit);
    return refuse(http::status::too_many_requests, code_name(refused->code), code_message(refused->code));
  }

  upgraded_ = true;
  timer_.cancel();
  // Copied only now: the view points into the request, which the session
  // takes over just below.
  std::optional<SecretString> resume_token;
  // On the heap, like every resume token (relay/net/hub.cpp).
  if (offer.resume_token) resume_token.emplace(SecretString::copy_of(*offer.resume_token, SecretMemory::heap));
  WsClientInfo info{id_, key, *parsed, offer.answer_subprotocol, std::move(resume_token)};
  auto session = std::make_shared<WsSession<Stream>>(std::move(stream_), hub_, std::move(lease_), std::move(info));
  session->start(parser_->release());
}

template <class Stream>
void HttpSession<Stream>::respond(http::message_generator message, bool keep_alive) {
  beast::async_write(stream_, std::move(message),
                     [self = this->shared_from_this(), keep_alive](beast::error_code ec, std::size_t) {
                       if (ec || !keep_alive) {
                         self->finish();
                         return;
                       }
                       self->timer_.cancel();
                       self->timer_.expires_after(self->hub_.limits().handshake_timeout);
                       self->timer_.async_wait(
                           beast::bind_front_handler(&HttpSession<Stream>::on_timeout, self->shared_from_this()));
                       self->do_read();
                     });
}

void serve_connection(net::ip::tcp::socket socket, const std::shared_ptr<ssl::context>& tls, Hub& hub,
                      const HttpPolicy& policy, ConnectionLease lease, ConnId id, IpAddress peer) {
  if (!tls) {
    std::make_shared<HttpSession<PlainStream>>(std::move(socket), hub, policy, std::move(lease), id, peer)->start();
    return;
  }
  // The stream's SSL object holds its own reference to the context's
  // SSL_CTX, so a reload that drops `tls` later leaves it valid.
  auto made = LeanTlsStream::accept(std::move(socket), tls->native_handle());
  if (!made.stream) {  // OpenSSL could not allocate the connection's state
    hub.logger().write(LogLevel::warn, "tls_failed", {{"conn", id}, {"reason", made.error.message()}});
    return;
  }
  std::make_shared<HttpSession<TlsStream>>(std::move(*made.stream), hub, policy, std::move(lease), id, peer)->start();
}

}  // namespace qrlogin::relay
