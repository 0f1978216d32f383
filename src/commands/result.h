#pragma once
// Outcomes of commands and queries. A rejected command is a value with a code, never an
// exception (expected outcomes are values); the codes are API.md's error codes.
#include <string>

namespace pitlog::commands {

enum class Code {
  ok,
  invalidArgument,     // 400
  unauthenticated,     // 401
  permissionDenied,    // 403
  notFound,            // 404
  methodNotAllowed,    // 405
  conflict,            // 409
  versionMismatch,     // 412
  payloadTooLarge,     // 413
  unsupportedMediaType,  // 415
  unavailable,         // 503
  internal,            // 500
};

// API.md's name of a code: "invalid_argument", "not_found", ...
const char* codeName(Code code);
int httpStatus(Code code);

struct [[nodiscard]] Error {
  Code code = Code::internal;
  std::string message;  // for a person; never holds a token
  std::string field;    // the input to blame, when one is
};

inline Error invalidArgument(std::string message, std::string field = {}) {
  return {Code::invalidArgument, std::move(message), std::move(field)};
}

}  // namespace pitlog::commands
