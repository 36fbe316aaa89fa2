#include "core/error.h"

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

Error FieldErrors(std::map<std::string, std::string> errors) {
  Error e{Code::kInvalidArgument, "", std::move(errors), 0};
  for (const auto& [field, msg] : e.field_errors) {
    if (!e.message.empty()) e.message += " ";
    e.message += field + ": " + msg;
  }
  return e;
}

}  // namespace undersigned
