#include "crypto/hash.hpp"

#include <sodium.h>

#include <algorithm>

#include "crypto/random.hpp"

namespace qrlogin {

namespace {
// libsodium declares its pointers non-null even for zero lengths.
const std::uint8_t* nonnull(ByteView bytes) noexcept {
  static const std::uint8_t kEmpty = 0;
  return bytes.empty() ? &kEmpty : bytes.data();
}

// Wipes the HMAC state (it holds the padded key) whatever happens.
struct HmacState {
  crypto_auth_hmacsha256_state state;
  explicit HmacState(ByteView key) {
    ensure_sodium_initialised();
    crypto_auth_hmacsha256_init(&state, nonnull(key), key.size());
  }
  ~HmacState() { sodium_memzero(&state, sizeof state); }
  HmacState(const HmacState&) = delete;
  HmacState& operator=(const HmacState&) = delete;
  void update(ByteView part) { crypto_auth_hmacsha256_update(&state, nonnull(part), part.size()); }
  void final(std::uint8_t* out) { crypto_auth_hmacsha256_final(&state, out); }
};
}  // namespace

Sha256Digest sha256(std::initializer_list<ByteView> parts) {
  ensure_sodium_initialised();
  crypto_hash_sha256_state state;
  crypto_hash_sha256_init(&state);
  for (auto part : parts) crypto_hash_sha256_update(&state, nonnull(part), part.size());
  Sha256Digest out{};
  crypto_hash_sha256_final(&state, out.data());
  return out;
}

Sha256Digest hmac_sha256(ByteView key, std::initializer_list<ByteView> parts) {
  HmacState mac(key);
  for (auto part : parts) mac.update(part);
  Sha256Digest out{};
  mac.final(out.data());
  return out;
}

bool hmac_sha256_verify(ByteView key, ByteView message, ByteView tag) {
  if (tag.size() < 10 || tag.size() > kSha256Bytes) return false;
  auto expected = hmac_sha256(key, {message});
  bool equal = ct_equal(ByteView(expected).first(tag.size()), tag);
  secure_wipe(expected);
  return equal;
}

Secret hkdf_extract(ByteView salt, ByteView ikm) {
  // RFC 5869: an absent salt is HashLen zero bytes, which HMAC pads to the
  // same block as an empty key.
  Secret prk(kSha256Bytes);
  HmacState mac(salt);
  mac.update(ikm);
  mac.final(prk.bytes().data());
  return prk;
}

Result<Secret> hkdf_expand(ByteView prk, ByteView info, std::size_t length) {
  if (length > kHkdfMaxOutput)
    return make_error(crypto::Errc::limit_exceeded, "HKDF-SHA256 cannot produce more than 8160 bytes");
  Secret okm(length);
  // T(i) lives for this call only, on the stack beside the HMAC state that
  // holds the PRK, and is wiped with it (a guarded region of its own would
  // cost more than the whole expansion).
  Sha256Digest block{};
  std::size_t done = 0;
  for (std::uint8_t counter = 1; done < length; ++counter) {
    HmacState mac(prk);
    if (counter > 1) mac.update(block);
    mac.update(info);
    mac.update(ByteView(&counter, 1));
    mac.final(block.data());
    std::size_t take = std::min(kSha256Bytes, length - done);
    std::copy_n(block.begin(), take, okm.bytes().begin() + static_cast<std::ptrdiff_t>(done));
    done += take;
  }
  sodium_memzero(block.data(), block.size());
  return okm;
}

Result<Secret> hkdf(ByteView salt, ByteView ikm, ByteView info, std::size_t length) {
  auto prk = hkdf_extract(salt, ikm);
  return hkdf_expand(prk.view(), info, length);
}

}  // namespace qrlogin
