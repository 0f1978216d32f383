#pragma once
// Stateless checks of API.md's rules, run before a command is queued (400 invalid_argument).
// validate() also normalises: names trimmed, scopes de-duplicated and sorted.
#include <optional>
#include <string_view>

#include "commands/command.h"
#include "commands/result.h"
#include "commands/scope_catalogue.h"

namespace pitlog::commands {

inline constexpr size_t kMaxNameChars = 100;
inline constexpr size_t kMaxDescriptionChars = 1000;
inline constexpr size_t kMaxScopes = 100;
inline constexpr size_t kMaxIdChars = 64;
inline constexpr size_t kMaxIdempotencyKeyChars = 128;

// ^[A-Za-z0-9._:-]{1,64}$ (account, user and integration ids)
bool isValidId(std::string_view id);
// 1-128 printable ASCII characters.
bool isValidIdempotencyKey(std::string_view key);
// Valid UTF-8 (no overlongs, no surrogates); counts code points into *chars.
bool isValidUtf8(std::string_view text, size_t* chars = nullptr);

// Returns the first rule the command breaks, after normalising it in place.
std::optional<Error> validate(Command& command, const ScopeCatalogue& catalogue);

}  // namespace pitlog::commands
