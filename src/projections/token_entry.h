#pragma once
// The tokens family: one entry per valid token, derived from the integration view (so the token
// view needs no fold of its own), holding what verification needs without another read.
#include <optional>
#include <string>
#include <vector>

#include "projections/integration_view.h"

namespace pitlog::projections {

struct TokenEntry {
  std::string integrationId;
  std::string accountId;
  TokenState state = TokenState::current;
  UnixMillis issuedAt = 0;
  std::optional<UnixMillis> expiresAt;
  std::vector<std::string> scopes;
  bool operator==(const TokenEntry&) const = default;
};

// The token entries an integration view implies, keyed by digest. Empty for a deleted view.
std::vector<std::pair<Digest, TokenEntry>> tokenEntries(const IntegrationView& view);

std::string encodeTokenEntry(const TokenEntry& entry);
std::optional<TokenEntry> decodeTokenEntry(std::string_view bytes);

}  // namespace pitlog::projections
