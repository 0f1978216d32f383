#include "commands/verify.h"

#include "commands/token.h"

namespace pitlog::commands {

Verification verifyToken(const projections::TokenIndex& index, std::string_view token,
                         std::optional<std::string_view> requiredScope, events::UnixMillis now) {
  Verification v;
  if (!isWellFormedToken(token)) return v;
  const events::Digest digest = events::sha256(token);
  auto slot = index.find(digest);
  if (!slot || (slot->expiresAt && now >= *slot->expiresAt)) return v;
  v.active = true;
  v.digest = digest;
  v.grant = std::move(slot->grant);
  v.issuedAt = slot->issuedAt;
  v.expiresAt = slot->expiresAt;
  if (requiredScope) v.allowed = v.grant->hasScope(*requiredScope);
  return v;
}

}  // namespace pitlog::commands
