#pragma once
// Revocation by value (API.md "Token hygiene") as either front-end receives it: the token strings
// as sent, turned into the one RevokeTokens command, so that HTTP's /v1/revoke and RPC's revoke()
// cannot drift apart. The plaintext goes no further than this: the command carries digests.
#include <optional>
#include <string>
#include <string_view>
#include <variant>
#include <vector>

#include "commands/command.h"
#include "commands/result.h"

namespace pitlog::commands {

// The command that revokes `tokens`, with the revocation actor, or invalid_argument (field
// "tokens") when there are more than kMaxRevokedTokens: checked before any hashing, so that a
// huge list costs nothing. A malformed token (a wrong checksum, which anyone can compute) can name
// no token and is left out: it answers like any other. `source` and `requestId` are judged by
// validate(), as for every command.
std::variant<Command, Error> revocationCommand(const std::vector<std::string_view>& tokens,
                                               std::optional<std::string> source,
                                               std::string requestId);

}  // namespace pitlog::commands
