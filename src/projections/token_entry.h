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

// The token entry one token record of a (live) integration view implies.
TokenEntry tokenEntryOf(const IntegrationView& view, const TokenRecord& token);

std::string encodeTokenEntry(const TokenEntry& entry);
// encodeTokenEntry(tokenEntryOf(view, token)) without building the entry (replay's hot path).
std::string encodeTokenEntry(const IntegrationView& view, const TokenRecord& token);
std::optional<TokenEntry> decodeTokenEntry(std::string_view bytes);

}  // namespace pitlog::projections
