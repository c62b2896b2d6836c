#pragma once
// The CLI's exit codes (README "Exit codes"). Scripts branch on them, so
// they never change meaning.
#include <string_view>

#include "crypto/pairing/reason.hpp"

namespace qrlogin::cli {

enum class ExitCode : int {
  ok = 0,
  local_error = 1,      // cannot read the credential, cannot write the output, internal error
  usage = 2,            // bad flags or a bad link; nothing was sent
  code_mismatch = 3,    // the codes differ, a user refused, or the receiver refused the credential
  expired = 4,          // the code expired or was already used, or --timeout passed
  network = 5,          // the relay could not be reached or the connection was lost
  protocol = 6,         // the other side broke the protocol: possibly an attack
  intrusion = 7,        // someone else used this code
  app_refused = 8,      // --app: the application refused (a grant used, expired or revoked; a device token
                        // no longer valid; a code it did not make), or the credential was for another application
  too_many_attempts = 9,  // receive --code: three codes ended after a sender joined (wrong codes, or guesses);
                          // run it again when you are sure nobody else is trying
};

ExitCode exit_code_for(pairing::Reason reason) noexcept;
std::string_view exit_code_name(ExitCode code) noexcept;

}  // namespace qrlogin::cli
