// The engine's queries: reads of RocksDB (views, the log), safe on any thread at any time.
#include <algorithm>

#include "commands/engine_internal.h"
#include "projections/projector.h"

namespace pitlog::commands {

using events::DecodedEvent;
using events::UnixMillis;
using projections::Family;
using projections::IntegrationView;
namespace keys = events::keys;

std::optional<bool> readPermission(projections::ViewStore& views, std::string_view account,
                                   std::string_view user) {
  auto v = views.get(Family::permissions, keys::permissionKey(account, user));
  if (!v || v->size() != 1) return std::nullopt;
  return (*v)[0] != '\0';
}

std::optional<IntegrationView> Engine::integration(std::string_view account,
                                                   std::string_view id) const {
  StoreReader reader(*store_);
  auto v = projections::loadIntegration(reader, id);
  if (!v || v->deleted || v->accountId != account) return std::nullopt;
  return v;
}

IntegrationView Engine::foldStream(
    std::string_view id,
    const std::function<bool(const events::schema::Event::Reader&)>& include) const {
  IntegrationView v;
  for (uint64_t seq : events::streamSequences(*store_, id)) {
    auto bytes = events::readEvent(*store_, seq);
    std::string error;
    auto event = bytes ? DecodedEvent::decode(*bytes, &error) : std::nullopt;
    if (!event || !include(event->reader())) break;
    v = projections::apply(std::move(v), event->reader());
  }
  return v;
}

DecodedEvent Engine::readEventOrThrow(uint64_t seq) const {
  auto bytes = events::readEvent(*store_, seq);
  std::string error = "it is missing";
  auto event = bytes ? DecodedEvent::decode(*bytes, &error) : std::nullopt;
  if (!event) throw events::StoreError("event " + std::to_string(seq) + " is damaged: " + error);
  return std::move(*event);
}

std::optional<IntegrationView> Engine::integrationAtVersion(std::string_view id,
                                                            uint32_t version) const {
  auto v = foldStream(id, [&](const auto& e) { return e.getStreamVersion() <= version; });
  if (!v.exists()) return std::nullopt;
  return v;
}

std::optional<IntegrationView> Engine::integrationAsOf(std::string_view account,
                                                       std::string_view id, UnixMillis at) const {
  auto v = foldStream(id, [&](const auto& e) { return e.getAt() <= at; });
  if (!v.exists() || v.deleted || v.accountId != account) return std::nullopt;
  return v;
}

std::vector<IntegrationView> Engine::integrations(std::string_view account,
                                                  bool includeDeleted) const {
  std::vector<IntegrationView> out;
  StoreReader reader(*store_);
  store_->scanPrefix(Family::byAccount, keys::accountPrefix(account),
                     [&](std::string_view key, std::string_view) {
                       auto v = projections::loadIntegration(reader, keys::afterAccountPrefix(key));
                       if (v && (includeDeleted || !v->deleted)) out.push_back(std::move(*v));
                       return true;
                     });
  std::sort(out.begin(), out.end(), [](const IntegrationView& a, const IntegrationView& b) {
    return a.createdSeq < b.createdSeq;
  });
  return out;
}

std::vector<DecodedEvent> Engine::integrationEvents(std::string_view account,
                                                    std::string_view id) const {
  std::vector<DecodedEvent> out;
  StoreReader reader(*store_);
  auto v = projections::loadIntegration(reader, id);
  if (!v || v->accountId != account) return out;
  for (uint64_t seq : events::streamSequences(*store_, id)) out.push_back(readEventOrThrow(seq));
  return out;
}

AuditPage Engine::audit(std::string_view account, uint64_t after, size_t limit,
                        std::optional<UnixMillis> since, std::optional<UnixMillis> until) const {
  AuditPage page;
  if (after == UINT64_MAX) return page;  // nothing follows the largest sequence (and +1 wraps)
  // `since` is found by a binary search of the log rather than by reading the account's events
  // from `after` on and skipping the early ones: a page costs the same for a time in the future
  // as for the first page, whatever the account's history holds.
  uint64_t start = after + 1;
  if (since) start = std::max(start, firstSeqAtOrAfter(*since));
  std::string from = keys::auditKey(account, start);
  std::string prefix = keys::accountPrefix(account);
  bool more = false;
  store_->scanRange(Family::auditByAccount, from, {}, [&](std::string_view key, std::string_view) {
    if (key.substr(0, prefix.size()) != prefix) return false;
    uint64_t seq = keys::readFixed64(key.substr(prefix.size())).value_or(0);
    DecodedEvent event = readEventOrThrow(seq);
    ++page.eventsRead;
    UnixMillis at = event.reader().getAt();
    if (since && at < *since) return true;
    if (until && at > *until) return false;  // times never go backwards along the log
    if (page.events.size() == limit) {
      more = true;
      return false;
    }
    page.events.push_back(std::move(event));
    return true;
  });
  if (more && !page.events.empty()) page.next = page.events.back().reader().getSeq();
  return page;
}

// Event times never go backwards along the log (decisions take the later of the clock and the
// last event's time), so the events family is sorted by time as well as by sequence.
uint64_t Engine::firstSeqAtOrAfter(UnixMillis t) const {
  uint64_t lo = 1, hi = committedSeq_.load() + 1;  // the answer lies in [lo, hi]
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (readEventOrThrow(mid).reader().getAt() < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

PermissionInfo Engine::permission(std::string_view account, std::string_view user) const {
  StoreReader reader(*store_);
  PermissionInfo info;
  info.recorded = readPermission(reader, account, user);
  info.version =
      static_cast<uint32_t>(events::streamSequences(*store_, keys::permissionStreamId(account, user))
                                .size());
  return info;
}

std::vector<projections::WebhookView> Engine::webhooks(std::string_view account) const {
  std::vector<projections::WebhookView> out;
  store_->scanPrefix(Family::webhooks, keys::accountPrefix(account),
                     [&](std::string_view, std::string_view value) {
                       auto v = projections::decodeWebhookView(value);
                       if (v) out.push_back(std::move(*v));
                       return true;
                     });
  return out;
}

std::optional<projections::WebhookView> Engine::webhook(std::string_view account,
                                                        std::string_view webhookId) const {
  auto bytes = store_->get(Family::webhooks, keys::webhookKey(account, webhookId));
  if (!bytes) return std::nullopt;
  return projections::decodeWebhookView(*bytes);
}

bool Engine::mayManage(const events::Actor& actor, std::string_view account) const {
  StoreReader reader(*store_);
  return commands::mayManage(actor, readPermission(reader, account, actor.userId));
}

}  // namespace pitlog::commands
