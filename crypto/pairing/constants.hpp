#pragma once
// The qrlogin v1 wire constants (docs/protocol.md): message types, sizes and
// the ASCII labels that separate every derivation.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "crypto/aead.hpp"

namespace qrlogin::pairing {

enum class MessageType : std::uint8_t {
  hello = 0x01,
  ready = 0x02,
  reveal = 0x03,
  credential = 0x04,
  result = 0x05,
  abort = 0x06,
  // Pairing by a typed code only (docs/protocol.md): plain, not sealed.
  pake_r = 0x07,
  pake_s = 0x08,
  confirm_r = 0x09,
};

std::string_view message_name(MessageType type) noexcept;

inline constexpr aead::Algorithm kAead = aead::Algorithm::aes256_gcm;

inline constexpr std::size_t kCidRawBytes = 16;
inline constexpr std::size_t kCidTextChars = 22;
inline constexpr std::size_t kNonceBytes = 32;  // Ns and Nr
inline constexpr std::size_t kCommitBytes = 32;
inline constexpr std::size_t kPublicKeyTextChars = 43;

inline constexpr std::size_t kHelloFrameBytes = 1 + 32 + kCommitBytes;               // 65
inline constexpr std::size_t kSealedNonceFrameBytes = 1 + kNonceBytes + aead::kTagBytes;  // 49
inline constexpr std::size_t kMaxCredentialJsonBytes = 65536;
inline constexpr std::size_t kPaddingBlock = 256;
inline constexpr std::size_t kMaxPaddedCredentialBytes = 65792;  // 4 + 65536 rounded up to 256
inline constexpr std::size_t kMaxFrameBytes = 1 + kMaxPaddedCredentialBytes + aead::kTagBytes;  // 65809
// RESULT and ABORT bodies (contract rev. 3): a JSON object padded with
// spaces to exactly 128 bytes, so the frame's size says nothing about how
// the pairing ended.
inline constexpr std::size_t kStatusBodyBytes = 128;
inline constexpr std::size_t kStatusFrameBytes = 1 + kStatusBodyBytes + aead::kTagBytes;  // 145
// The JSON rule (contract rev. 3) for every JSON body: arrays and objects
// nest at most this deep.
inline constexpr std::size_t kMaxJsonDepth = 32;

// Code mode (docs/protocol.md, "Pairing by a typed code").
inline constexpr std::size_t kSidBytes = 16;
inline constexpr std::size_t kPakeRFrameBytes = 1 + kSidBytes + 32 + 32;  // sid, Ya, pkR: 81
inline constexpr std::size_t kPakeSFrameBytes = 1 + 32 + 32 + 64;         // Yb, enc, tag_S: 129
inline constexpr std::size_t kConfirmRFrameBytes = 1 + 64;                // tag_R: 65
inline constexpr std::string_view kLabelCode = "qrlogin/v1 code";         // CI, psk_id and info
inline constexpr std::string_view kLabelCodeReceiver = "qrlogin/v1 R";    // ADa
inline constexpr std::string_view kLabelCodeSender = "qrlogin/v1 S";      // ADb

inline constexpr std::string_view kLinkVersionPrefix = "v1.";
inline constexpr std::string_view kLabelChannel = "qrlogin/v1 channel";
inline constexpr std::string_view kLabelInfo = "qrlogin/v1";
inline constexpr std::string_view kLabelCommit = "qrlogin/v1 commit";
inline constexpr std::string_view kLabelSas = "qrlogin/v1 sas";
inline constexpr std::string_view kLabelResponseKey = "qrlogin/v1 response key";
inline constexpr std::string_view kLabelResponseNonce = "qrlogin/v1 response nonce";

}  // namespace qrlogin::pairing
