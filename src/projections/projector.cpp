#include "projections/projector.h"

#include "projections/webhook_view.h"

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

// What projectTokens() needs of the view before the event: a copy made into reused buffers, so
// that folding the view in place costs no allocation per event once the buffers have grown.
struct TokenGrantBefore {
  bool deleted = false;
  std::string accountId;
  std::vector<std::string> scopes;
  std::vector<TokenRecord> tokens;
  void assign(const IntegrationView& v) {
    deleted = v.deleted;
    accountId.assign(v.accountId);
    scopes.resize(v.scopes.size());
    for (size_t i = 0; i < v.scopes.size(); ++i) scopes[i].assign(v.scopes[i]);
    tokens.assign(v.tokens.begin(), v.tokens.end());
  }
};

const TokenRecord* findRecord(const std::vector<TokenRecord>& tokens, const Digest& d) {
  for (const auto& t : tokens) {
    if (t.digest == d) return &t;
  }
  return nullptr;
}

// Writes the token entries that differ between the views: those no longer implied are erased,
// those implied now are written when new or changed (what a token entry holds beyond its record
// is the integration's account and scopes). An integration has one to three tokens, so plain
// scans beat any map.
void projectTokens(ViewStore& views, const TokenGrantBefore& before, const IntegrationView& after,
                   std::vector<TokenChange>* tokenChanges) {
  static const std::vector<TokenRecord> kNone;
  const std::vector<TokenRecord>& was = before.deleted ? kNone : before.tokens;
  const std::vector<TokenRecord>& now = after.deleted ? kNone : after.tokens;
  for (const auto& t : was) {
    if (findRecord(now, t.digest)) continue;
    views.erase(Family::tokens, digestKey(t.digest));
    if (tokenChanges) tokenChanges->push_back({t.digest, std::nullopt});
  }
  // Compared as the views were compared before they were folded in place: a deleted view
  // stood for no tokens, with an empty account and no scopes.
  static const std::string kNoAccount;
  static const std::vector<std::string> kNoScopes;
  const bool grantChanged =
      (before.deleted ? kNoAccount : before.accountId) != (after.deleted ? kNoAccount : after.accountId) ||
      (before.deleted ? kNoScopes : before.scopes) != (after.deleted ? kNoScopes : after.scopes);
  for (const auto& t : now) {
    const TokenRecord* prior = findRecord(was, t.digest);
    if (prior && *prior == t && !grantChanged) continue;
    views.put(Family::tokens, digestKey(t.digest), encodeTokenEntry(after, t));
    if (tokenChanges) tokenChanges->push_back({t.digest, tokenEntryOf(after, t)});
  }
}

}  // namespace

void projectEvent(ViewStore& views, const Event::Reader& event,
                  std::vector<TokenChange>* tokenChanges, IntegrationView* after) {
  const std::string_view account = textView(event.getAccountId());
  if (!account.empty()) views.put(Family::auditByAccount, keys::auditKey(account, event.getSeq()), {});

  if (event.getBody().isPermissionChanged()) {
    auto p = event.getBody().getPermissionChanged();
    views.put(Family::permissions, keys::permissionKey(account, textView(p.getUserId())),
              std::string(1, p.getAllowed() ? '\1' : '\0'));
    return;
  }
  if (event.getBody().isWebhookSubscribed()) {
    const auto key =
        keys::webhookKey(account, textView(event.getBody().getWebhookSubscribed().getWebhookId()));
    std::optional<WebhookView> before;
    if (auto bytes = views.get(Family::webhooks, key)) before = decodeWebhookView(*bytes);
    views.put(Family::webhooks, key, encodeWebhookView(applyWebhookSubscribed(before, event)));
    return;
  }
  if (event.getBody().isWebhookRemoved()) {
    const auto id = textView(event.getBody().getWebhookRemoved().getWebhookId());
    views.erase(Family::webhooks, keys::webhookKey(account, id));
    return;
  }

  const std::string_view id = textView(event.getStreamId());
  thread_local TokenGrantBefore before;
  // One pointer captured, so that the std::function holds the lambda without an allocation.
  struct Step {
    ViewStore& views;
    const Event::Reader& event;
    std::vector<TokenChange>* tokenChanges;
    IntegrationView* after;
  } step{views, event, tokenChanges, after};
  views.updateIntegration(id, [s = &step](IntegrationView& view) {
    before.assign(view);
    applyInPlace(view, s->event);
    projectTokens(s->views, before, view, s->tokenChanges);
    if (s->after) *s->after = view;
  });
  if (event.getBody().isCreated()) views.put(Family::byAccount, keys::byAccountKey(account, id), {});
}

IntegrationView project(ViewStore& views, const Event::Reader& event,
                        std::vector<TokenChange>* tokenChanges) {
  IntegrationView after;
  projectEvent(views, event, tokenChanges, &after);
  return after;
}

}  // namespace pitlog::projections
