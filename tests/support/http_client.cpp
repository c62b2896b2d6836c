#include "tests/support/http_client.hpp"

#include <boost/asio/connect.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/asio/write.hpp>
#include <boost/beast/core.hpp>
#include <boost/beast/http.hpp>
#include <stdexcept>

namespace qrlogin::testing {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string HttpReply::header(std::string_view name) const {
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) return v;
  return {};
}

std::vector<std::string> HttpReply::all(std::string_view name) const {
  std::vector<std::string> out;
  for (const auto& [k, v] : headers)
    if (beast::iequals(k, name)) out.push_back(v);
  return out;
}

struct HttpConnection::Impl {
  net::io_context ioc;
  std::optional<tcp::socket> socket;
  beast::flat_buffer buffer;
  std::uint16_t port;
  std::string source;

  void connect() {
    socket.emplace(ioc);
    beast::error_code ec;
    socket->open(tcp::v4(), ec);
    if (!ec) socket->bind(tcp::endpoint(net::ip::make_address(source), 0), ec);
    if (!ec) socket->connect(tcp::endpoint(net::ip::make_address("127.0.0.1"), port), ec);
    if (ec) throw std::runtime_error("cannot connect to 127.0.0.1:" + std::to_string(port) + ": " + ec.message());
    buffer.clear();
  }

  HttpReply read() {
    http::response_parser<http::string_body> parser;
    parser.body_limit(16 * 1024 * 1024);
    beast::error_code ec;
    http::read(*socket, buffer, parser, ec);
    if (ec) throw std::runtime_error("reading the answer: " + ec.message());
    auto& res = parser.get();
    HttpReply reply;
    reply.status = res.result_int();
    reply.body = std::move(res.body());
    for (const auto& field : res) reply.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
    if (!res.keep_alive()) socket.reset();
    return reply;
  }
};

HttpConnection::HttpConnection(std::uint16_t port, const std::string& source) : impl_(std::make_unique<Impl>()) {
  impl_->port = port;
  impl_->source = source;
  impl_->connect();
}

HttpConnection::~HttpConnection() = default;
HttpConnection::HttpConnection(HttpConnection&&) noexcept = default;
HttpConnection& HttpConnection::operator=(HttpConnection&&) noexcept = default;

HttpReply HttpConnection::send(const HttpCall& call) {
  http::request<http::string_body> req{http::string_to_verb(call.method), call.path, 11};
  req.set(http::field::host, "127.0.0.1:" + std::to_string(impl_->port));
  for (const auto& [k, v] : call.headers) req.insert(k, v);
  req.body() = call.body;
  req.keep_alive(true);
  req.prepare_payload();
  for (int attempt = 0;; ++attempt) {
    if (!impl_->socket) impl_->connect();
    beast::error_code ec;
    http::write(*impl_->socket, req, ec);
    if (!ec) {
      try {
        return impl_->read();
      } catch (const std::runtime_error&) {
        if (attempt > 0) throw;
      }
    } else if (attempt > 0) {
      throw std::runtime_error("sending the request: " + ec.message());
    }
    impl_->socket.reset();
  }
}

HttpReply HttpConnection::send_raw(const std::string& bytes) {
  if (!impl_->socket) impl_->connect();
  net::write(*impl_->socket, net::buffer(bytes));
  return impl_->read();
}

HttpReply http_send(std::uint16_t port, const HttpCall& call, const std::string& source) {
  HttpConnection connection(port, source);
  return connection.send(call);
}

}  // namespace qrlogin::testing
