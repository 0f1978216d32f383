#include "projections/state_at.h"

namespace pitlog::projections {

StateAt stateAt(const IntegrationView& view, UnixMillis at) {
  StateAt out;
  out.validTokens = view.validTokens(at);
  if (view.rotation && !view.deleted && at < view.rotation->previousExpiresAt) {
    out.pendingRotation = view.rotation;
  }
  return out;
}

}  // namespace pitlog::projections
