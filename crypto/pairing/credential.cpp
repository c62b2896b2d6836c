#include "crypto/pairing/credential.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include <nlohmann/json.hpp>

#include "crypto/pairing/constants.hpp"
#include "crypto/pairing/strict_json.hpp"

namespace qrlogin::pairing {

namespace {

constexpr std::string_view kSubject = "the credential";

Error credential_error(std::string message) { return make_error(Errc::bad_credential, std::move(message)); }

// JSON has no infinity or NaN; nlohmann would print them as null.
bool has_non_finite_number(const nlohmann::json& root) {
  std::vector<const nlohmann::json*> pending{&root};
  while (!pending.empty()) {
    const auto* value = pending.back();
    pending.pop_back();
    if (value->is_number_float() && !std::isfinite(value->get<double>())) return true;
    if (value->is_structured())
      for (const auto& child : *value) pending.push_back(&child);
  }
  return false;
}

Result<Secret> dump_limited(nlohmann::json& j) {
  if (has_non_finite_number(j)) {
    wipe_json(j);
    return credential_error("the credential has a number that is not finite (JSON has no infinity or NaN)");
  }
  SecretString text;
  try {
    text = SecretString(j.dump(-1, ' ', false, nlohmann::json::error_handler_t::strict));
  } catch (const nlohmann::json::exception&) {
    wipe_json(j);
    return credential_error("the credential or its label is not valid UTF-8 text");
  }
  wipe_json(j);
  Secret out = Secret::copy_of(text.bytes());
  text.wipe();
  if (out.size() > kMaxCredentialJsonBytes)
    return make_error(Errc::credential_too_large,
                      "the credential is too large: at most 65536 bytes of JSON can be sent");
  // What we send meets the rule every receiver applies (depth, above all).
  if (auto checked = check_strict_json(out.view(), Errc::bad_credential, kSubject); !checked) return checked.error();
  return out;
}

}  // namespace

Result<Secret> credential_json(const nlohmann::json& credential, std::string_view label) {
  nlohmann::json j = {{"credential", credential}};
  if (!label.empty()) j["label"] = std::string(label);
  return dump_limited(j);
}

Result<Secret> credential_json_from_text(ByteView text, std::string_view label) {
  if (text.size() > kMaxCredentialJsonBytes)
    return make_error(Errc::credential_too_large,
                      "the credential is too large: at most 65536 bytes of JSON can be sent");
  nlohmann::json j = {{"credential", std::string(as_chars(text))}};
  if (!label.empty()) j["label"] = std::string(label);
  return dump_limited(j);
}

Result<Secret> pad_credential(ByteView json) {
  if (json.size() > kMaxCredentialJsonBytes)
    return make_error(Errc::credential_too_large,
                      "the credential is too large: at most 65536 bytes of JSON can be sent");
  std::size_t framed = 4 + json.size();
  std::size_t padded = (framed + kPaddingBlock - 1) / kPaddingBlock * kPaddingBlock;
  Secret out(padded);  // zero-filled: the padding
  auto bytes = out.bytes();
  auto len = static_cast<std::uint32_t>(json.size());
  bytes[0] = static_cast<std::uint8_t>(len >> 24);
  bytes[1] = static_cast<std::uint8_t>(len >> 16);
  bytes[2] = static_cast<std::uint8_t>(len >> 8);
  bytes[3] = static_cast<std::uint8_t>(len);
  std::copy(json.begin(), json.end(), bytes.begin() + 4);
  return out;
}

Result<ReceivedCredential> unpad_credential(ByteView plaintext) {
  if (plaintext.empty() || plaintext.size() % kPaddingBlock != 0 || plaintext.size() > kMaxPaddedCredentialBytes)
    return credential_error("the credential's padded length is not a multiple of 256 bytes");
  std::size_t len = (std::size_t{plaintext[0]} << 24) | (std::size_t{plaintext[1]} << 16) |
                    (std::size_t{plaintext[2]} << 8) | plaintext[3];
  if (len > kMaxCredentialJsonBytes) return credential_error("the credential's length field is over 65536 bytes");
  if (len > plaintext.size() - 4) return credential_error("the credential's length field is larger than the message");
  if (plaintext.size() - (4 + len) >= kPaddingBlock)
    return credential_error("the credential carries more padding than its length needs");
  std::uint8_t nonzero = 0;
  for (auto b : plaintext.subspan(4 + len)) nonzero |= b;
  if (nonzero != 0) return credential_error("the credential's padding is not all zero bytes");

  auto parsed = parse_strict_json(plaintext.subspan(4, len), Errc::bad_credential, kSubject);
  if (!parsed) return parsed.error();
  auto& j = *parsed;
  if (!j.is_object() || !j.contains("credential")) {
    wipe_json(j);
    return credential_error("the credential message has no \"credential\" member");
  }
  ReceivedCredential out;
  if (j.contains("label")) {
    if (!j["label"].is_string()) {
      wipe_json(j);
      return credential_error("the credential's label is not a string");
    }
    out.label = j["label"].get<std::string>();
  }
  auto& value = j["credential"];
  out.is_string = value.is_string();
  if (out.is_string) {
    out.bytes = Secret::copy_of(as_bytes(value.get_ref<const std::string&>()));
  } else {
    SecretString dumped(value.dump());
    out.bytes = Secret::copy_of(dumped.bytes());
  }
  wipe_json(j);
  return out;
}

}  // namespace qrlogin::pairing
