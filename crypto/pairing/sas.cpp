#include "crypto/pairing/sas.hpp"

#include <cstdio>

#include "crypto/hash.hpp"
#include "crypto/pairing/constants.hpp"

namespace qrlogin::pairing {

Result<std::string> compute_sas(const hpke::Context& ctx, ByteView receiver_nonce, ByteView sender_nonce) {
  if (receiver_nonce.size() != kNonceBytes || sender_nonce.size() != kNonceBytes)
    return make_error(Errc::invalid_argument, "SAS nonces must be 32 bytes each");
  auto sas_key = ctx.export_secret(as_bytes(kLabelSas), 32);
  if (!sas_key) return sas_key.error();
  auto mac = hmac_sha256(sas_key->view(), {as_bytes(kLabelSas), receiver_nonce, sender_nonce});
  std::uint64_t value = 0;
  for (std::size_t i = 0; i < 8; ++i) value = (value << 8) | mac[i];
  secure_wipe(mac);
  auto number = static_cast<unsigned>(value % 1000000);
  char text[8];
  std::snprintf(text, sizeof text, "%03u %03u", number / 1000, number % 1000);
  return std::string(text);
}

bool sas_matches(std::string_view typed, std::string_view sas) {
  std::string a, b;
  for (char c : typed)
    if (c != ' ') a.push_back(c);
  for (char c : sas)
    if (c != ' ') b.push_back(c);
  if (a.size() != kSasDigits || b.size() != kSasDigits) return false;
  return ct_equal(as_bytes(a), as_bytes(b));
}

}  // namespace qrlogin::pairing
