#include "commands/revocation.h"

#include "commands/token.h"
#include "commands/validate.h"
#include "events/digest.h"

namespace pitlog::commands {

std::variant<Command, Error> revocationCommand(const std::vector<std::string_view>& tokens,
                                               std::optional<std::string> source,
                                               std::string requestId) {
  if (tokens.size() > kMaxRevokedTokens) {
    return invalidArgument("tokens has " + std::to_string(tokens.size()) +
                               " entries; at most " + std::to_string(kMaxRevokedTokens) +
                               " are allowed",
                           "tokens");
  }
  RevokeTokens revoke;
  revoke.source = std::move(source);
  revoke.tokens.reserve(tokens.size());
  for (auto t : tokens) {
    if (isWellFormedToken(t)) revoke.tokens.push_back(events::sha256(t));
  }
  Command c;
  c.actor = revocationActor();
  c.requestId = std::move(requestId);
  c.action = std::move(revoke);
  return c;
}

}  // namespace pitlog::commands
