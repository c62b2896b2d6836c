#pragma once
// Not part of qrlogin's API: integrators use x25519::generate() and
// hpke::setup_base_sender(), which draw from the system's CSPRNG.
//
// The same operations with the randomness taken from a given Rng, for
// qrlogin's own pairing machines (whose Rng only the test-only library
// crypto/pairing/testing can replace), and the key schedule's intermediate
// values, for the RFC 9180 vector tests.
#include "crypto/aead.hpp"
#include "crypto/bytes.hpp"
#include "crypto/error.hpp"
#include "crypto/hpke.hpp"
#include "crypto/random.hpp"
#include "crypto/secret.hpp"
#include "crypto/x25519.hpp"

namespace qrlogin::internal {

// A key pair whose 32 secret bytes are drawn from rng.
x25519::KeyPair x25519_generate(Rng& rng);

// The intermediate values of a key schedule. Never logged.
struct KeyScheduleTrace {
  Secret shared_secret;
  Secret key;
  Secret base_nonce;
  Secret exporter_secret;
};

// SetupBaseS with the ephemeral key drawn from rng (one draw of 32 bytes).
Result<hpke::SenderSetup> hpke_setup_base_sender(aead::Algorithm alg, ByteView pk_receiver, ByteView info, Rng& rng,
                                                 KeyScheduleTrace* trace = nullptr);
Result<hpke::Context> hpke_setup_base_receiver(aead::Algorithm alg, ByteView enc, ByteView sk_receiver, ByteView info,
                                               KeyScheduleTrace* trace);
// mode_psk's ephemeral key pair with its 32 secret bytes drawn from rng (one
// draw), and SetupPSKS / SetupPSKR with the key schedule's trace.
hpke::EphemeralKey hpke_ephemeral_key(Rng& rng);
Result<hpke::SenderSetup> hpke_setup_psk_sender(aead::Algorithm alg, hpke::EphemeralKey ephemeral, ByteView pk_receiver,
                                                ByteView info, ByteView psk, ByteView psk_id, KeyScheduleTrace* trace);
Result<hpke::Context> hpke_setup_psk_receiver(aead::Algorithm alg, ByteView enc, ByteView sk_receiver, ByteView info,
                                              ByteView psk, ByteView psk_id, KeyScheduleTrace* trace);

}  // namespace qrlogin::internal
