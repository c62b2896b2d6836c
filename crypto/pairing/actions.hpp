#pragma once
// What a pairing machine asks its driver to do. Drivers (the CLI, tests,
// fuzzers) carry the actions out in order.
#include <cstdint>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "crypto/pairing/credential.hpp"
#include "crypto/pairing/reason.hpp"

namespace qrlogin::pairing {

enum class PeerEvent { joined, left, back };

struct SendFrame {
  Bytes frame;  // a binary WebSocket frame for the relay
};
struct ShowSas {
  std::string code;  // "123 456"
};
struct PeerStatus {
  PeerEvent event;
};
// Receiver only: hand the credential to the application, which answers with
// Receiver::on_credential_handled.
struct DeliverCredential {
  ReceivedCredential credential;
};
// Sender only: the receiver's answer.
struct ShowResult {
  bool accepted;
  std::string reason;  // the receiver's reason text when not accepted (untrusted)
};
struct Aborted {
  Reason reason;
  std::string detail;  // the precise reason, or the peer's code, when `reason` does not say it
  // How an ending is shown (contract rev. 3): once READY was exchanged,
  // shown_after_ready(reason), with the precise reason as the detail.
  static Aborted shown(Reason reason, std::string detail, bool after_ready) {
    Reason as_shown = after_ready ? shown_after_ready(reason) : reason;
    if (as_shown != reason && detail.empty()) detail = std::string(reason_code(reason));
    return Aborted{as_shown, std::move(detail)};
  }
};
// Code mode: the peer proved it knows the code (its CPace tag verified). The
// sender asks its user "Code accepted. Log in the device showing this code
// as <account>?"; a receiver ends any QR pairing it offered at the same time.
struct CodeVerified {};
// Code mode, receiver only: the credential arrived; ask the user, as a
// deliberate act, whether to accept the login from `label` (untrusted
// display text, may be empty). Answered by on_user_confirmed/rejected.
struct AskToAccept {
  std::string label;
};
// Close the relay connection normally (1000), which ends the channel.
struct CloseConnection {};

using Action = std::variant<SendFrame, ShowSas, PeerStatus, DeliverCredential, ShowResult, Aborted, CloseConnection,
                            CodeVerified, AskToAccept>;
using Actions = std::vector<Action>;

}  // namespace qrlogin::pairing
