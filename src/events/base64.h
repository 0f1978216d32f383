#pragma once
// Standard base64 (RFC 4648 §4, with '=' padding), the encoding of signed notes and checkpoints.
// The decoder is strict: it refuses missing or misplaced padding, characters outside the
// alphabet (whitespace included) and non-zero bits after the last byte, so every byte string has
// exactly one accepted encoding and an altered note cannot decode to the same bytes.
#include <optional>
#include <string>
#include <string_view>

namespace pitlog::events {

std::string base64Encode(std::string_view bytes);
// Nullopt when `text` is not the canonical base64 encoding of some byte string.
std::optional<std::string> base64Decode(std::string_view text);

}  // namespace pitlog::events
