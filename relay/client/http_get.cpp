#include <boost/asio/io_context.hpp>
#include <boost/asio/ip/tcp.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/core/tcp_stream.hpp>
#include <boost/beast/http.hpp>
#include <strings.h>

#include "relay/client/client.hpp"

namespace qrlogin::relay_client {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;
using tcp = net::ip::tcp;

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), key.size()) == 0) return value;
  return {};
}

Result<HttpResponse> http_request(const HttpRequest& request) {
  net::io_context ioc;
  beast::tcp_stream stream(ioc);
  beast::error_code ec;
  auto address = net::ip::make_address(request.host == "localhost" ? "127.0.0.1" : request.host, ec);
  if (ec) return make_error(Errc::invalid_argument, "bad host");
  tcp::endpoint endpoint(address, request.port);
  stream.socket().open(endpoint.protocol(), ec);
  if (!ec && !request.bind_address.empty())
    stream.socket().bind(tcp::endpoint(net::ip::make_address(request.bind_address, ec), 0), ec);
  if (ec) return make_error(Errc::internal, "socket: " + ec.message());

  http::request<http::empty_body> req{http::string_to_verb(request.method), request.target, 11};
  req.set(http::field::host, request.host + ":" + std::to_string(request.port));
  req.set(http::field::user_agent, "qrlogin-relay-client");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  beast::error_code result;

  stream.expires_after(request.timeout);
  stream.async_connect(endpoint, [&](beast::error_code e) {
    if (e) {
      result = e;
      return;
    }
    http::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
      if (e2) {
        result = e2;
        return;
      }
      http::async_read(stream, buffer, res, [&](beast::error_code e3, std::size_t) { result = e3; });
    });
  });
  ioc.run();
  if (result) return make_error(Errc::internal, "http: " + result.message());
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(res.body());
  return out;
}

}  // namespace qrlogin::relay_client
