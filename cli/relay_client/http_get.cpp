#include <boost/asio/io_context.hpp>
#include <boost/beast/core/flat_buffer.hpp>
#include <boost/beast/http.hpp>
#include <strings.h>

#include <memory>

#include "cli/relay_client/client.hpp"
#include "cli/relay_client/transport.hpp"

namespace qrlogin::relay_client {

namespace net = boost::asio;
namespace beast = boost::beast;
namespace http = beast::http;

namespace {

// Wipes what it frees: the request's header fields (Authorization), the read
// buffer and the answer's body may all hold a token or a grant.
template <class T>
struct WipingAllocator {
  using value_type = T;
  WipingAllocator() noexcept = default;
  template <class U>
  WipingAllocator(const WipingAllocator<U>&) noexcept {}  // NOLINT: allocator rebinding
  T* allocate(std::size_t n) { return std::allocator<T>{}.allocate(n); }
  void deallocate(T* p, std::size_t n) noexcept {
    secure_wipe(std::span<std::uint8_t>(reinterpret_cast<std::uint8_t*>(p), n * sizeof(T)));
    std::allocator<T>{}.deallocate(p, n);
  }
  template <class U>
  bool operator==(const WipingAllocator<U>&) const noexcept {
    return true;
  }
};

using Fields = http::basic_fields<WipingAllocator<char>>;
using Text = std::basic_string<char, std::char_traits<char>, WipingAllocator<char>>;
using Body = http::basic_string_body<char, std::char_traits<char>, WipingAllocator<char>>;

}  // namespace

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
  http::request<http::span_body<const char>, Fields> req{http::string_to_verb(request.method), request.target, 11};
  req.set(http::field::host, detail::host_header(host, request.port));
  req.set(http::field::user_agent, "qrlogin-relay-client");
  for (const auto& [name, value] : request.headers) req.set(name, value);
  if (!request.authorization.empty()) req.set(http::field::authorization, request.authorization);
  if (!request.body.empty()) {
    req.body() = {request.body.data(), request.body.size()};
    req.prepare_payload();
  }
  beast::basic_flat_buffer<WipingAllocator<char>> buffer;
  http::response_parser<Body, WipingAllocator<char>> parser;
  if (request.max_body_bytes > 0) parser.body_limit(request.max_body_bytes);
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
      http::async_read(stream, buffer, parser, [&](beast::error_code e3, std::size_t) { result = e3; });
    });
  });
  ioc.run();
  if (open_failed) {
    auto code = open_failed->tls == TlsFailure::untrusted ? Errc::tls_untrusted
                : open_failed->tls == TlsFailure::setup   ? Errc::tls
                                                          : Errc::connect_failed;
    return make_error(code, "http: " + open_failed->message);
  }
  if (result == beast::error::timeout) return make_error(Errc::timeout, "http: no answer in time");
  if (result == http::error::body_limit) return make_error(Errc::too_large, "http: the answer is too large");
  if (result) return make_error(std::error_code(result), "http: " + result.message());
  auto& res = parser.get();
  HttpResponse out;
  out.status = static_cast<int>(res.result_int());
  for (const auto& field : res) out.headers.emplace_back(std::string(field.name_string()), std::string(field.value()));
  if (request.secret) out.secret_body = SecretString::copy_of(res.body());
  else out.body = std::string(res.body());
  return out;
}

}  // namespace qrlogin::relay_client
