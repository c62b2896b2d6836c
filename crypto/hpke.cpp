#include "crypto/hpke.hpp"

#include <algorithm>

#include "crypto/hash.hpp"
#include "crypto/internal.hpp"

namespace qrlogin::hpke {

namespace {

constexpr std::string_view kVersionLabel = "HPKE-v1";

Bytes kem_suite_id() { return concat({as_bytes("KEM"), i2osp(kKemX25519Sha256, 2)}); }

Bytes hpke_suite_id(aead::Algorithm alg) {
  return concat({as_bytes("HPKE"), i2osp(kKemX25519Sha256, 2), i2osp(kKdfHkdfSha256, 2),
                 i2osp(static_cast<std::uint16_t>(alg), 2)});
}

Secret labeled_extract(ByteView suite_id, ByteView salt, std::string_view label, ByteView ikm) {
  Bytes labeled = concat({as_bytes(kVersionLabel), suite_id, as_bytes(label), ikm});
  Secret prk = hkdf_extract(salt, labeled);
  secure_wipe(labeled);
  return prk;
}

// LabeledExtract of public input with an empty salt (psk_id_hash and
// info_hash in mode_base): a public value, not a Secret.
Sha256Digest labeled_extract_public(ByteView suite_id, std::string_view label, ByteView ikm) {
  return hmac_sha256({}, {as_bytes(kVersionLabel), suite_id, as_bytes(label), ikm});
}

Result<Secret> labeled_expand(ByteView suite_id, ByteView prk, std::string_view label, ByteView info,
                              std::size_t length) {
  if (length > 0xffff) return make_error(crypto::Errc::limit_exceeded, "HPKE cannot expand more than 65535 bytes");
  Bytes labeled_info = concat({i2osp(length, 2), as_bytes(kVersionLabel), suite_id, as_bytes(label), info});
  return hkdf_expand(prk, labeled_info, length);
}

// DHKEM ExtractAndExpand (RFC 9180 §4.1).
Result<Secret> extract_and_expand(ByteView dh, ByteView kem_context) {
  auto suite = kem_suite_id();
  Secret eae_prk = labeled_extract(suite, {}, "eae_prk", dh);
  return labeled_expand(suite, eae_prk.view(), "shared_secret", kem_context, x25519::kSharedSecretBytes);
}

// KeySchedule (RFC 9180 §5.1) for mode_base (no psk) and mode_psk.
Result<Context> key_schedule(aead::Algorithm alg, std::uint8_t mode, ByteView shared_secret, ByteView info,
                             ByteView psk, ByteView psk_id, internal::KeyScheduleTrace* trace) {
  auto suite = hpke_suite_id(alg);
  auto psk_id_hash = labeled_extract_public(suite, "psk_id_hash", psk_id);
  auto info_hash = labeled_extract_public(suite, "info_hash", info);
  Bytes context = concat({i2osp(mode, 1), psk_id_hash, info_hash});
  Secret secret = labeled_extract(suite, shared_secret, "secret", psk);

  auto key = labeled_expand(suite, secret.view(), "key", context, aead::key_bytes(alg));
  auto base_nonce = labeled_expand(suite, secret.view(), "base_nonce", context, aead::kNonceBytes);
  auto exporter = labeled_expand(suite, secret.view(), "exp", context, kSha256Bytes);
  if (!key || !base_nonce || !exporter) return make_error(crypto::Errc::internal, "HPKE key schedule failed");
  if (trace) {
    trace->shared_secret = Secret::copy_of(shared_secret);
    trace->key = Secret::copy_of(key->view());
    trace->base_nonce = Secret::copy_of(base_nonce->view());
    trace->exporter_secret = Secret::copy_of(exporter->view());
  }
  auto aead = SequencedAead::create(alg, std::move(key).value(), std::move(base_nonce).value());
  if (!aead) return aead.error();
  return Context(std::move(aead).value(), std::move(exporter).value());
}

// VerifyPSKInputs (RFC 9180 §5.1.2) for mode_psk, with its "SHOULD be at
// least 32 bytes" made a rule: a short psk is refused, not used.
Status check_psk(ByteView psk, ByteView psk_id) {
  if (psk.empty() || psk_id.empty())
    return make_error(crypto::Errc::invalid_argument, "HPKE mode_psk needs both a psk and a psk_id");
  if (psk.size() < kMinPskBytes)
    return make_error(crypto::Errc::invalid_argument, "an HPKE psk must have at least 32 bytes");
  return {};
}

Status check_algorithm(aead::Algorithm alg) {
  if (alg != aead::Algorithm::aes128_gcm && alg != aead::Algorithm::aes256_gcm)
    return make_error(crypto::Errc::invalid_argument, "unsupported HPKE AEAD id");
  return {};
}

}  // namespace

Result<SequencedAead> SequencedAead::create(aead::Algorithm alg, Secret key, Secret base_nonce) {
  if (key.size() != aead::key_bytes(alg))
    return make_error(crypto::Errc::invalid_argument, "AEAD key of the wrong size");
  if (base_nonce.size() != aead::kNonceBytes)
    return make_error(crypto::Errc::invalid_argument, "AEAD base nonce of the wrong size (12 bytes expected)");
  return SequencedAead(alg, std::move(key), std::move(base_nonce));
}

Result<std::array<std::uint8_t, aead::kNonceBytes>> SequencedAead::next_nonce() const {
  // RFC 9180 allows 2^96 - 1 messages; a 64-bit counter stops earlier, at a
  // bound no pairing comes near.
  if (seq_ == UINT64_MAX) return make_error(crypto::Errc::limit_exceeded, "HPKE message limit reached");
  std::array<std::uint8_t, aead::kNonceBytes> nonce{};
  std::copy_n(base_nonce_.view().begin(), nonce.size(), nonce.begin());
  auto seq = i2osp(seq_, aead::kNonceBytes);
  for (std::size_t i = 0; i < nonce.size(); ++i) nonce[i] ^= seq[i];
  return nonce;
}

Result<Bytes> SequencedAead::seal(ByteView aad, ByteView plaintext) {
  auto nonce = next_nonce();
  if (!nonce) return nonce.error();
  auto ct = aead::seal(alg_, key_.view(), *nonce, aad, plaintext);
  if (ct) ++seq_;
  return ct;
}

Result<Secret> SequencedAead::open(ByteView aad, ByteView ciphertext) {
  auto nonce = next_nonce();
  if (!nonce) return nonce.error();
  auto pt = aead::open(alg_, key_.view(), *nonce, aad, ciphertext);
  if (pt) ++seq_;
  return pt;
}

Result<Secret> Context::export_secret(ByteView exporter_context, std::size_t length) const {
  if (length > kHkdfMaxOutput) return make_error(crypto::Errc::limit_exceeded, "HPKE export is limited to 8160 bytes");
  return labeled_expand(hpke_suite_id(aead_.algorithm()), exporter_.view(), "sec", exporter_context, length);
}

Result<SenderSetup> setup_base_sender(aead::Algorithm alg, ByteView pk_receiver, ByteView info) {
  return internal::hpke_setup_base_sender(alg, pk_receiver, info, system_rng());
}

Result<Context> setup_base_receiver(aead::Algorithm alg, ByteView enc, ByteView sk_receiver, ByteView info) {
  return internal::hpke_setup_base_receiver(alg, enc, sk_receiver, info, nullptr);
}

// The one place that reads an EphemeralKey's secret half.
struct EphemeralKeyUse {
  static x25519::KeyPair& pair(EphemeralKey& key) { return key.pair_; }
};

EphemeralKey EphemeralKey::generate() { return internal::hpke_ephemeral_key(system_rng()); }

Result<SenderSetup> setup_psk_sender(aead::Algorithm alg, EphemeralKey ephemeral, ByteView pk_receiver, ByteView info,
                                     ByteView psk, ByteView psk_id) {
  return internal::hpke_setup_psk_sender(alg, std::move(ephemeral), pk_receiver, info, psk, psk_id, nullptr);
}

Result<Context> setup_psk_receiver(aead::Algorithm alg, ByteView enc, ByteView sk_receiver, ByteView info,
                                   ByteView psk, ByteView psk_id) {
  return internal::hpke_setup_psk_receiver(alg, enc, sk_receiver, info, psk, psk_id, nullptr);
}

Result<x25519::KeyPair> derive_key_pair(ByteView ikm) {
  auto suite = kem_suite_id();
  Secret dkp_prk = labeled_extract(suite, {}, "dkp_prk", ikm);
  auto sk = labeled_expand(suite, dkp_prk.view(), "sk", {}, x25519::kSecretKeyBytes);
  if (!sk) return sk.error();
  return x25519::from_secret(sk->view());
}

}  // namespace qrlogin::hpke

namespace qrlogin::internal {

Result<hpke::SenderSetup> hpke_setup_base_sender(aead::Algorithm alg, ByteView pk_receiver, ByteView info, Rng& rng,
                                                 KeyScheduleTrace* trace) {
  using namespace hpke;
  if (auto st = check_algorithm(alg); !st) return st.error();
  auto ephemeral = x25519_generate(rng);
  auto dh = x25519::shared_secret(ephemeral.secret_key.view(), pk_receiver);
  if (!dh) return dh.error();
  Bytes kem_context = concat({ephemeral.public_key, pk_receiver});
  auto shared = extract_and_expand(dh->view(), kem_context);
  if (!shared) return shared.error();
  auto ctx = key_schedule(alg, kModeBase, shared->view(), info, {}, {}, trace);
  if (!ctx) return ctx.error();
  return SenderSetup{ephemeral.public_key, std::move(ctx).value()};
}

hpke::EphemeralKey hpke_ephemeral_key(Rng& rng) { return hpke::EphemeralKey(x25519_generate(rng)); }

Result<hpke::SenderSetup> hpke_setup_psk_sender(aead::Algorithm alg, hpke::EphemeralKey ephemeral, ByteView pk_receiver,
                                                ByteView info, ByteView psk, ByteView psk_id, KeyScheduleTrace* trace) {
  using namespace hpke;
  if (auto st = check_algorithm(alg); !st) return st.error();
  if (auto st = check_psk(psk, psk_id); !st) return st.error();
  auto& pair = EphemeralKeyUse::pair(ephemeral);
  auto dh = x25519::shared_secret(pair.secret_key.view(), pk_receiver);
  pair.secret_key.wipe();  // used once
  if (!dh) return dh.error();
  Bytes kem_context = concat({pair.public_key, pk_receiver});
  auto shared = extract_and_expand(dh->view(), kem_context);
  if (!shared) return shared.error();
  auto ctx = key_schedule(alg, kModePsk, shared->view(), info, psk, psk_id, trace);
  if (!ctx) return ctx.error();
  return SenderSetup{pair.public_key, std::move(ctx).value()};
}

Result<hpke::Context> hpke_setup_psk_receiver(aead::Algorithm alg, ByteView enc, ByteView sk_receiver, ByteView info,
                                              ByteView psk, ByteView psk_id, KeyScheduleTrace* trace) {
  using namespace hpke;
  if (auto st = check_algorithm(alg); !st) return st.error();
  if (auto st = check_psk(psk, psk_id); !st) return st.error();
  if (enc.size() != kEncBytes) return make_error(crypto::Errc::bad_length, "HPKE enc must be 32 bytes");
  auto receiver = x25519::from_secret(sk_receiver);
  if (!receiver) return receiver.error();
  auto dh = x25519::shared_secret(sk_receiver, enc);
  if (!dh) return dh.error();
  Bytes kem_context = concat({enc, receiver->public_key});
  auto shared = extract_and_expand(dh->view(), kem_context);
  if (!shared) return shared.error();
  return key_schedule(alg, kModePsk, shared->view(), info, psk, psk_id, trace);
}

Result<hpke::Context> hpke_setup_base_receiver(aead::Algorithm alg, ByteView enc, ByteView sk_receiver, ByteView info,
                                               KeyScheduleTrace* trace) {
  using namespace hpke;
  if (auto st = check_algorithm(alg); !st) return st.error();
  if (enc.size() != kEncBytes) return make_error(crypto::Errc::bad_length, "HPKE enc must be 32 bytes");
  auto receiver = x25519::from_secret(sk_receiver);
  if (!receiver) return receiver.error();
  auto dh = x25519::shared_secret(sk_receiver, enc);
  if (!dh) return dh.error();
  Bytes kem_context = concat({enc, receiver->public_key});
  auto shared = extract_and_expand(dh->view(), kem_context);
  if (!shared) return shared.error();
  return key_schedule(alg, kModeBase, shared->view(), info, {}, {}, trace);
}

}  // namespace qrlogin::internal
