#include "relay/core/types.hpp"

#include <sodium.h>

#include <cstring>

#include "crypto/random.hpp"

namespace qrlogin::relay {

std::string_view role_name(Role role) noexcept {
  return role == Role::receiver ? "receiver" : "sender";
}

std::string_view kind_name(ChannelKind kind) noexcept { return kind == ChannelKind::code ? "code" : "qr"; }

namespace {
// Clients choose cids freely, so the table is keyed with SipHash under a
// per-process random key: nobody can aim many cids at one bucket.
struct HashKey {
  unsigned char key[crypto_shorthash_KEYBYTES];
  HashKey() {
    ensure_sodium_initialised();
    randombytes_buf(key, sizeof key);
  }
};
}  // namespace

std::size_t CidHash::operator()(const Cid& cid) const noexcept {
  static const HashKey hash_key;
  unsigned char out[crypto_shorthash_BYTES];
  crypto_shorthash(out, cid.data(), cid.size(), hash_key.key);
  std::uint64_t value = 0;
  std::memcpy(&value, out, sizeof value);
  return static_cast<std::size_t>(value);
}

}  // namespace qrlogin::relay
