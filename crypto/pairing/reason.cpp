#include "crypto/pairing/reason.hpp"

#include <array>
#include <utility>

namespace qrlogin::pairing {

namespace {
struct ReasonText {
  Reason reason;
  std::string_view code;
  std::string_view message;
};

constexpr std::array kReasons{
    ReasonText{Reason::sas_mismatch, "sas_mismatch", "the codes on the two screens did not match"},
    ReasonText{Reason::user_cancelled, "user_cancelled", "the pairing was cancelled"},
    ReasonText{Reason::timeout, "timeout", "the other device took too long"},
    ReasonText{Reason::possible_attack, "possible_attack",
               "the pairing failed after the devices exchanged their keys and may have been attacked"},
    ReasonText{Reason::bad_commit, "bad_commit",
               "the other device's code did not match what it committed to (possible attack)"},
    ReasonText{Reason::bad_message, "bad_message", "a message was altered or damaged in transit"},
    ReasonText{Reason::unexpected_message, "unexpected_message", "a message arrived out of order"},
    ReasonText{Reason::bad_key, "bad_key", "the other device sent an invalid key"},
    ReasonText{Reason::bad_credential, "bad_credential", "the credential that arrived is malformed"},
    ReasonText{Reason::intrusion, "intrusion", "someone else used this code: it has been discarded"},
    ReasonText{Reason::peer_aborted, "peer_aborted", "the other device ended the pairing"},
    ReasonText{Reason::rejected, "rejected", "the other device did not accept the credential"},
    ReasonText{Reason::expired, "expired", "this code has expired or was already used"},
    ReasonText{Reason::network, "network", "the connection to the relay was lost"},
    ReasonText{Reason::invalid_event, "invalid_event", "the pairing was used out of order by its application"},
    ReasonText{Reason::wrong_code, "wrong_code",
               "the code was not accepted: it was mistyped, has expired, or someone interfered"},
    ReasonText{Reason::code_in_use, "code_in_use",
               "someone else entered this code first: reject the login on the new device"},
    ReasonText{Reason::too_many_attempts, "too_many_attempts",
               "three attempts with codes failed: start again on the new device when you are ready"},
};
}  // namespace

std::string_view reason_code(Reason reason) noexcept {
  for (const auto& r : kReasons)
    if (r.reason == reason) return r.code;
  return "unknown";
}

std::string_view reason_message(Reason reason) noexcept {
  for (const auto& r : kReasons)
    if (r.reason == reason) return r.message;
  return "unknown failure";
}

Reason reason_from_peer_code(std::string_view code) noexcept {
  constexpr std::array kFromPeer{Reason::sas_mismatch,       Reason::user_cancelled, Reason::timeout,
                                 Reason::possible_attack,    Reason::bad_commit,     Reason::bad_message,
                                 Reason::unexpected_message, Reason::bad_key,        Reason::bad_credential,
                                 Reason::intrusion};
  for (auto reason : kFromPeer)
    if (reason_code(reason) == code) return reason;
  return Reason::peer_aborted;
}

Reason shown_after_ready(Reason reason) noexcept {
  switch (reason) {
    case Reason::user_cancelled:
    case Reason::sas_mismatch:
    case Reason::rejected:
    case Reason::intrusion:
    case Reason::possible_attack:
    case Reason::invalid_event:
    case Reason::wrong_code:  // its message already says someone may have interfered
      return reason;
    default:
      return Reason::possible_attack;
  }
}

}  // namespace qrlogin::pairing
