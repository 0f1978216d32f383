#pragma once
// Pure parsers for the parts of an HTTP request that pitd interprets itself: the Authorization
// scheme (RFC 6750), If-Match (RFC 9110 §13.1.1), media types (RFC 9110 §8.3.1), request ids,
// paths and www-form-urlencoded text (query strings and introspection's form body). No I/O and
// no state, so each rule is tested with plain strings.
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "commands/command.h"

namespace pitlog::server::http {

// The credentials of `Authorization: Bearer <credentials>` (scheme case-insensitive, surrounding
// whitespace dropped), or nullopt when the header uses another scheme or none. An empty result
// means "Bearer" with nothing after it.
std::optional<std::string_view> bearerCredentials(std::string_view authorization);

// `Authorization: Basic <base64>` (RFC 7617, scheme case-insensitive) read as an OAuth client's
// credentials: RFC 6749 §2.3.1 form-urlencodes the client id and the secret before joining them
// with ':' and encoding them in base64.
struct BasicCredentials {
  bool wellFormed = false;   // valid base64 holding a ':' and escapes that decode
  std::string clientId;      // form-decoded
  std::string secret;        // form-decoded
  std::string secretAsSent;  // before form-decoding: many clients (`curl -u`) skip the encoding
};
// nullopt when the header uses another scheme than Basic.
std::optional<BasicCredentials> basicCredentials(std::string_view authorization);

// `*` or a comma-separated list of entity tags. Strong comparison: weak tags (W/"3") and tags
// that are not a version number in canonical decimal form are kept out of `versions`, so they
// never match. nullopt when the header is not valid If-Match syntax.
std::optional<commands::IfMatch> parseIfMatch(std::string_view header);

struct MediaType {
  std::string type;                    // lower case, e.g. "application/json"
  std::optional<std::string> charset;  // lower case, without quotes
};
// "type/subtype *( OWS ; OWS name=value )"; nullopt when malformed.
std::optional<MediaType> parseMediaType(std::string_view header);

// A request target's path ("/v1/scopes") split at '/' and percent-decoded per segment. nullopt
// when it does not start with '/', has an empty segment ("//", a trailing '/'), or a bad escape.
// "/" alone yields no segments.
std::optional<std::vector<std::string>> splitPath(std::string_view path);

// X-Pitlog-Min-Position: a log position, 1*DIGIT (RFC 9110's form of a number: no sign, no
// spaces) that fits in 64 bits. nullopt otherwise.
std::optional<uint64_t> parsePosition(std::string_view header);

using FormFields = std::vector<std::pair<std::string, std::string>>;
// application/x-www-form-urlencoded: '&'-separated name=value pairs, '+' as space, %XX escapes.
// Empty pairs ("a=1&&b=2") are skipped. nullopt on a bad escape.
std::optional<FormFields> parseForm(std::string_view text);

}  // namespace pitlog::server::http
