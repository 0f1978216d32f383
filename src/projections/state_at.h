#pragma once
// What an integration offers at a moment: the tokens verification accepts and the rotation still
// pending. The one rule below the HTTP and RPC renderers and pit-replay as-of, so that they
// cannot disagree about the instant a rotation window closes: the stored view keeps its rotation
// until the scheduler's Expired event, but from previousExpiresAt on (deadlines are exclusive)
// the previous token is no longer valid and nothing is pending.
#include <optional>
#include <vector>

#include "projections/integration_view.h"

namespace pitlog::projections {

struct StateAt {
  std::vector<TokenRecord> validTokens;  // current first, as in the view
  std::optional<Rotation> pendingRotation;
};

StateAt stateAt(const IntegrationView& view, UnixMillis at);

}  // namespace pitlog::projections
