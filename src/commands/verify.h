#pragma once
// Token verification, the hot path: every third-party API call asks it. Memory only:
// shape and checksum first (a mistyped or made-up token costs no hash and no lookup), then one
// SHA-256 and one index lookup, then the deadline against the clock (exclusive: a previous token
// is rejected at its deadline even before the scheduler writes its Expired event), then the scope.
#include <memory>
#include <optional>
#include <string_view>

#include "projections/token_index.h"

namespace pitlog::commands {

struct Verification {
  bool active = false;
  std::shared_ptr<const projections::Grant> grant;
  events::UnixMillis issuedAt = 0;
  std::optional<events::UnixMillis> expiresAt;
  std::optional<bool> allowed;  // when a scope was asked for
  events::Digest digest{};      // the token's SHA-256, when active (for its last use)
};

Verification verifyToken(const projections::TokenIndex& index, std::string_view token,
                         std::optional<std::string_view> requiredScope, events::UnixMillis now);

}  // namespace pitlog::commands
