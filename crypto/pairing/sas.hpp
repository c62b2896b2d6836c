#pragma once
// The short authentication string both screens show: six digits derived
// from the HPKE exporter and both sides' nonces (commit-then-reveal).
#include <string>
#include <string_view>

#include "crypto/hpke.hpp"
#include "crypto/pairing/error.hpp"

namespace qrlogin::pairing {

inline constexpr std::size_t kSasDigits = 6;

// The code as "123 456".
Result<std::string> compute_sas(const hpke::Context& ctx, ByteView receiver_nonce, ByteView sender_nonce);

// True when what the user typed ("123456" or "123 456", spaces ignored) is
// the code; compared in constant time.
[[nodiscard]] bool sas_matches(std::string_view typed, std::string_view sas);

}  // namespace qrlogin::pairing
