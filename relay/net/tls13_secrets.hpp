#pragma once
// The TLS 1.3 application traffic secrets of a server connection, taken
// from OpenSSL as its handshake derives them, so that the relay can protect
// the records itself once the handshake is done (lean_tls_stream.cpp).
// OpenSSL 3.0 hands them out only through its key-log callback; here they
// go straight into the connection's own TrafficSecrets and nowhere else:
// never a file, never a log line.
#include <cstddef>
#include <cstdint>

struct ssl_st;
struct ssl_ctx_st;

namespace qrlogin::relay::tls13 {

struct TrafficSecrets {
  TrafficSecrets() = default;
  TrafficSecrets(const TrafficSecrets&) = delete;
  TrafficSecrets& operator=(const TrafficSecrets&) = delete;
  ~TrafficSecrets();

  std::uint8_t client[48] = {};  // client_application_traffic_secret_0
  std::size_t client_bytes = 0;
  std::uint8_t server[48] = {};  // server_application_traffic_secret_0
  std::size_t server_bytes = 0;
};

// Installs the callback on a server context. Connections without a
// TrafficSecrets attached are left alone (nothing is kept for them).
void capture_traffic_secrets(ssl_ctx_st* ctx);

// Where `ssl`'s secrets go (null: nowhere). The caller keeps `secrets`
// alive while it is attached.
[[nodiscard]] bool attach(ssl_st* ssl, TrafficSecrets* secrets);

}  // namespace qrlogin::relay::tls13
