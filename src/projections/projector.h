#pragma once
// The projection step: given one event, update every view in a ViewStore. This is the single
// function the live writer and every replay call, so a rebuild equals the live views by
// construction. It decodes the prior integration view, folds the event in with apply(), and
// writes the integration, its token entries, the account index, permissions and the audit index.
#include <functional>

#include "events/event.h"
#include "projections/integration_view.h"
#include "projections/token_entry.h"
#include "projections/view_store.h"

namespace pitlog::projections {

// Receives each token-family change, so the writer can mirror it into the in-memory index.
struct TokenChange {
  Digest digest{};
  std::optional<TokenEntry> entry;  // nullopt: the token is no longer valid
};

// Returns the integration view after the event (empty for a permission event).
IntegrationView project(ViewStore& views, const events::schema::Event::Reader& event,
                        std::vector<TokenChange>* tokenChanges = nullptr);
// The same step without the copy of the view it returns (replay's fold): project() is this,
// then a copy of the integration view.
void projectEvent(ViewStore& views, const events::schema::Event::Reader& event,
                  std::vector<TokenChange>* tokenChanges = nullptr,
                  IntegrationView* after = nullptr);

// Reads the current stored view of an integration; nullopt when there is none.
std::optional<IntegrationView> loadIntegration(ViewStore& views, std::string_view id);

}  // namespace pitlog::projections
