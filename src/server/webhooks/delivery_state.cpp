#include "server/webhooks/delivery_state.h"

#include <rocksdb/write_batch.h>

#include "events/keys.h"
#include "events/event.h"
#include "events/stored_value.h"
#include "server/webhooks/delivery.capnp.h"
#include "server/webhooks/delivery_codec.h"

namespace pitlog::server::webhooks {

namespace keys = events::keys;
using keys::Family;

namespace {

std::string encodeCursor(const DeliveryCursor& c) {
  return events::encodeStoredValue<schema::DeliveryCursor>(
      [&](schema::DeliveryCursor::Builder b) { writeCursor(b, c); });
}

std::string encodeAttempt(const DeliveryAttempt& a) {
  return events::encodeStoredValue<schema::DeliveryAttempt>(
      [&](schema::DeliveryAttempt::Builder b) { writeAttempt(b, a); });
}

}  // namespace

std::optional<DeliveryCursor> LocalDeliveryStateStore::cursor(const SubscriptionId& s) {
  auto bytes = store_.get(Family::webhookDelivery, keys::deliveryCursorKey(s.account, s.webhookId));
  if (!bytes) return std::nullopt;
  return events::readStoredValue<schema::DeliveryCursor>(*bytes, readCursor);
}

void LocalDeliveryStateStore::save(const SubscriptionId& s, const DeliveryCursor& cursor,
                                   const DeliveryAttempt* attempt) {
  rocksdb::WriteBatch batch;
  auto* family = store_.family(Family::webhookDelivery);
  batch.Put(family, keys::deliveryCursorKey(s.account, s.webhookId), encodeCursor(cursor));
  if (attempt) {
    const uint64_t n = cursor.attemptsRecorded - 1;
    batch.Put(family, keys::deliveryAttemptKey(s.account, s.webhookId, n), encodeAttempt(*attempt));
    if (n >= kAttemptsKept) {
      batch.Delete(family, keys::deliveryAttemptKey(s.account, s.webhookId, n - kAttemptsKept));
    }
  }
  auto outcome = store_.write(batch, true);
  if (!outcome.ok)
    throw events::StoreError("cannot save webhook delivery state: " + outcome.message);
}

std::vector<DeliveryAttempt> LocalDeliveryStateStore::attempts(const SubscriptionId& s) {
  std::vector<DeliveryAttempt> out;
  store_.scanPrefix(Family::webhookDelivery, keys::deliveryAttemptPrefix(s.account, s.webhookId),
                    [&](std::string_view, std::string_view value) {
                      auto a = events::readStoredValue<schema::DeliveryAttempt>(value, readAttempt);
                      if (a) out.push_back(std::move(*a));
                      return true;
                    });
  return out;
}

bool LocalDeliveryStateStore::reminderFired(char type, const events::Digest& token) {
  return store_.get(Family::webhookDelivery, keys::reminderFiredKey(type, token)).has_value();
}

void LocalDeliveryStateStore::fireReminder(
    char type, const events::Digest& token, int64_t at,
    const std::vector<std::pair<SubscriptionId, QueuedReminder>>& queued) {
  rocksdb::WriteBatch batch;
  auto* family = store_.family(Family::webhookDelivery);
  batch.Put(family, keys::reminderFiredKey(type, token), keys::fixed64(static_cast<uint64_t>(at)));
  for (const auto& entry : queued) {
    // Named, not a structured binding: clang before 16 cannot capture one in a lambda.
    const SubscriptionId& s = entry.first;
    const QueuedReminder& r = entry.second;
    const std::string countKey = keys::reminderCountKey(s.account, s.webhookId);
    uint64_t n = 0;
    if (auto bytes = store_.get(Family::webhookDelivery, countKey))
      n = keys::readFixed64(*bytes).value_or(0);
    batch.Put(
        family, keys::reminderQueueKey(s.account, s.webhookId, n),
        events::encodeStoredValue<schema::QueuedReminder>(
            [&](schema::QueuedReminder::Builder b) { writeReminder(b, r); }));
    batch.Put(family, countKey, keys::fixed64(n + 1));
  }
  auto outcome = store_.write(batch, true);
  if (!outcome.ok) throw events::StoreError("cannot save a webhook reminder: " + outcome.message);
}

std::optional<QueuedReminder> LocalDeliveryStateStore::queuedReminder(const SubscriptionId& s,
                                                                      uint64_t n) {
  auto bytes =
      store_.get(Family::webhookDelivery, keys::reminderQueueKey(s.account, s.webhookId, n));
  if (!bytes) return std::nullopt;
  return events::readStoredValue<schema::QueuedReminder>(*bytes, readReminder);
}

uint64_t LocalDeliveryStateStore::remindersQueued(const SubscriptionId& s) {
  auto bytes = store_.get(Family::webhookDelivery, keys::reminderCountKey(s.account, s.webhookId));
  return bytes ? keys::readFixed64(*bytes).value_or(0) : 0;
}

}  // namespace pitlog::server::webhooks
