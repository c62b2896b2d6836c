#include "relay/net/tls13_record.hpp"

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <limits>
#include <memory>
#include <string>

namespace qrlogin::relay::tls13 {

namespace {

struct SuiteInfo {
  const char* cipher;  // OpenSSL's fetch name
  const char* digest;
  std::size_t key_bytes;
  std::size_t hash_bytes;
};

const SuiteInfo& info(Suite suite) {
  static const SuiteInfo table[] = {
      {"AES-128-GCM", "SHA256", 16, 32},
      {"AES-256-GCM", "SHA384", 32, 48},
      {"ChaCha20-Poly1305", "SHA256", 32, 32},
  };
  return table[static_cast<std::size_t>(suite)];
}

// Fetched once: an implicit fetch on every record would look the algorithm
// up in the provider's tables each time.
const EVP_CIPHER* cipher(Suite suite) {
  static const std::array<EVP_CIPHER*, 3> fetched = [] {
    std::array<EVP_CIPHER*, 3> out{};
    for (std::size_t i = 0; i < out.size(); ++i)
      out[i] = EVP_CIPHER_fetch(nullptr, info(static_cast<Suite>(i)).cipher, nullptr);
    return out;
  }();
  return fetched[static_cast<std::size_t>(suite)];
}

const EVP_MD* digest(Suite suite) {
  static const std::array<EVP_MD*, 3> fetched = [] {
    std::array<EVP_MD*, 3> out{};
    for (std::size_t i = 0; i < out.size(); ++i) out[i] = EVP_MD_fetch(nullptr, info(static_cast<Suite>(i)).digest, nullptr);
    return out;
  }();
  return fetched[static_cast<std::size_t>(suite)];
}

// One cipher context per thread, keyed afresh for every record: a context
// per connection would hold about 1 KB of key schedule while it idles.
struct CipherCtxFree {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }
};
EVP_CIPHER_CTX* thread_cipher_ctx() {
  thread_local std::unique_ptr<EVP_CIPHER_CTX, CipherCtxFree> ctx(EVP_CIPHER_CTX_new());
  return ctx.get();
}

// Boost's error_category has a protected, non-virtual destructor by design
// (categories are static singletons, never deleted through the base).
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wnon-virtual-dtor"
class Category final : public boost::system::error_category {
 public:
  const char* name() const noexcept override { return "tls13 record"; }
  std::string message(int ev) const override {
    switch (static_cast<Error>(ev)) {
      case Error::bad_record_mac:
        return "a TLS record did not authenticate (bad_record_mac)";
      case Error::record_overflow:
        return "a TLS record is longer than TLS 1.3 allows (record_overflow)";
      case Error::unexpected_message:
        return "a TLS message that is not allowed after the handshake (unexpected_message)";
      case Error::decode_error:
        return "a malformed TLS alert or KeyUpdate (decode_error)";
      case Error::fatal_alert:
        return "the peer ended the TLS connection with an error alert";
      case Error::exhausted:
        return "the TLS sequence numbers of one key are used up";
      case Error::crypto_failure:
        return "the TLS record cipher could not run";
    }
    return "unknown TLS record error";
  }
};
#pragma GCC diagnostic pop

}  // namespace

const boost::system::error_category& category() {
  static const Category instance;
  return instance;
}

boost::system::error_code make_error_code(Error e) { return {static_cast<int>(e), category()}; }

std::optional<Suite> suite_of(std::uint16_t cipher_suite_id) {
  switch (cipher_suite_id) {
    case 0x1301:
      return Suite::aes_128_gcm_sha256;
    case 0x1302:
      return Suite::aes_256_gcm_sha384;
    case 0x1303:
      return Suite::chacha20_poly1305_sha256;
    default:
      return std::nullopt;
  }
}

std::size_t secret_bytes(Suite suite) { return info(suite).hash_bytes; }

bool expand_label(Suite suite, std::span<const std::uint8_t> secret, const char* label, std::span<std::uint8_t> out) {
  // HkdfLabel = length (2) || "tls13 " + label (1 + n) || context (1, empty),
  // then HKDF-Expand's first block: HMAC(secret, HkdfLabel || 0x01), which
  // is long enough because no output here is longer than the hash.
  const std::size_t label_bytes = std::strlen(label);
  if (out.size() > info(suite).hash_bytes || label_bytes > 32) return false;
  std::array<std::uint8_t, 2 + 1 + 6 + 32 + 1 + 1> input{};
  std::size_t n = 0;
  input[n++] = static_cast<std::uint8_t>(out.size() >> 8);
  input[n++] = static_cast<std::uint8_t>(out.size());
  input[n++] = static_cast<std::uint8_t>(6 + label_bytes);
  std::memcpy(input.data() + n, "tls13 ", 6);
  n += 6;
  std::memcpy(input.data() + n, label, label_bytes);
  n += label_bytes;
  input[n++] = 0;  // empty context
  input[n++] = 1;  // HKDF-Expand's block counter
  std::array<std::uint8_t, EVP_MAX_MD_SIZE> block{};
  unsigned int block_bytes = 0;
  bool ok = HMAC(digest(suite), secret.data(), static_cast<int>(secret.size()), input.data(), n, block.data(),
                 &block_bytes) != nullptr &&
            block_bytes >= out.size();
  if (ok) std::memcpy(out.data(), block.data(), out.size());
  OPENSSL_cleanse(block.data(), block.size());
  return ok;
}

TrafficKeys::~TrafficKeys() {
  OPENSSL_cleanse(secret_, sizeof secret_);
  OPENSSL_cleanse(key_, sizeof key_);
  OPENSSL_cleanse(iv_, sizeof iv_);
}

bool TrafficKeys::set(Suite suite, std::span<const std::uint8_t> secret) {
  const auto& s = info(suite);
  if (secret.size() != s.hash_bytes) return false;
  suite_ = suite;
  std::memcpy(secret_, secret.data(), secret.size());
  sequence_ = 0;
  return expand_label(suite, secret, "key", std::span(key_, s.key_bytes)) &&
         expand_label(suite, secret, "iv", std::span(iv_, sizeof iv_));
}

bool TrafficKeys::update() {
  const auto size = info(suite_).hash_bytes;
  std::uint8_t next[48];
  bool ok = expand_label(suite_, std::span(secret_, size), "traffic upd", std::span(next, size)) &&
            set(suite_, std::span(next, size));
  OPENSSL_cleanse(next, sizeof next);
  return ok;
}

std::span<const std::uint8_t> TrafficKeys::key() const { return {key_, info(suite_).key_bytes}; }

bool TrafficKeys::take_nonce(std::uint8_t (&nonce)[12]) {
  if (sequence_ == std::numeric_limits<std::uint64_t>::max()) return false;
  std::memcpy(nonce, iv_, sizeof nonce);
  for (int i = 0; i < 8; ++i) nonce[4 + i] ^= static_cast<std::uint8_t>(sequence_ >> (56 - 8 * i));
  ++sequence_;
  return true;
}

boost::system::error_code seal(TrafficKeys& keys, std::uint8_t type, std::span<const boost::asio::const_buffer> pieces,
                               std::size_t plaintext_bytes, std::uint8_t* out) {
  if (plaintext_bytes > kMaxPlaintext) return Error::record_overflow;
  std::uint8_t nonce[12];
  if (!keys.take_nonce(nonce)) return Error::exhausted;
  const std::size_t body = plaintext_bytes + 1 + kTagBytes;
  out[0] = kApplicationData;  // the outer type of every protected record
  out[1] = 0x03;
  out[2] = 0x03;
  out[3] = static_cast<std::uint8_t>(body >> 8);
  out[4] = static_cast<std::uint8_t>(body);

  EVP_CIPHER_CTX* ctx = thread_cipher_ctx();
  int n = 0;
  bool ok = ctx != nullptr && EVP_CipherInit_ex2(ctx, cipher(keys.suite()), keys.key().data(), nonce, 1, nullptr) == 1 &&
            EVP_CipherUpdate(ctx, nullptr, &n, out, static_cast<int>(kHeaderBytes)) == 1;
  std::uint8_t* at = out + kHeaderBytes;
  std::size_t left = plaintext_bytes;
  for (const auto& piece : pieces) {
    if (!ok || left == 0) break;
    auto take = std::min(piece.size(), left);
    ok = EVP_CipherUpdate(ctx, at, &n, static_cast<const std::uint8_t*>(piece.data()), static_cast<int>(take)) == 1;
    at += n;
    left -= take;
  }
  ok = ok && left == 0 && EVP_CipherUpdate(ctx, at, &n, &type, 1) == 1;
  at += ok ? n : 0;
  ok = ok && EVP_CipherFinal_ex(ctx, at, &n) == 1;
  at += ok ? n : 0;
  ok = ok && at == out + kHeaderBytes + plaintext_bytes + 1 &&
       EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_GET_TAG, static_cast<int>(kTagBytes), at) == 1;
  OPENSSL_cleanse(nonce, sizeof nonce);
  return ok ? boost::system::error_code{} : make_error_code(Error::crypto_failure);
}

Framing frame(std::span<const std::uint8_t> bytes) {
  Framing out;
  if (bytes.size() < kHeaderBytes) return out;
  std::size_t body = (static_cast<std::size_t>(bytes[3]) << 8) | bytes[4];
  if (body > kMaxCiphertext) {
    out.error = Error::record_overflow;
    return out;
  }
  out.record_bytes = kHeaderBytes + body;
  return out;
}

Opened open(TrafficKeys& keys, std::span<std::uint8_t> record) {
  Opened out;
  // After the handshake every record is protected; a plaintext alert or
  // change_cipher_spec is not allowed any more (RFC 8446 5, 5.1).
  if (record[0] != kApplicationData) {
    out.error = Error::unexpected_message;
    return out;
  }
  const std::size_t body = record.size() - kHeaderBytes;
  if (body < 1 + kTagBytes) {  // not even an inner type and a tag
    out.error = Error::bad_record_mac;
    return out;
  }
  std::uint8_t nonce[12];
  if (!keys.take_nonce(nonce)) {
    out.error = Error::exhausted;
    return out;
  }
  std::uint8_t* data = record.data() + kHeaderBytes;
  const std::size_t sealed = body - kTagBytes;
  EVP_CIPHER_CTX* ctx = thread_cipher_ctx();
  int n = 0;
  int tail = 0;
  bool ok = ctx != nullptr && EVP_CipherInit_ex2(ctx, cipher(keys.suite()), keys.key().data(), nonce, 0, nullptr) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_TAG, static_cast<int>(kTagBytes), data + sealed) == 1 &&
            EVP_CipherUpdate(ctx, nullptr, &n, record.data(), static_cast<int>(kHeaderBytes)) == 1;
  if (!ok) {
    out.error = Error::crypto_failure;
    OPENSSL_cleanse(nonce, sizeof nonce);
    return out;
  }
  ok = EVP_CipherUpdate(ctx, data, &n, data, static_cast<int>(sealed)) == 1 &&
       EVP_CipherFinal_ex(ctx, data + n, &tail) == 1 && static_cast<std::size_t>(n + tail) == sealed;
  OPENSSL_cleanse(nonce, sizeof nonce);
  if (!ok) {
    OPENSSL_cleanse(data, sealed);  // no unauthenticated plaintext stays behind
    out.error = Error::bad_record_mac;
    return out;
  }
  // The inner type is the last non-zero byte; zeros after it are padding.
  std::size_t end = sealed;
  while (end > 0 && data[end - 1] == 0) --end;
  if (end == 0) {
    out.error = Error::unexpected_message;
    return out;
  }
  out.type = data[end - 1];
  if (end - 1 > kMaxPlaintext) {
    out.error = Error::record_overflow;
    return out;
  }
  out.plaintext = std::span(data, end - 1);
  return out;
}

}  // namespace qrlogin::relay::tls13
