#include "cli/exit_codes.hpp"

namespace qrlogin::cli {

using pairing::Reason;

ExitCode exit_code_for(Reason reason) noexcept {
  switch (reason) {
    case Reason::sas_mismatch:
    case Reason::user_cancelled:
    case Reason::rejected:
    case Reason::wrong_code:
      return ExitCode::code_mismatch;
    case Reason::code_in_use:
      return ExitCode::intrusion;
    case Reason::too_many_attempts:
      return ExitCode::too_many_attempts;
    case Reason::timeout:
    case Reason::expired:
      return ExitCode::expired;
    case Reason::network:
      return ExitCode::network;
    case Reason::intrusion:
      return ExitCode::intrusion;
    case Reason::possible_attack:
    case Reason::bad_commit:
    case Reason::bad_message:
    case Reason::unexpected_message:
    case Reason::bad_key:
    case Reason::bad_credential:
    case Reason::peer_aborted:
      return ExitCode::protocol;
    case Reason::invalid_event:
      return ExitCode::local_error;
  }
  return ExitCode::local_error;
}

std::string_view exit_code_name(ExitCode code) noexcept {
  switch (code) {
    case ExitCode::ok: return "ok";
    case ExitCode::local_error: return "local_error";
    case ExitCode::usage: return "usage";
    case ExitCode::code_mismatch: return "code_mismatch";
    case ExitCode::expired: return "expired";
    case ExitCode::network: return "network";
    case ExitCode::protocol: return "protocol";
    case ExitCode::intrusion: return "intrusion";
    case ExitCode::app_refused: return "app_refused";
    case ExitCode::too_many_attempts: return "too_many_attempts";
  }
  return "unknown";
}

}  // namespace qrlogin::cli
