#pragma once
// The introspection hot path without the Cap'n Proto JSON codec. Nearly every introspection body
// is `{"token":"pit_…"}`, perhaps with "requiredScope", and nearly every answer is
// `{"active":false}` or an active grant whose texts are plain ASCII. For exactly those, reading
// and writing by hand gives what the codec path gives, without its cost (a calloc'ed message
// segment per struct, a dynamic schema walk, a double printed by snprintf). Anything else --
// whitespace, escapes, other or repeated fields, non-ASCII, odd numbers -- is nullopt, and the
// caller takes the codec path, which owns every error message. tests/server/introspect_fast_test
// holds both paths to the same bytes.
#include <optional>
#include <string>
#include <string_view>

#include "commands/verify.h"

namespace pitlog::server::http {

struct PlainIntrospectRequest {
  std::string_view token;  // into the body
  std::optional<std::string_view> requiredScope;
};

// `{"token":"T"}`, `{"token":"T","requiredScope":"S"}` or `{"requiredScope":"S","token":"T"}`,
// T and S plain (printable ASCII, no `"` or `\`); nullopt for every other body.
std::optional<PlainIntrospectRequest> parsePlainIntrospectRequest(std::string_view body);

// Renderer::introspectionByCodec(v)'s bytes when every text in `v` is plain and its times are
// below 10^15 s; nullopt otherwise.
std::optional<std::string> renderPlainIntrospection(const commands::Verification& v);

}  // namespace pitlog::server::http
