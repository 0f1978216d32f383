#include "projections/projector.h"

namespace pitlog::projections {

using events::Sha256;
using events::textView;
using events::schema::Event;
namespace keys = events::keys;

std::optional<IntegrationView> loadIntegration(ViewStore& views, std::string_view id) {
  return views.getIntegration(id);
}

static std::string_view digestKey(const Digest& d) { return Sha256::asView(d); }

namespace {

const TokenRecord* findRecord(const IntegrationView& v, const Digest& d) {
  for (const auto& t : v.tokens) {
    if (t.digest == d) return &t;
  }
  return nullptr;
}

// Writes the token entries that differ between the views: those no longer implied are erased,
// those implied now are written when new or changed (what a token entry holds beyond its record
// is the integration's account and scopes). An integration has one to three tokens, so plain
// scans beat any map.
void projectTokens(ViewStore& views, const IntegrationView& before, const IntegrationView& after,
                   std::vector<TokenChange>* tokenChanges) {
  static const IntegrationView kNone;
  const IntegrationView& was = before.deleted ? kNone : before;
  const IntegrationView& now = after.deleted ? kNone : after;
  for (const auto& t : was.tokens) {
    if (findRecord(now, t.digest)) continue;
    views.erase(Family::tokens, digestKey(t.digest));
    if (tokenChanges) tokenChanges->push_back({t.digest, std::nullopt});
  }
  const bool grantChanged = was.accountId != now.accountId || was.scopes != now.scopes;
  for (const auto& t : now.tokens) {
    const TokenRecord* prior = findRecord(was, t.digest);
    if (prior && *prior == t && !grantChanged) continue;
    views.put(Family::tokens, digestKey(t.digest), encodeTokenEntry(now, t));
    if (tokenChanges) tokenChanges->push_back({t.digest, tokenEntryOf(now, t)});
  }
}

}  // namespace

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
  IntegrationView before = views.getIntegration(id).value_or(IntegrationView{});
  IntegrationView after = apply(before, event);

  views.putIntegration(id, after);
  if (event.getBody().isCreated()) views.put(Family::byAccount, keys::byAccountKey(account, id), {});
  projectTokens(views, before, after, tokenChanges);
  return after;
}

}  // namespace pitlog::projections
