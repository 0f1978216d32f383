#pragma once
// Cluster mode's DeliveryStateStore: each subscription's cursor and last 100 attempts in one value
// of the JetStream key-value bucket "<stream>_WEBHOOK_DELIVERY", so that every node's deliveries
// route shows them and the node that takes a lease over resumes where the last holder stopped.
//
// Keys and values:
//   <sub>              schema::SharedDelivery (kv_delivery.capnp), a single-segment Cap'n Proto
//                      message: the writer's lease term and name, the cursor, the attempts
//                      oldest first. <sub> is leaseKey(subscription) (kv_delivery_lease.h).
//   <sub>.r.<n>        schema::QueuedReminder: the subscription's reminder number n (decimal)
//   <sub>.rq           how many reminders were queued for it (decimal): slots below it are taken
//   fired.<t>.<hex>    a reminder of type t ('d' due, 'w' window ending) fired for the token whose
//                      digest is <hex>; value: when, in Unix ms (decimal)
//
// Reminders: every node's worker derives them, and the first node to create a token's fired key
// (create-if-absent) is the one that queues its messages; a node that finds the key there queues
// nothing. Each message takes the first free slot of the subscription's queue (create-if-absent
// on <sub>.r.<n>, then <sub>.rq moved past it at its revision; a slot found taken moves the count
// on and the next is tried), so concurrent firings never overwrite one another. A node that dies
// between the fired key and its slots loses that reminder for the subscriptions not yet queued.
//
// Saving is fenced. A node saves only while it holds the subscription's lease, and writes at the
// revision it last read or wrote: when another node wrote since, the save fails with DeliveryFenced
// and writes nothing. When that node held a later term, this node's lease is marked lost
// (KvDeliveryLease::lost), so mayDeliver() turns false at once; the worker's loop for the
// subscription ends on the exception and the next poll asks the lease again. A node that lost its
// lease can therefore never move a cursor backwards or record over the new holder.
//
// NATS errors throw events::StoreError (the worker logs them and resumes at the next poll).
// Thread-safety: every member may be called from any thread.
#include <map>
#include <memory>
#include <mutex>
#include <stdexcept>

#include "events/store.h"
#include "server/webhooks/delivery_state.h"
#include "server/webhooks/kv_delivery_lease.h"

namespace pitlog::server::webhooks {

// A save another holder's write made stale. An events::StoreError, so that whoever handles a
// failed save handles this one too.
class DeliveryFenced : public events::StoreError {
 public:
  using events::StoreError::StoreError;
};

struct KvDeliveryStateSettings {
  std::string bucket;  // "<stream>_WEBHOOK_DELIVERY"
  int replicas = 1;
  std::string nodeName;
};

class KvDeliveryStateStore : public DeliveryStateStore {
 public:
  // `conn` and `lease` must outlive the store. Nothing is asked of NATS here.
  KvDeliveryStateStore(cluster::NatsConnection& conn, KvDeliveryLease& lease,
                       KvDeliveryStateSettings settings);
  ~KvDeliveryStateStore() override;

  std::optional<DeliveryCursor> cursor(const SubscriptionId& s) override;
  // Throws DeliveryFenced (above) when this node does not hold the lease or another node wrote
  // since this node's last read or write of the subscription.
  void save(const SubscriptionId& s, const DeliveryCursor& cursor,
            const DeliveryAttempt* attempt) override;
  std::vector<DeliveryAttempt> attempts(const SubscriptionId& s) override;
  bool reminderFired(char type, const events::Digest& token) override;
  void fireReminder(char type, const events::Digest& token, int64_t at,
                    const std::vector<std::pair<SubscriptionId, QueuedReminder>>& queued) override;
  std::optional<QueuedReminder> queuedReminder(const SubscriptionId& s, uint64_t n) override;
  uint64_t remindersQueued(const SubscriptionId& s) override;

 private:
  // The value under `key` and its revision; nullopt when there is none. Throws on NATS errors.
  std::optional<std::pair<std::string, uint64_t>> get(const std::string& key);
  void queue(const SubscriptionId& s, const QueuedReminder& r);
  struct Read {
    uint64_t revision = 0;  // 0: no value
    uint64_t term = 0;
    std::optional<DeliveryCursor> cursor;
    std::vector<DeliveryAttempt> attempts;
  };
  Read read(const std::string& key);
  kvStore* bucket();

  cluster::NatsConnection& conn_;
  KvDeliveryLease& lease_;
  KvDeliveryStateSettings settings_;
  std::mutex mu_;
  kvStore* kv_ = nullptr;                     // GUARDED_BY(mu_)
  std::map<std::string, uint64_t> lastSeen_;  // GUARDED_BY(mu_): key -> revision read or written
};

}  // namespace pitlog::server::webhooks

namespace pitlog::server::webhooks {

// What pitd's --cluster wiring hands the webhook service: the lease (its thread started) and the
// shared state, in the buckets "<stream>_WEBHOOK_LEASES" and "<stream>_WEBHOOK_DELIVERY".
struct ClusterDelivery {
  std::unique_ptr<KvDeliveryLease> lease;
  std::unique_ptr<KvDeliveryStateStore> state;
};
ClusterDelivery startClusterDelivery(cluster::NatsConnection& conn, const std::string& stream,
                                     int replicas, const std::string& nodeName,
                                     std::chrono::milliseconds lease);

}  // namespace pitlog::server::webhooks
