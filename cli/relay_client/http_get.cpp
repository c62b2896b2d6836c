#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <strings.h>

#include "cli/relay_client/client.hpp"
#include "cli/relay_client/transport.hpp"

namespace qrlogin::relay_client {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

std::string HttpResponse::header(std::string_view name) const {
  for (const auto& [key, value] : headers)
    if (key.size() == name.size() && strncasecmp(key.data(), name.data(), key.size()) == 0) return value;
  return {};
}

Result<HttpResponse> http_request(const HttpRequest& request) {
  net::io_context ioc;
  detail::Transport stream(ioc.get_executor());
  detail::Destination destination{request.host,   request.port,    request.bind_address,  0,
                                  request.tls,    request.ca_file, request.server_name};
  auto host = request.server_name.empty() ? request.host : request.server_name;
  http::request<http::empty_body> req{http::string_to_verb(request.method), request.target, 11};
  req.set(http::field::host, detail::host_header(host, request.port));
  req.set(http::field::user_agent, "qrlogin-relay-client");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  beast::flat_buffer buffer;
  http::response<http::string_body> res;
  std::optional<detail::OpenFailure> open_failed;
  beast::error_code result;

  auto deadline = std::chrono::steady_clock::now() + request.timeout;
  detail::async_open(stream, destination, deadline, [&](std::optional<detail::OpenFailure> failed) {
    if (failed) {
      open_failed = std::move(failed);
      return;
    }
    stream.next_layer().expires_at(deadline);
    http::async_write(stream, req, [&](beast::error_code e2, std::size_t) {
      if (e2) {
        result = e2;
        return;
      }
      http::async_read(stream, buffer, res, [&](beast::error_code e3, std::size_t) { result = e3; });
    });
  });
  ioc.run();
  if (open_failed) return make_error(Errc::connect_failed, "http: " + open_failed->message);
  if (result) return make_error(std::error_code(result), "http: " + result.message());
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  out.body = std::move(res.body());
  return out;
}

}  // namespace qrlogin::relay_client
