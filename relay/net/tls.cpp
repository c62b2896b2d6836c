#include "relay/net/tls.hpp"

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include <boost/asio/ssl/context.hpp>
#include <cctype>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <ctime>
#include <new>

#include "relay/net/tls13_secrets.hpp"

namespace qrlogin::relay {

namespace ssl = boost::asio::ssl;

namespace {

// TLS 1.2: forward secrecy (ECDHE) and AEAD only, for ECDSA and RSA keys.
// TLS 1.3 keeps OpenSSL's default suites (all AEAD).
constexpr const char* kTls12Ciphers =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:"
    "ECDHE-ECDSA-AES256-GCM-SHA384:ECDHE-RSA-AES256-GCM-SHA384:"
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305";

Error failure(std::string message) {
  ERR_clear_error();
  return make_error(Errc::bad_certificate, std::move(message));
}

// The reason of OpenSSL's last error, e.g. "no start line"; never key bytes.
std::string openssl_reason() {
  auto code = ERR_peek_last_error();
  const char* reason = code != 0 ? ERR_reason_error_string(code) : nullptr;
  return reason != nullptr ? reason : "unknown error";
}

Status readable(const std::string& what, const std::string& path) {
  std::FILE* f = std::fopen(path.c_str(), "rb");
  if (f == nullptr) return failure(what + " " + path + ": cannot read it: " + std::strerror(errno));
  std::fclose(f);
  return {};
}

// A key file is never read through a passphrase prompt: an encrypted key
// fails to load instead of blocking on the terminal. `asked`, when given,
// is a bool set to true.
int no_passphrase(char*, int, int, void* asked) {
  if (asked != nullptr) *static_cast<bool*>(asked) = true;
  return 0;
}

struct PkeyFree {
  void operator()(EVP_PKEY* p) const noexcept { EVP_PKEY_free(p); }
};
using Pkey = std::unique_ptr<EVP_PKEY, PkeyFree>;

// The first private key in a PEM file. Errors say whether it was encrypted.
Result<Pkey> read_private_key(const std::string& path) {
  BIO* bio = BIO_new_file(path.c_str(), "r");
  if (bio == nullptr) return make_error(Errc::bad_certificate, "cannot read it");
  ERR_clear_error();
  bool encrypted = false;  // OpenSSL asked for a passphrase
  Pkey key(PEM_read_bio_PrivateKey(bio, nullptr, no_passphrase, &encrypted));
  BIO_free(bio);
  if (key) return key;
  if (encrypted)
    return make_error(Errc::bad_certificate,
                      "the key is encrypted with a passphrase; the relay needs it unencrypted "
                      "(openssl pkey -in KEY -out PLAIN, kept with mode 0600)");
  return make_error(Errc::bad_certificate, "not a PEM private key (" + openssl_reason() + ")");
}

std::string hex(const unsigned char* bytes, unsigned n) {
  static constexpr char kDigits[] = "0123456789abcdef";
  std::string out;
  out.reserve(n * 2);
  for (unsigned i = 0; i < n; ++i) {
    out.push_back(kDigits[bytes[i] >> 4]);
    out.push_back(kDigits[bytes[i] & 0xf]);
  }
  return out;
}

CertificateInfo describe(X509* cert) {
  CertificateInfo info;
  unsigned char md[EVP_MAX_MD_SIZE];
  unsigned n = 0;
  if (X509_digest(cert, EVP_sha256(), md, &n) == 1) info.sha256 = hex(md, n);
  std::tm tm{};
  if (ASN1_TIME_to_tm(X509_get0_notAfter(cert), &tm) == 1) {
    char buf[96];  // room for any int GCC imagines
    std::snprintf(buf, sizeof buf, "%04d-%02d-%02dT%02d:%02d:%02dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
                  tm.tm_hour, tm.tm_min, tm.tm_sec);
    info.not_after = buf;
  }
  if (const char* type = EVP_PKEY_get0_type_name(X509_get0_pubkey(cert))) {
    info.key_type = type;
    for (auto& c : info.key_type) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  }
  info.expired = X509_cmp_current_time(X509_get0_notAfter(cert)) < 0;
  return info;
}

}  // namespace

Result<ServerContext> make_server_context(const TlsFiles& files) {
  const std::string cert_what = "--tls-cert";
  const std::string key_what = "--tls-key";
  if (auto s = readable(cert_what, files.cert_file); !s.ok()) return s.error();
  if (auto s = readable(key_what, files.key_file); !s.ok()) return s.error();

  std::shared_ptr<ssl::context> context;
  try {
    context = std::make_shared<ssl::context>(ssl::context::tls_server);
  } catch (const std::exception& e) {  // only when OpenSSL cannot allocate
    return failure(std::string("cannot create a TLS context: ") + e.what());
  }
  SSL_CTX* raw = context->native_handle();
  SSL_CTX_set_min_proto_version(raw, TLS1_2_VERSION);
  SSL_CTX_set_max_proto_version(raw, 0);  // the newest OpenSSL has
  // No session resumption: a pairing is one short connection per device, so
  // neither a cache nor tickets (whose key would be one more secret) are kept.
  // For TLS 1.3, NO_TICKET only turns tickets stateful (still sent, useless
  // without a cache); sending none takes num_tickets 0.
  SSL_CTX_set_options(raw, SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_COMPRESSION | SSL_OP_NO_TICKET);
  SSL_CTX_clear_options(raw, SSL_OP_ALLOW_CLIENT_RENEGOTIATION);
  SSL_CTX_set_session_cache_mode(raw, SSL_SESS_CACHE_OFF);
  SSL_CTX_set_num_tickets(raw, 0);
  // Idle connections (most of them) hold no OpenSSL record buffers. Asio's
  // engine sets this on each SSL as well; here it does not depend on that.
  SSL_CTX_set_mode(raw, SSL_MODE_RELEASE_BUFFERS);
  // The relay's stream protects TLS 1.3 records itself after the handshake
  // (lean_tls_stream.hpp); the secrets go only to the connection asking.
  tls13::capture_traffic_secrets(raw);
  if (SSL_CTX_set_cipher_list(raw, kTls12Ciphers) != 1)
    return failure("this OpenSSL offers none of the TLS 1.2 ECDHE AEAD ciphers: " + openssl_reason());
  SSL_CTX_set_default_passwd_cb(raw, no_passphrase);

  if (SSL_CTX_use_certificate_chain_file(raw, files.cert_file.c_str()) != 1)
    return failure(cert_what + " " + files.cert_file + ": not a PEM certificate (" + openssl_reason() + ")");
  auto key = read_private_key(files.key_file);
  if (!key.ok()) return failure(key_what + " " + files.key_file + ": " + key.error().message);
  bool matches = SSL_CTX_use_PrivateKey(raw, key->get()) == 1 && SSL_CTX_check_private_key(raw) == 1;
  if (!matches)
    return failure(key_what + " " + files.key_file + " does not belong to the certificate in " + cert_what + " " +
                   files.cert_file);
  X509* leaf = SSL_CTX_get0_certificate(raw);
  if (leaf == nullptr) return failure(cert_what + " " + files.cert_file + ": no certificate");
  ERR_clear_error();
  return ServerContext{std::move(context), describe(leaf)};
}

Result<CertificateInfo> TlsContexts::load() {
  auto made = make_server_context(files_);
  if (!made.ok()) return made.error();
  std::lock_guard lock(mutex_);
  current_ = std::move(made->context);
  return made->info;
}

std::shared_ptr<ssl::context> TlsContexts::current() const {
  std::lock_guard lock(mutex_);
  return current_;
}

}  // namespace qrlogin::relay
