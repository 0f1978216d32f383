#pragma once
// Times are Unix milliseconds inside pitlog and RFC 3339 UTC with milliseconds at its edges
// ("2026-11-28T17:00:00.000Z"). Durations are written "7d", "36h", "90m", "2s" or "250ms".
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace pitlog::events {

using UnixMillis = int64_t;

// Formats as "YYYY-MM-DDTHH:MM:SS.mmmZ". Years outside 0000..9999 are clamped by the caller's
// domain; this function formats whatever civil date the value maps to.
std::string formatRfc3339(UnixMillis t);

// Parses RFC 3339 with a mandatory time zone ("Z", "z" or "+hh:mm"/"-hh:mm") and optional
// fractional seconds (truncated to milliseconds). Rejects anything else, including out-of-range
// fields (month 13, second 61, Feb 30). Returns nullopt on any error.
std::optional<UnixMillis> parseRfc3339(std::string_view text);

// Parses "<positive integer><unit>" with unit in {ms, s, m, h, d}; nullopt on error, zero,
// or overflow. Returns milliseconds.
std::optional<int64_t> parseDuration(std::string_view text);

}  // namespace pitlog::events
