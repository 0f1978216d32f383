#include "commands/result.h"

namespace pitlog::commands {

const char* codeName(Code code) {
  switch (code) {
    case Code::ok: return "ok";
    case Code::invalidArgument: return "invalid_argument";
    case Code::unauthenticated: return "unauthenticated";
    case Code::permissionDenied: return "permission_denied";
    case Code::notFound: return "not_found";
    case Code::methodNotAllowed: return "method_not_allowed";
    case Code::conflict: return "conflict";
    case Code::versionMismatch: return "version_mismatch";
    case Code::payloadTooLarge: return "payload_too_large";
    case Code::unsupportedMediaType: return "unsupported_media_type";
    case Code::unavailable: return "unavailable";
    case Code::internal: return "internal";
  }
  return "internal";
}

int httpStatus(Code code) {
  switch (code) {
    case Code::ok: return 200;
    case Code::invalidArgument: return 400;
    case Code::unauthenticated: return 401;
    case Code::permissionDenied: return 403;
    case Code::notFound: return 404;
    case Code::methodNotAllowed: return 405;
    case Code::conflict: return 409;
    case Code::versionMismatch: return 412;
    case Code::payloadTooLarge: return 413;
    case Code::unsupportedMediaType: return 415;
    case Code::unavailable: return 503;
    case Code::internal: return 500;
  }
  return 500;
}

}  // namespace pitlog::commands
