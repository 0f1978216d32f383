#include "projections/token_entry.h"

#include <capnp/message.h>
#include <kj/exception.h>

#include <cstring>

#include "projections/views.capnp.h"

namespace pitlog::projections {

TokenEntry tokenEntryOf(const IntegrationView& view, const TokenRecord& token) {
  return TokenEntry{view.id, view.accountId, token.state, token.issuedAt, token.expiresAt,
                    view.scopes};
}

std::string encodeTokenEntry(const TokenEntry& e) {
  return events::encodeStoredValue<views::TokenEntry>([&](views::TokenEntry::Builder b) {
    b.setIntegrationId(e.integrationId);
    b.setAccountId(e.accountId);
    b.setState(e.state == TokenState::current ? views::TokenState::CURRENT
                                              : views::TokenState::PREVIOUS);
    b.setIssuedAt(e.issuedAt);
    b.setHasDeadline(e.expiresAt.has_value());
    b.setExpiresAt(e.expiresAt.value_or(0));
    auto scopes = b.initScopes(static_cast<unsigned>(e.scopes.size()));
    for (unsigned i = 0; i < e.scopes.size(); ++i) scopes.set(i, e.scopes[i]);
  });
}

std::optional<TokenEntry> decodeTokenEntry(std::string_view bytes) {
  return events::readStoredValue<views::TokenEntry>(bytes, [](views::TokenEntry::Reader r) {
    TokenEntry e;
    e.integrationId = events::textView(r.getIntegrationId());
    e.accountId = events::textView(r.getAccountId());
    e.state = r.getState() == views::TokenState::CURRENT ? TokenState::current
                                                          : TokenState::previous;
    e.issuedAt = r.getIssuedAt();
    if (r.getHasDeadline()) e.expiresAt = r.getExpiresAt();
    for (auto s : r.getScopes()) e.scopes.emplace_back(events::textView(s));
    return e;
  });
}

}  // namespace pitlog::projections
