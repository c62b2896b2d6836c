#pragma once
// TLS 1.3 record protection (RFC 8446 5.2-5.5, 7.1-7.3) for the
// application-data phase of a connection whose handshake OpenSSL did.
// OpenSSL's own state for a finished connection is about 15 KB; these
// keys are about 200 bytes, so a relay that holds many idle wss
// connections takes over the records once the handshake is done
// (lean_tls_stream.cpp) and frees OpenSSL's connection.
//
// Only what a server needs after the handshake: the three AEAD suites
// OpenSSL offers for TLS 1.3, and KeyUpdate. Every function works on
// caller-owned bytes and reports failure as a tls13::Error; nothing here
// allocates, logs or throws. Keys are wiped when a TrafficKeys is destroyed
// or replaced.
#include <boost/asio/buffer.hpp>
#include <boost/system/error_code.hpp>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>

namespace qrlogin::relay::tls13 {

// RFC 8446 5.1 and 5.2.
inline constexpr std::size_t kHeaderBytes = 5;
inline constexpr std::size_t kTagBytes = 16;
inline constexpr std::size_t kMaxPlaintext = 16384;
inline constexpr std::size_t kMaxCiphertext = kMaxPlaintext + 256;
inline constexpr std::size_t kMaxRecord = kHeaderBytes + kMaxCiphertext;

// Content types (RFC 8446 5.1).
inline constexpr std::uint8_t kChangeCipherSpec = 20;
inline constexpr std::uint8_t kAlert = 21;
inline constexpr std::uint8_t kHandshake = 22;
inline constexpr std::uint8_t kApplicationData = 23;

enum class Suite : std::uint8_t { aes_128_gcm_sha256, aes_256_gcm_sha384, chacha20_poly1305_sha256 };

// The suite of a TLS 1.3 cipher suite id (0x1301..0x1303); none for the
// CCM suites and anything else.
std::optional<Suite> suite_of(std::uint16_t cipher_suite_id);
// The suite's hash length: the length of its traffic secrets.
std::size_t secret_bytes(Suite suite);

// Why a record was refused. Each maps to the alert RFC 8446 names.
enum class Error {
  bad_record_mac = 1,  // did not authenticate
  record_overflow,     // longer than RFC 8446 allows
  unexpected_message,  // not application data, an alert or a KeyUpdate
  decode_error,        // a malformed alert or KeyUpdate
  fatal_alert,         // the peer ended the connection with an error alert
  exhausted,           // 2^64 records under one key
  crypto_failure,      // OpenSSL could not run the cipher (allocation)
};
const boost::system::error_category& category();
boost::system::error_code make_error_code(Error e);

// One direction's keys: the traffic secret (kept for KeyUpdate), the AEAD
// key and IV derived from it, and the next record's sequence number.
class TrafficKeys {
 public:
  TrafficKeys() = default;
  TrafficKeys(const TrafficKeys&) = delete;
  TrafficKeys& operator=(const TrafficKeys&) = delete;
  ~TrafficKeys();

  // Derives key and IV from `secret` (secret_bytes(suite) long); sequence 0.
  [[nodiscard]] bool set(Suite suite, std::span<const std::uint8_t> secret);
  // KeyUpdate (RFC 8446 7.2): the next generation of secret, key and IV.
  [[nodiscard]] bool update();

  Suite suite() const { return suite_; }
  std::uint64_t sequence() const { return sequence_; }
  std::span<const std::uint8_t> key() const;
  // The next record's nonce (RFC 8446 5.3); false once the sequence numbers
  // are used up, which a connection must never wrap.
  [[nodiscard]] bool take_nonce(std::uint8_t (&nonce)[12]);

 private:
  Suite suite_ = Suite::aes_128_gcm_sha256;
  std::uint8_t secret_[48] = {};
  std::uint8_t key_[32] = {};
  std::uint8_t iv_[12] = {};
  std::uint64_t sequence_ = 0;
};

// The size of the record that carries `plaintext_bytes` (<= kMaxPlaintext).
constexpr std::size_t sealed_bytes(std::size_t plaintext_bytes) {
  return kHeaderBytes + plaintext_bytes + 1 + kTagBytes;
}

// Writes one record of inner type `type` carrying the first `plaintext_bytes`
// bytes of `pieces` to `out` (sealed_bytes(plaintext_bytes) long), and
// advances the sequence number.
boost::system::error_code seal(TrafficKeys& keys, std::uint8_t type, std::span<const boost::asio::const_buffer> pieces,
                               std::size_t plaintext_bytes, std::uint8_t* out);

// The length of the record that starts `bytes` once its header is there:
// none while fewer than kHeaderBytes are; record_overflow for a length
// RFC 8446 forbids, as soon as the header shows it.
struct Framing {
  std::size_t record_bytes = 0;  // 0: header not complete yet
  boost::system::error_code error;
};
Framing frame(std::span<const std::uint8_t> bytes);

// Authenticates and decrypts one whole record (as frame() measured it) in
// place, and advances the sequence number. On success `type` is its inner
// content type and `plaintext` points into `record`.
struct Opened {
  std::uint8_t type = 0;
  std::span<std::uint8_t> plaintext;
  boost::system::error_code error;
};
Opened open(TrafficKeys& keys, std::span<std::uint8_t> record);

// HKDF-Expand-Label (RFC 8446 7.1) with an empty context, for lengths up to
// the hash's: exposed for the tests' RFC 8448 vectors.
[[nodiscard]] bool expand_label(Suite suite, std::span<const std::uint8_t> secret, const char* label,
                                std::span<std::uint8_t> out);

}  // namespace qrlogin::relay::tls13

template <>
struct boost::system::is_error_code_enum<qrlogin::relay::tls13::Error> : std::true_type {};
