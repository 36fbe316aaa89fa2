// The one error type of undersigned. Every fallible function returns Result<T>; the code is
// protocol-neutral and only src/http/ maps it to an HTTP status (see http/status_map.cc).
#pragma once

#include <map>
#include <string>
#include <utility>

#include <tl/expected.hpp>

namespace undersigned {

enum class Code {
  kInvalidArgument,  // the caller sent something malformed; message says what to fix
  kNotFound,         // no such campaign, signature, token...
  kConflict,         // unique constraint, state transition not allowed
  kUnauthenticated,  // missing or bad API token
  kForbidden,        // authenticated but not allowed (e.g. CSRF failure)
  kTooManyRequests,  // rate limited; retry_after_seconds says when to come back
  kPayloadTooLarge,  // body or field over its limit
  kUnavailable,      // shutting down, store busy; try again later
  kInternal,         // a bug or an I/O failure we did not expect
};

// REQUIRES nothing; cheap to copy. field_errors holds per-field messages for forms
// ("email" -> "Enter an email address like name@example.org").
struct Error {
  Code code = Code::kInternal;
  std::string message;
  std::map<std::string, std::string> field_errors;
  int retry_after_seconds = 0;
};

template <typename T>
using Result = tl::expected<T, Error>;

inline tl::unexpected<Error> Fail(Code code, std::string message) {
  return tl::unexpected<Error>(Error{code, std::move(message), {}, 0});
}

inline tl::unexpected<Error> Fail(Error e) { return tl::unexpected<Error>(std::move(e)); }

// A form's errors (field -> message, for the person who typed it) as one kInvalidArgument
// Error whose message lists them all as "field: message".
Error FieldErrors(std::map<std::string, std::string> errors);

// Checks a text field of something an organizer defines (a campaign, a signer group): valid
// UTF-8, no control characters (newlines only if allow_newlines), present if required, at most
// max_bytes. On failure sets errors[field] to a message to follow the field's name ("is
// required").
void CheckTextField(std::map<std::string, std::string>& errors, const std::string& field,
                    const std::string& value, std::size_t max_bytes, bool required,
                    bool allow_newlines);

const char* CodeName(Code code);

}  // namespace undersigned
