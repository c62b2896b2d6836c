#include "crypto/cpace.hpp"

#include <sodium.h>

#include <algorithm>
#include <string_view>

#include "crypto/hash.hpp"

namespace qrlogin::cpace {

namespace {

constexpr std::string_view kDsi = "CPaceRistretto255";
constexpr std::string_view kDsiIsk = "CPaceRistretto255_ISK";
constexpr std::string_view kMacLabel = "CPaceMac";
constexpr std::string_view kPskInfo = "qrlogin/v1 code psk";
constexpr std::size_t kSha512BlockBytes = 128;  // H.s_in_bytes

static_assert(crypto_core_ristretto255_BYTES == kPointBytes);
static_assert(crypto_core_ristretto255_HASHBYTES == kHashBytes);
static_assert(crypto_scalarmult_ristretto255_SCALARBYTES == kScalarBytes);
static_assert(crypto_hash_sha512_BYTES == kHashBytes);
static_assert(crypto_auth_hmacsha512_BYTES == kTagBytes);

// libsodium declares its pointers non-null even for zero lengths.
const std::uint8_t* nonnull(ByteView bytes) noexcept {
  static const std::uint8_t kEmpty = 0;
  return bytes.empty() ? &kEmpty : bytes.data();
}

std::size_t leb128_size(std::size_t length) noexcept {
  std::size_t n = 1;
  while (length >= 128) {
    length >>= 7;
    ++n;
  }
  return n;
}

void append_prepend_len(Bytes& out, ByteView data) {
  std::size_t length = data.size();
  do {
    auto low = static_cast<std::uint8_t>(length & 0x7f);
    length >>= 7;
    out.push_back(length != 0 ? static_cast<std::uint8_t>(low | 0x80) : low);
  } while (length != 0);
  out.insert(out.end(), data.begin(), data.end());
}

// SHA-512 over parts, into a Secret; the state (which holds the input's
// last block) is wiped.
Secret sha512_secret(std::initializer_list<ByteView> parts) {
  ensure_sodium_initialised();
  crypto_hash_sha512_state state;
  crypto_hash_sha512_init(&state);
  for (auto part : parts) crypto_hash_sha512_update(&state, nonnull(part), part.size());
  Secret out(kHashBytes);
  crypto_hash_sha512_final(&state, out.bytes().data());
  sodium_memzero(&state, sizeof state);
  return out;
}

Error invalid_point(std::string_view what) {
  return make_error(crypto::Errc::invalid_point, std::string(what));
}

}  // namespace

Bytes prepend_len(ByteView data) {
  Bytes out;
  out.reserve(leb128_size(data.size()) + data.size());
  append_prepend_len(out, data);
  return out;
}

Bytes lv_cat(std::initializer_list<ByteView> parts) {
  std::size_t total = 0;
  for (auto part : parts) total += leb128_size(part.size()) + part.size();
  Bytes out;
  out.reserve(total);
  for (auto part : parts) append_prepend_len(out, part);
  return out;
}

Bytes transcript_ir(ByteView ya, ByteView ada, ByteView yb, ByteView adb) { return lv_cat({ya, ada, yb, adb}); }

Secret generator_string(ByteView prs, ByteView ci, ByteView sid) {
  std::size_t used = 1 + leb128_size(prs.size()) + prs.size() + leb128_size(kDsi.size()) + kDsi.size();
  std::size_t zpad_len = used < kSha512BlockBytes ? kSha512BlockBytes - used : 0;
  Bytes zpad(zpad_len, 0);
  Bytes built = lv_cat({as_bytes(kDsi), prs, zpad, ci, sid});
  Secret out = Secret::copy_of(built);
  secure_wipe(built);
  return out;
}

Secret generator_hash(ByteView prs, ByteView ci, ByteView sid) {
  Secret gen_str = generator_string(prs, ci, sid);
  return sha512_secret({gen_str.view()});
}

Result<Secret> generator(ByteView prs, ByteView ci, ByteView sid) {
  Secret hash = generator_hash(prs, ci, sid);
  Secret g(kPointBytes);
  crypto_core_ristretto255_from_hash(g.bytes().data(), hash.view().data());
  if (sodium_is_zero(g.view().data(), g.size()))
    return invalid_point("the CPace generator is the identity (draw a new code)");
  return g;
}

Secret sample_scalar(Rng& rng) {
  Secret y(kScalarBytes);
  rng.fill(y.bytes());
  y.bytes()[kScalarBytes - 1] &= 0x0F;
  return y;
}

Result<Point> scalar_mult(ByteView y, ByteView g) {
  ensure_sodium_initialised();
  if (y.size() != kScalarBytes || g.size() != kPointBytes)
    return make_error(crypto::Errc::bad_length, "a CPace scalar and point must be 32 bytes each");
  Point out{};
  if (crypto_scalarmult_ristretto255(out.data(), y.data(), g.data()) != 0)
    return invalid_point("y·g is the identity or g is not a ristretto255 point");
  return out;
}

Result<Secret> scalar_mult_vfy(ByteView y, ByteView X) {
  ensure_sodium_initialised();
  if (y.size() != kScalarBytes || X.size() != kPointBytes)
    return make_error(crypto::Errc::bad_length, "a CPace scalar and point must be 32 bytes each");
  Secret k(kPointBytes);
  // libsodium fails both when X is not a canonical ristretto255 encoding
  // and when the product is the identity: the draft's G.I, either way.
  if (crypto_scalarmult_ristretto255(k.bytes().data(), y.data(), X.data()) != 0 ||
      sodium_is_zero(k.view().data(), k.size()))
    return invalid_point("the peer's CPace share is not a valid ristretto255 point, or the identity");
  return k;
}

Secret isk(ByteView sid, ByteView K, ByteView ya, ByteView ada, ByteView yb, ByteView adb) {
  Bytes prefix = lv_cat({as_bytes(kDsiIsk), sid, K});
  Bytes transcript = transcript_ir(ya, ada, yb, adb);
  Secret out = sha512_secret({prefix, transcript});
  secure_wipe(prefix);  // holds K
  return out;
}

Secret mac_key(ByteView sid, ByteView session_key) {
  return sha512_secret({as_bytes(kMacLabel), sid, session_key});
}

Secret psk(ByteView session_key) {
  auto out = hkdf({}, session_key, as_bytes(kPskInfo), kPskBytes);
  // 32 bytes never exceed HKDF's limit.
  return std::move(out).value();
}

Tag tag(ByteView key, ByteView Y, ByteView ad) {
  ensure_sodium_initialised();
  Bytes message = lv_cat({Y, ad});
  crypto_auth_hmacsha512_state state;
  crypto_auth_hmacsha512_init(&state, nonnull(key), key.size());
  crypto_auth_hmacsha512_update(&state, message.data(), message.size());
  Tag out{};
  crypto_auth_hmacsha512_final(&state, out.data());
  sodium_memzero(&state, sizeof state);
  return out;
}

bool tag_matches(ByteView key, ByteView Y, ByteView ad, ByteView received) {
  if (received.size() != kTagBytes) return false;
  Tag expected = tag(key, Y, ad);
  bool equal = sodium_memcmp(expected.data(), received.data(), kTagBytes) == 0;
  sodium_memzero(expected.data(), expected.size());
  return equal;
}

Result<Share> start(ByteView prs, ByteView ci, ByteView sid, Rng& rng) {
  auto g = generator(prs, ci, sid);
  if (!g) return g.error();
  Secret y = sample_scalar(rng);
  auto Y = scalar_mult(y.view(), g->view());
  if (!Y) return Y.error();
  return Share{std::move(y), *Y};
}

Result<Keys> derive_keys(Role self, ByteView y, ByteView sid, ByteView ya, ByteView ada, ByteView yb, ByteView adb) {
  auto k = scalar_mult_vfy(y, self == Role::initiator ? yb : ya);
  if (!k) return k.error();
  Secret session_key = isk(sid, k->view(), ya, ada, yb, adb);
  return Keys{mac_key(sid, session_key.view()), psk(session_key.view())};
}

}  // namespace qrlogin::cpace
