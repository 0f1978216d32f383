#pragma once
// Where the delivery worker keeps each subscription's progress: its cursor (the log seq delivered
// up to, and the message being retried) and its last 100 attempts. Not history (DESIGN.md, "What
// is not history"): a single node keeps it in the webhook_delivery family; a cluster would keep
// it where every node sees it (the seam for that is this interface).
//
// Thread-safety: implementations may be called from any thread; the single-node one relies on
// RocksDB's. Writes are synced: a restart resumes exactly where the worker was.
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "events/store.h"

namespace pitlog::server::webhooks {

// One subscription: account and webhook id (secretEventId tells its incarnations apart).
struct SubscriptionId {
  std::string account;
  std::string webhookId;
};

struct DeliveryCursor {
  std::string secretEventId;
  uint64_t deliveredSeq = 0;
  uint64_t pendingSeq = 0;
  uint32_t attempts = 0;
  int64_t firstAttemptAt = 0;
  int64_t nextAttemptAt = 0;
  uint64_t attemptsRecorded = 0;
  uint64_t reminderNext = 0;
  bool operator==(const DeliveryCursor&) const = default;
};

struct DeliveryAttempt {
  int64_t at = 0;
  std::string type;
  std::string messageId;
  uint64_t seq = 0;
  int status = 0;
  std::string error;
  int64_t nextRetryAt = 0;
  bool gaveUp = false;
};

inline constexpr size_t kAttemptsKept = 100;

// A reminder as it waits in a subscription's queue: delivered like a log event's message.
struct QueuedReminder {
  std::string type, messageId, body;
};

class DeliveryStateStore {
 public:
  virtual ~DeliveryStateStore() = default;
  virtual std::optional<DeliveryCursor> cursor(const SubscriptionId& s) = 0;
  // Saves the cursor and, when given, one more attempt (numbered cursor.attemptsRecorded - 1;
  // the attempt 100 before it is dropped), atomically. Throws events::StoreError on failure.
  virtual void save(const SubscriptionId& s, const DeliveryCursor& cursor,
                    const DeliveryAttempt* attempt) = 0;
  // The kept attempts, oldest first.
  virtual std::vector<DeliveryAttempt> attempts(const SubscriptionId& s) = 0;

  // Reminders: whether one of `type` ('d' due, 'w' window ending) fired for the token already,
  // and, atomically, marking it fired and queueing its message for each subscription (each with
  // its own message: id and body). Fired once per token whatever the subscriptions.
  virtual bool reminderFired(char type, const events::Digest& token) = 0;
  virtual void fireReminder(
      char type, const events::Digest& token, int64_t at,
      const std::vector<std::pair<SubscriptionId, QueuedReminder>>& queued) = 0;
  // The subscription's queued reminder number n, or nullopt when none is queued there yet.
  virtual std::optional<QueuedReminder> queuedReminder(const SubscriptionId& s, uint64_t n) = 0;
  // How many reminders were ever queued under this account and webhook id (a new subscription
  // under an old id starts after them).
  virtual uint64_t remindersQueued(const SubscriptionId& s) = 0;
};

// The single node's: the webhook_delivery family of the node's own database.
class LocalDeliveryStateStore : public DeliveryStateStore {
 public:
  explicit LocalDeliveryStateStore(events::Store& store) : store_(store) {}
  std::optional<DeliveryCursor> cursor(const SubscriptionId& s) override;
  void save(const SubscriptionId& s, const DeliveryCursor& cursor,
            const DeliveryAttempt* attempt) override;
  std::vector<DeliveryAttempt> attempts(const SubscriptionId& s) override;
  bool reminderFired(char type, const events::Digest& token) override;
  void fireReminder(char type, const events::Digest& token, int64_t at,
                    const std::vector<std::pair<SubscriptionId, QueuedReminder>>& queued) override;
  std::optional<QueuedReminder> queuedReminder(const SubscriptionId& s, uint64_t n) override;
  uint64_t remindersQueued(const SubscriptionId& s) override;

 private:
  events::Store& store_;
};

// "May this node deliver this subscription now?" A single node always may; a cluster will ask a
// lease in a JetStream key-value bucket (not built yet: pitd starts no worker in cluster mode).
class DeliveryLease {
 public:
  virtual ~DeliveryLease() = default;
  virtual bool mayDeliver(const SubscriptionId& s) = 0;
};

class SingleNodeLease : public DeliveryLease {
 public:
  bool mayDeliver(const SubscriptionId&) override { return true; }
};

}  // namespace pitlog::server::webhooks
