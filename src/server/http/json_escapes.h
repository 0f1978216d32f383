#pragma once
// Works around Cap'n Proto 0.9.2's JSON decoder, which reads the hex digits a-f of a \uXXXX
// escape as 0-5 (so "\u00e9" decodes to "I") and does not join surrogate pairs. Clients escape
// non-ASCII text routinely (Python's json.dumps does by default), so every JSON text pitd
// decodes first goes through this rewrite: each \uXXXX escape inside a string becomes the
// character's UTF-8 bytes, other escapes and all text outside strings stay as they are. The one
// \u escape left for the codec is \u0000 (a raw NUL would end its input), whose digits it reads
// right; so its decoding is exact, and U+0000 reaches the field's rule like any control
// character (API.md: 400 naming the field).
#include <optional>
#include <string>
#include <string_view>

namespace pitlog::server::http {

// nullopt with a reason in *error for a malformed \u escape or a lone surrogate. Other JSON
// errors are left for the codec to report.
std::optional<std::string> rewriteUnicodeEscapes(std::string_view json, std::string* error);

}  // namespace pitlog::server::http
