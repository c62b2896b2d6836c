#include "cli/relay_client/transport.hpp"

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509_vfy.h>
#include <openssl/x509v3.h>

#include <boost/asio/ssl/error.hpp>
#include <vector>

namespace qrlogin::relay_client::detail {

namespace {

using Clock = std::chrono::steady_clock;

// Errors: the CA file cannot be loaded.
Result<std::shared_ptr<ssl::context>> make_client_context(const std::string& ca_file) {
  std::shared_ptr<ssl::context> context;
  try {
    context = std::make_shared<ssl::context>(ssl::context::tls_client);
  } catch (const std::exception& e) {
    return make_error(Errc::tls, std::string("TLS: cannot create a context: ") + e.what());
  }
  SSL_CTX* raw = context->native_handle();
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION);
  beast::error_code ec;
  context->set_verify_mode(ssl::verify_peer, ec);
  if (ca_file.empty()) {
    context->set_default_verify_paths(ec);
    if (ec) return make_error(Errc::tls, "TLS: cannot load the system's trusted certificates: " + ec.message());
  } else {
    context->load_verify_file(ca_file, ec);
    if (ec) {
      ERR_clear_error();
      return make_error(Errc::tls,
                        "TLS: cannot load the CA file " + ca_file + " (" + ec.message() + ")");
    }
  }
  return context;
}

// SNI (for a name, never an IP literal) and what the certificate must name.
bool expect_name(SSL* ssl, const std::string& name) {
  beast::error_code ec;
  auto ip = net::ip::make_address(name, ec);
  if (!ec) return X509_VERIFY_PARAM_set1_ip_asc(SSL_get0_param(ssl), ip.to_string().c_str()) == 1;
  SSL_set_hostflags(ssl, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
  // SSL_set_tlsext_host_name() without its C cast.
  bool sni = SSL_ctrl(ssl, SSL_CTRL_SET_TLSEXT_HOSTNAME, TLSEXT_NAMETYPE_host_name,
                      const_cast<char*>(name.c_str())) == 1;
  return sni && SSL_set1_host(ssl, name.c_str()) == 1;
}

struct Opener : std::enable_shared_from_this<Opener> {
  Opener(Transport& t, Destination d, Clock::time_point at, std::function<void(std::optional<OpenFailure>)> cb)
      : transport(t), destination(std::move(d)), deadline(at), resolver(t.get_executor()), done(std::move(cb)) {}

  Transport& transport;
  Destination destination;
  Clock::time_point deadline;
  tcp::resolver resolver;
  std::function<void(std::optional<OpenFailure>)> done;
  std::vector<tcp::endpoint> endpoints;
  std::size_t next = 0;
  std::string last_error;

  void fail(std::string message, TlsFailure tls = TlsFailure::none) {
    auto cb = std::move(done);
    cb(OpenFailure{std::move(message), tls});
  }

  void start() {
    beast::error_code ec;
    auto ip = net::ip::make_address(destination.host, ec);
    if (!ec) {
      endpoints.emplace_back(ip, destination.port);
      connect_next();
      return;
    }
    resolver.async_resolve(destination.host, std::to_string(destination.port),
                           [self = shared_from_this()](beast::error_code rec, tcp::resolver::results_type results) {
                             if (rec) return self->fail("cannot resolve " + self->destination.host + ": " + rec.message());
                             for (const auto& r : results) self->endpoints.push_back(r.endpoint());
                             self->connect_next();
                           });
  }

  // One address after the other, until one accepts.
  void connect_next() {
    if (Clock::now() >= deadline) return fail("connect: timed out");
    if (next >= endpoints.size())
      return fail(last_error.empty() ? "connect: no address for " + destination.host : last_error);
    auto endpoint = endpoints[next++];
    auto& socket = transport.socket();
    beast::error_code ec;
    if (socket.is_open()) socket.close(ec);
    socket.open(endpoint.protocol(), ec);
    if (!ec && !destination.bind_address.empty()) {
      auto source = net::ip::make_address(destination.bind_address, ec);
      if (!ec && source.is_v4() != endpoint.address().is_v4()) {  // the other family: try the next address
        last_error = "connect: no address of the source address's family";
        return connect_next();
      }
      if (!ec) socket.bind(tcp::endpoint(source, 0), ec);
    }
    if (!ec && destination.receive_buffer_bytes > 0)
      socket.set_option(net::socket_base::receive_buffer_size(destination.receive_buffer_bytes), ec);
    if (!ec) socket.set_option(tcp::no_delay(true), ec);
    if (ec) return fail("socket: " + ec.message());
    transport.next_layer().expires_at(deadline);
    transport.next_layer().async_connect(endpoint, [self = shared_from_this()](beast::error_code cec) {
      if (cec) {
        self->last_error = "connect: " + cec.message();
        return self->connect_next();
      }
      if (!self->destination.tls) return self->succeed();
      self->handshake();
    });
  }

  void handshake() {
    auto context = make_client_context(destination.ca_file);
    if (!context.ok()) return fail(context.error().message, TlsFailure::setup);
    try {
      transport.enable_tls(std::move(context.value()));
    } catch (const std::exception& e) {  // OpenSSL could not allocate
      return fail(std::string("TLS: ") + e.what(), TlsFailure::setup);
    }
    const auto& name = destination.server_name.empty() ? destination.host : destination.server_name;
    if (!expect_name(transport.tls()->native_handle(), name))
      return fail("TLS: cannot check the certificate against the name " + name, TlsFailure::setup);
    transport.tls()->async_handshake(ssl::stream_base::client, [self = shared_from_this()](beast::error_code hec) {
      if (!hec) return self->succeed();
      const auto& host = self->destination.server_name.empty() ? self->destination.host : self->destination.server_name;
      auto verify = SSL_get_verify_result(self->transport.tls()->native_handle());
      ERR_clear_error();
      if (verify != X509_V_OK)
        return self->fail("TLS: certificate verify failed for " + host + ": " + X509_verify_cert_error_string(verify),
                          TlsFailure::untrusted);
      if (hec == beast::error::timeout) return self->fail("TLS: handshake with " + host + " timed out",
                                                          TlsFailure::handshake);
      self->fail("TLS: handshake with " + host + " failed: " + hec.message(), TlsFailure::handshake);
    });
  }

  void succeed() {
    transport.next_layer().expires_never();
    auto cb = std::move(done);
    cb(std::nullopt);
  }
};

}  // namespace

void async_open(Transport& transport, const Destination& destination, Clock::time_point deadline,
                std::function<void(std::optional<OpenFailure>)> done) {
  std::make_shared<Opener>(transport, destination, deadline, std::move(done))->start();
}

std::string host_header(const std::string& host, std::uint16_t port) {
  bool v6 = host.find(':') != std::string::npos;
  return (v6 ? "[" + host + "]" : host) + ":" + std::to_string(port);
}

}  // namespace qrlogin::relay_client::detail
