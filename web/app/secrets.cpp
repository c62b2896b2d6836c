#include "web/app/secrets.hpp"

#include "crypto/bytes.hpp"

namespace qrlogin::app {

IssuedSecret issue_secret(Rng& rng) {
  Secret raw(kSecretBytes);
  rng.fill(raw.bytes());
  std::string text = base64url_encode(raw.view());
  return IssuedSecret{SecretString(std::move(text)), sha256({raw.view()})};
}

std::optional<Sha256Digest> hash_presented_secret(std::string_view text) {
  if (text.size() != kSecretChars) return std::nullopt;
  auto raw = base64url_decode(text);
  if (!raw.ok() || raw->size() != kSecretBytes) return std::nullopt;
  auto digest = sha256({ByteView(*raw)});
  secure_wipe(std::span<std::uint8_t>(*raw));
  return digest;
}

}  // namespace qrlogin::app
