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

namespace {

std::string encodeFields(const std::string& integrationId, const std::string& accountId,
                         TokenState state, UnixMillis issuedAt,
                         const std::optional<UnixMillis>& expiresAt,
                         const std::vector<std::string>& scopeList) {
  return events::encodeStoredValue<views::TokenEntry>([&](views::TokenEntry::Builder b) {
    b.setIntegrationId(asText(integrationId));
    b.setAccountId(asText(accountId));
    b.setState(state == TokenState::current ? views::TokenState::CURRENT
                                            : views::TokenState::PREVIOUS);
    b.setIssuedAt(issuedAt);
    b.setHasDeadline(expiresAt.has_value());
    b.setExpiresAt(expiresAt.value_or(0));
    auto scopes = b.initScopes(static_cast<unsigned>(scopeList.size()));
    for (unsigned i = 0; i < scopeList.size(); ++i) scopes.set(i, asText(scopeList[i]));
  });
}

}  // namespace

std::string encodeTokenEntry(const TokenEntry& e) {
  return encodeFields(e.integrationId, e.accountId, e.state, e.issuedAt, e.expiresAt, e.scopes);
}

std::string encodeTokenEntry(const IntegrationView& view, const TokenRecord& token) {
  return encodeFields(view.id, view.accountId, token.state, token.issuedAt, token.expiresAt,
                      view.scopes);
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
