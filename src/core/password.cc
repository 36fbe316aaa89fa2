#include "core/password.h"

#include <map>
#include <string>

#include "core/utf8.h"

namespace undersigned {

Result<void> CheckPassword(std::string_view password) {
  std::string problem;
  if (!IsValidUtf8(password) || HasControlChars(password, /*allow_newlines=*/false)) {
    problem = "must be text without control characters";
  } else if (password.size() > kMaxPasswordBytes) {
    problem = "must be at most " + std::to_string(kMaxPasswordBytes) + " bytes long";
  } else {
    std::size_t chars = 0;
    for (unsigned char c : password) chars += (c & 0xc0) != 0x80;
    if (chars < kMinPasswordChars) {
      problem = "must be at least " + std::to_string(kMinPasswordChars) +
                " characters long (a few words make a good one)";
    }
  }
  if (problem.empty()) return {};
  return Fail(FieldErrors({{"password", problem}}));
}

}  // namespace undersigned
