#include "projections/projector.h"

#include <unordered_map>

namespace pitlog::projections {

using events::Sha256;
using events::textView;
using events::schema::Event;
namespace keys = events::keys;

std::optional<IntegrationView> loadIntegration(ViewStore& views, std::string_view id) {
  auto bytes = views.get(Family::integrations, id);
  if (!bytes) return std::nullopt;
  return decodeIntegration(*bytes);
}

static std::string_view digestKey(const Digest& d) { return Sha256::asView(d); }

IntegrationView project(ViewStore& views, const Event::Reader& event,
                        std::vector<TokenChange>* tokenChanges) {
  const std::string_view account = textView(event.getAccountId());
  if (!account.empty()) views.put(Family::auditByAccount, keys::auditKey(account, event.getSeq()), {});

  if (event.getBody().isPermissionChanged()) {
    auto p = event.getBody().getPermissionChanged();
    views.put(Family::permissions, keys::permissionKey(account, textView(p.getUserId())),
              std::string(1, p.getAllowed() ? '\1' : '\0'));
    return {};
  }

  const std::string_view id = textView(event.getStreamId());
  IntegrationView before = loadIntegration(views, id).value_or(IntegrationView{});
  IntegrationView after = apply(before, event);

  views.put(Family::integrations, id, encodeIntegration(after));
  if (event.getBody().isCreated()) views.put(Family::byAccount, keys::byAccountKey(account, id), {});

  // Token entries: drop those no longer implied, write those implied now (scopes or deadlines
  // may have changed even for a token that stays).
  auto oldEntries = tokenEntries(before);
  auto newEntries = tokenEntries(after);
  std::unordered_map<Digest, const TokenEntry*, events::DigestHash> next;
  for (const auto& [digest, entry] : newEntries) next.emplace(digest, &entry);
  for (const auto& [digest, entry] : oldEntries) {
    if (next.count(digest)) continue;
    views.erase(Family::tokens, digestKey(digest));
    if (tokenChanges) tokenChanges->push_back({digest, std::nullopt});
  }
  std::unordered_map<Digest, const TokenEntry*, events::DigestHash> prior;
  for (const auto& [digest, entry] : oldEntries) prior.emplace(digest, &entry);
  for (const auto& [digest, entry] : newEntries) {
    auto it = prior.find(digest);
    if (it != prior.end() && *it->second == entry) continue;
    views.put(Family::tokens, digestKey(digest), encodeTokenEntry(entry));
    if (tokenChanges) tokenChanges->push_back({digest, entry});
  }
  return after;
}

}  // namespace pitlog::projections
