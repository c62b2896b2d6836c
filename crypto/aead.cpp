#include "crypto/aead.hpp"

#include <openssl/evp.h>

#include <algorithm>
#include <climits>
#include <memory>

namespace qrlogin::aead {

namespace {
struct CtxDeleter {
  void operator()(EVP_CIPHER_CTX* ctx) const noexcept { EVP_CIPHER_CTX_free(ctx); }  // also wipes
};
using CipherCtx = std::unique_ptr<EVP_CIPHER_CTX, CtxDeleter>;

const EVP_CIPHER* cipher_of(Algorithm alg) noexcept {
  return alg == Algorithm::aes128_gcm ? EVP_aes_128_gcm() : EVP_aes_256_gcm();
}

Status check_sizes(Algorithm alg, ByteView key, ByteView nonce, std::size_t data_size) {
  if (alg != Algorithm::aes128_gcm && alg != Algorithm::aes256_gcm)
    return make_error(crypto::Errc::invalid_argument, "unsupported AEAD algorithm");
  if (key.size() != key_bytes(alg)) return make_error(crypto::Errc::bad_length, "AES-GCM key has the wrong length");
  if (nonce.size() != kNonceBytes) return make_error(crypto::Errc::bad_length, "AES-GCM nonce must be 12 bytes");
  if (data_size > INT_MAX / 2) return make_error(crypto::Errc::limit_exceeded, "AES-GCM input is too large");
  return {};
}

int as_int(std::size_t n) noexcept { return static_cast<int>(n); }
}  // namespace

std::size_t key_bytes(Algorithm alg) noexcept { return alg == Algorithm::aes128_gcm ? 16 : 32; }

Result<Bytes> seal(Algorithm alg, ByteView key, ByteView nonce, ByteView aad, ByteView plaintext) {
  if (auto st = check_sizes(alg, key, nonce, plaintext.size() + aad.size()); !st) return st.error();
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return make_error(crypto::Errc::internal, "out of memory");
  Bytes out(plaintext.size() + kTagBytes);
  int len = 0;
  bool ok = EVP_EncryptInit_ex(ctx.get(), cipher_of(alg), nullptr, key.data(), nonce.data()) == 1 &&
            (aad.empty() || EVP_EncryptUpdate(ctx.get(), nullptr, &len, aad.data(), as_int(aad.size())) == 1) &&
            (plaintext.empty() ||
             EVP_EncryptUpdate(ctx.get(), out.data(), &len, plaintext.data(), as_int(plaintext.size())) == 1) &&
            EVP_EncryptFinal_ex(ctx.get(), out.data() + plaintext.size(), &len) == 1 &&
            EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_GET_TAG, kTagBytes, out.data() + plaintext.size()) == 1;
  if (!ok) return make_error(crypto::Errc::internal, "AES-GCM encryption failed in OpenSSL");
  return out;
}

Result<Secret> open(Algorithm alg, ByteView key, ByteView nonce, ByteView aad, ByteView ciphertext) {
  if (auto st = check_sizes(alg, key, nonce, ciphertext.size() + aad.size()); !st) return st.error();
  if (ciphertext.size() < kTagBytes)
    return make_error(crypto::Errc::bad_length, "ciphertext is shorter than its 16-byte tag");
  CipherCtx ctx(EVP_CIPHER_CTX_new());
  if (!ctx) return make_error(crypto::Errc::internal, "out of memory");
  std::size_t body = ciphertext.size() - kTagBytes;
  Secret plain(body);
  // OpenSSL wants a mutable tag pointer; copy the tag rather than cast.
  std::uint8_t tag[kTagBytes];
  std::copy(ciphertext.begin() + static_cast<std::ptrdiff_t>(body), ciphertext.end(), tag);
  int len = 0;
  bool setup = EVP_DecryptInit_ex(ctx.get(), cipher_of(alg), nullptr, key.data(), nonce.data()) == 1 &&
               (aad.empty() || EVP_DecryptUpdate(ctx.get(), nullptr, &len, aad.data(), as_int(aad.size())) == 1) &&
               (body == 0 ||
                EVP_DecryptUpdate(ctx.get(), plain.bytes().data(), &len, ciphertext.data(), as_int(body)) == 1) &&
               EVP_CIPHER_CTX_ctrl(ctx.get(), EVP_CTRL_GCM_SET_TAG, kTagBytes, tag) == 1;
  if (!setup) return make_error(crypto::Errc::internal, "AES-GCM decryption failed in OpenSSL");
  if (EVP_DecryptFinal_ex(ctx.get(), plain.bytes().data() + body, &len) != 1)
    return make_error(crypto::Errc::auth_failed, "message authentication failed (wrong key, or the data was altered)");
  return plain;  // on failure `plain` is wiped by its destructor
}

}  // namespace qrlogin::aead
