#include "core/error.h"

#include "core/utf8.h"

namespace undersigned {

const char* CodeName(Code code) {
  switch (code) {
    case Code::kInvalidArgument:
      return "invalid_argument";
    case Code::kNotFound:
      return "not_found";
    case Code::kConflict:
      return "conflict";
    case Code::kUnauthenticated:
      return "unauthenticated";
    case Code::kForbidden:
      return "forbidden";
    case Code::kTooManyRequests:
      return "too_many_requests";
    case Code::kPayloadTooLarge:
      return "payload_too_large";
    case Code::kUnavailable:
      return "unavailable";
    case Code::kInternal:
      return "internal";
  }
  return "internal";
}

void CheckTextField(std::map<std::string, std::string>& errors, const std::string& field,
                    const std::string& value, std::size_t max_bytes, bool required,
                    bool allow_newlines) {
  if (!IsValidUtf8(value)) {
    errors[field] = "is not valid UTF-8 text";
  } else if (HasControlChars(value, allow_newlines)) {
    errors[field] = "contains control characters";
  } else if (required && Trim(value).empty()) {
    errors[field] = "is required";
  } else if (value.size() > max_bytes) {
    errors[field] = "is too long (at most " + std::to_string(max_bytes) + " bytes)";
  }
}

Error FieldErrors(std::map<std::string, std::string> errors) {
  Error e{Code::kInvalidArgument, "", std::move(errors), 0};
  for (const auto& [field, msg] : e.field_errors) {
    if (!e.message.empty()) e.message += " ";
    e.message += field + ": " + msg;
  }
  return e;
}

}  // namespace undersigned
