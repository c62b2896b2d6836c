#pragma once
// What a user's line at the code prompt means.
#include <string_view>

namespace qrlogin::cli {

enum class AnswerKind { yes, no, typed_code, own_device, unclear };

// What the person types to say that a device on another network is their
// own (the deliberate step of docs/app-api.md): a phrase, not a "yes".
inline constexpr std::string_view kOwnDevicePhrase = "my device";

struct Answer {
  AnswerKind kind;
  std::string_view digits;  // for typed_code: the line as typed
};

// "y"/"yes" -> yes; "n"/"no" -> no; six digits (spaces allowed) -> typed
// code; kOwnDevicePhrase -> own_device; anything else -> unclear (ask again). Case and surrounding space
// are ignored.
Answer interpret_answer(std::string_view line);

}  // namespace qrlogin::cli
