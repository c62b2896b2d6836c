#pragma once
// The relay's own TLS (--tls-cert, --tls-key): the server context, built
// from the certificate chain and key files, and replaced as a whole when
// SIGHUP asks for a reload. Connections take the current context when they
// are accepted and keep it; a reload that fails keeps the old context.
//
// What the context allows: TLS 1.2 and 1.3 only; for 1.2 only ECDHE key
// exchange with AEAD ciphers (AES-GCM, ChaCha20-Poly1305) for ECDSA and RSA
// certificates; OpenSSL's default TLS 1.3 suites; no renegotiation, no
// compression; no session resumption (no cache, no tickets).
#include <memory>
#include <mutex>
#include <string>

#include "relay/core/error.hpp"

namespace boost::asio::ssl {
class context;
}

namespace qrlogin::relay {

struct TlsFiles {
  std::string cert_file;  // PEM: the certificate, then any intermediates
  std::string key_file;   // PEM: its private key, unencrypted
};

// What is safe to log about a loaded certificate: nothing secret.
struct CertificateInfo {
  std::string sha256;     // of the leaf certificate (DER), lowercase hex
  std::string not_after;  // e.g. 2026-05-01T12:00:00Z
  std::string key_type;   // ec, rsa, ed25519, ...
  bool expired = false;   // not_after has passed (it still loads; clients will refuse it)
};

struct ServerContext {
  std::shared_ptr<boost::asio::ssl::context> context;
  CertificateInfo info;
};

// Builds a server context. Errors: bad_certificate with a message naming
// the file and what is wrong (cannot read it, no PEM certificate, no usable
// or an encrypted key, the key does not belong to the certificate).
Result<ServerContext> make_server_context(const TlsFiles& files);

class TlsContexts {
 public:
  explicit TlsContexts(TlsFiles files) : files_(std::move(files)) {}
  // Reads the files again; on success the new context serves new
  // connections, on failure the current one stays. Thread-safe.
  Result<CertificateInfo> load();
  // The context for a connection accepted now (null before a load succeeded).
  [[nodiscard]] std::shared_ptr<boost::asio::ssl::context> current() const;

 private:
  TlsFiles files_;
  mutable std::mutex mutex_;
  std::shared_ptr<boost::asio::ssl::context> current_;
};

}  // namespace qrlogin::relay
