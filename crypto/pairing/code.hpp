#pragma once
// The typed code (docs/protocol.md, "Pairing by a typed code"):
//
//   N  nameplate, 7 digits: finds the channel; public
//   P  password, 6 digits: the secret; never leaves the two devices
//   C  check digit, Damm(N || P): catches every single-digit typo and every
//      swap of neighbouring digits before a guess is spent
//   code = N || P || C, 14 digits, shown as "NNN NNNN - PPP PPPC"
//
// Everything that holds P (the code, its display and spoken forms, the
// typed text once parsed) is a SecretString, wiped when dropped.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "crypto/pairing/channel.hpp"
#include "crypto/pairing/code_error.hpp"
#include "crypto/secret.hpp"

namespace qrlogin::pairing {

inline constexpr std::size_t kNameplateDigits = 7;
inline constexpr std::size_t kPasswordDigits = 6;
inline constexpr std::size_t kCodeDigits = kNameplateDigits + kPasswordDigits + 1;
// A draw u = uint32-be(4 random bytes) is used only below its bound, so that
// u mod 10^7 (N) and u mod 10^6 (P) are uniform; otherwise it is drawn again.
inline constexpr std::uint32_t kNameplateDrawBound = 4'290'000'000U;
inline constexpr std::uint32_t kPasswordDrawBound = 4'294'000'000U;
inline constexpr std::string_view kLabelCodeChannel = "qrlogin/v1 code channel";

class Code {
 public:
  // Takes the 14 digits as they are; parse_typed_code and draw_code are the
  // ways to get one that is checked.
  explicit Code(SecretString digits) : digits_(std::move(digits)) {}

  [[nodiscard]] std::string nameplate() const { return std::string(digits_.view().substr(0, kNameplateDigits)); }
  [[nodiscard]] std::string_view password() const noexcept {
    return digits_.view().substr(kNameplateDigits, kPasswordDigits);
  }
  [[nodiscard]] std::string_view digits() const noexcept { return digits_.view(); }
  // "482 1073 - 315 9065"
  [[nodiscard]] SecretString display() const;
  // One word per digit, a comma (a pause) per group: "4 8 2, 1 0 7 3, 3 1 5, 9 0 6 5".
  // For an aria-label and for speech.
  [[nodiscard]] SecretString spoken() const;

 private:
  SecretString digits_;
};

// The Damm check value of a digit string (0..9): the running value after
// every digit. A whole code is valid when it is 0.
[[nodiscard]] int damm(std::string_view digits) noexcept;

// N and P from one 4-byte draw each, or nullopt when the draw is at or above
// its bound and must be drawn again.
[[nodiscard]] std::optional<std::string> nameplate_from_draw(std::uint32_t u);
[[nodiscard]] std::optional<std::string> password_from_draw(std::uint32_t u);

// A fresh code from the system's CSPRNG.
[[nodiscard]] Code draw_code();

// What a person typed, normalised: separators (spaces of every width, tabs,
// line ends, dashes and minus signs) and the invisible characters that copy
// and paste carry are dropped; full-width, Arabic-Indic and Eastern
// Arabic-Indic digits become 0-9. Errors (CodeErrc, local: nothing is sent
// and no guess is spent), in this order: code_chars (any other character,
// or bytes that are not UTF-8), code_length (not 14 digits), code_check
// (the check digit does not match: a typo).
[[nodiscard]] Result<Code> parse_typed_code(std::string_view typed);

// cid_raw = SHA-256("qrlogin/v1 code channel" || N)[0..16), N as 7 ASCII digits.
[[nodiscard]] ChannelId code_channel_id(std::string_view nameplate);

}  // namespace qrlogin::pairing
