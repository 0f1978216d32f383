#pragma once
// Typed readers for the query parameters of a Call (API.md: includeDeleted, staleAfterDays,
// asOf, after, limit, since, until). Each leaves *out alone when the parameter is absent and
// answers a 400 naming the parameter when its value is malformed.
#include <cstdint>
#include <optional>
#include <string_view>

#include "commands/result.h"
#include "events/time_format.h"
#include "server/http/exchange.h"

namespace pitlog::server::http {

// "true" or "false".
std::optional<commands::Error> readBool(const Call& call, std::string_view name, bool* out);
// Any max: the range is commands' rule (validate.h), checked after parsing, for both protocols.
inline constexpr uint64_t kAnyUint = UINT64_MAX;
// A decimal integer in [min, max], no sign, no leading zeros.
std::optional<commands::Error> readUint(const Call& call, std::string_view name, uint64_t min,
                                        uint64_t max, std::optional<uint64_t>* out);
// RFC 3339 with a time zone.
std::optional<commands::Error> readTime(const Call& call, std::string_view name,
                                        std::optional<events::UnixMillis>* out);

}  // namespace pitlog::server::http
