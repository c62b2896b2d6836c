#include "cli/answer.hpp"

#include <cctype>
#include <string>

namespace qrlogin::cli {

Answer interpret_answer(std::string_view line) {
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.front()))) line.remove_prefix(1);
  while (!line.empty() && std::isspace(static_cast<unsigned char>(line.back()))) line.remove_suffix(1);
  std::string lower;
  for (char c : line) lower.push_back(static_cast<char>(std::tolower(static_cast<unsigned char>(c))));
  if (lower == "y" || lower == "yes") return {AnswerKind::yes, {}};
  if (lower == "n" || lower == "no") return {AnswerKind::no, {}};
  if (lower == kOwnDevicePhrase) return {AnswerKind::own_device, {}};
  int digits = 0;
  bool only_digits_and_spaces = !line.empty();
  for (char c : line) {
    if (std::isdigit(static_cast<unsigned char>(c))) ++digits;
    else if (c != ' ') only_digits_and_spaces = false;
  }
  if (only_digits_and_spaces && digits == 6) return {AnswerKind::typed_code, line};
  return {AnswerKind::unclear, {}};
}

}  // namespace qrlogin::cli
