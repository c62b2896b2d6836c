#pragma once
// Test-only (qrlogin::pairing_testing): a Receiver and a Sender that draw
// their randomness from a given Rng instead of the system's CSPRNG, so that
// the transcript is reproduced byte for byte and a test can check when each
// value is drawn. Receiver::create and Sender::create, the only way the
// shipped code makes machines, always draw fresh keys from the system.
#include <string_view>

#include "crypto/pairing/code_receiver.hpp"
#include "crypto/pairing/code_sender.hpp"
#include "crypto/pairing/receiver.hpp"
#include "crypto/pairing/sender.hpp"
#include "crypto/random.hpp"
#include "crypto/testing/scripted_rng.hpp"

namespace qrlogin::pairing::testing {

using qrlogin::testing::ScriptedRng;

// rng must outlive the machine.
Result<Receiver> make_receiver(std::string_view page_url, std::string_view relay_url, Rng& rng,
                               Receiver::Options options = {});
Result<Sender> make_sender(const Link& link, Secret credential_json, Rng& rng);
// A sender that takes its credential when the user confirms (Sender::create(link)).
Result<Sender> make_deferred_sender(const Link& link, Rng& rng);

// Code mode. The receiver draws N and P (four bytes each, redrawn at their
// bounds), skR, sid and y_a; the sender y_b, then its HPKE key pair.
Result<CodeReceiver> make_code_receiver(std::string_view page_url, Rng& rng);
Result<CodeSender> make_code_sender(std::string_view page_url, Code code, Secret credential_json, Rng& rng);
Result<CodeSender> make_deferred_code_sender(std::string_view page_url, Code code, Rng& rng);

}  // namespace qrlogin::pairing::testing
