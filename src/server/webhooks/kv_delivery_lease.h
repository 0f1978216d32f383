#pragma once
// Cluster mode's DeliveryLease (API.md "Token hygiene", issue: exactly one node delivers each
// subscription at a time): one lease per subscription in the JetStream key-value bucket
// "<stream>_WEBHOOK_LEASES", which the nodes share.
//
// Key:   <hex(account)>.<hex(webhook id)>   (lowercase hex: any id is a valid key)
// Value: <term> ' ' <expiresAtMs> ' ' <node name>   (decimal; the name runs to the end)
//
// A node acquires a lease with create-if-absent, or with update-at-revision once the value it
// read has expired (by this node's wall clock); every new holder writes the term it read plus one,
// so terms only grow (a released lease keeps its term: the key is never deleted). The holder
// renews at a third of the lease, at the revision of its own last write; a renewal that finds
// another revision (someone took the lease) or a term not its own loses the lease. stop() gives
// every held lease up (expiry 0, same term) so that another node takes over at once.
//
// mayDeliver() is answered from this node's own successful writes only, never from a read: true
// while the lease it last wrote expires more than `margin` from now, and the last renewal did not
// fail. A NATS error on a renewal makes it false until a renewal succeeds.
//
// Clock: the expiry is the holder's wall clock at the write plus the lease; another node takes
// over when its own wall clock passes it. The holder stops starting attempts `margin` before its
// expiry, so two nodes never deliver one subscription at once while their clocks differ by less
// than margin minus the longest attempt (the sender's timeout). Should they overlap anyway, the
// shared delivery state is fenced by the term (kv_delivery_state.h): the older holder can no
// longer record anything once the newer one has.
//
// Subscriptions are leased on demand: mayDeliver() for a subscription not held asks the
// background thread to acquire it; one not asked about for three lease periods is given up.
//
// Thread-safety: every member may be called from any thread. start()/stop() from one thread.
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <thread>

#include "server/webhooks/delivery_state.h"

typedef struct __kvStore kvStore;

namespace pitlog::cluster {
class NatsConnection;
}

namespace pitlog::server::webhooks {

struct KvLeaseSettings {
  std::string bucket;  // "<stream>_WEBHOOK_LEASES"
  int replicas = 1;
  std::string nodeName;
  std::chrono::milliseconds lease{10000};
  // How long before its expiry a holder stops starting attempts. Default: a third of the lease.
  std::optional<std::chrono::milliseconds> margin;
  // The wall clock in Unix ms (tests inject one).
  std::function<int64_t()> now;
};

class KvDeliveryLease : public DeliveryLease {
 public:
  // Asks nothing of NATS here: the bucket is created (file storage, history 1) or opened at the
  // first tick that can reach it. `conn` must outlive the lease.
  KvDeliveryLease(cluster::NatsConnection& conn, KvLeaseSettings settings);
  ~KvDeliveryLease() override;  // stop()s
  KvDeliveryLease(const KvDeliveryLease&) = delete;
  KvDeliveryLease& operator=(const KvDeliveryLease&) = delete;

  // The background thread that acquires, renews and gives up leases every tenth of a lease.
  void start();
  // Stops the thread and gives every held lease up.
  void stop();

  bool mayDeliver(const SubscriptionId& s) override;
  // The term of the lease this node holds for `s`, when mayDeliver(s) would say true.
  std::optional<uint64_t> heldTerm(const SubscriptionId& s);
  // The shared delivery state saw a holder with a later term than `term`: the lease is lost.
  void lost(const SubscriptionId& s, uint64_t term);

  // One round of the background thread's work (tests drive it by hand, with their own clock):
  // acquire what was asked for and is free, renew what is due, give up what nobody asks for.
  void tick();
  // Gives every held lease up (what stop() does after joining the thread).
  void releaseAll();

 private:
  struct Lease {
    SubscriptionId id;
    int64_t lastAsked = 0;
    bool held = false;
    uint64_t term = 0;
    uint64_t revision = 0;  // of this node's last write
    int64_t expiresAt = 0;  // as this node wrote it
    int64_t renewAt = 0;
    bool renewFailed = false;
    uint64_t lostTerm = 0;  // lost() to a later holder: this term and older are not held
  };
  bool open();
  void acquire(const std::string& key, Lease& l, int64_t now);
  void renew(const std::string& key, Lease& l, int64_t now);
  bool usable(const Lease& l, int64_t now) const;
  int64_t now() const;

  cluster::NatsConnection& conn_;
  KvLeaseSettings settings_;
  std::chrono::milliseconds margin_;
  kvStore* kv_ = nullptr;     // under tickMu_
  bool openFailing_ = false;  // under tickMu_: the last open() failed (logged once)

  std::mutex mu_;
  std::map<std::string, Lease> leases_;  // GUARDED_BY(mu_), by key
  std::mutex tickMu_;                    // one tick at a time (NATS calls outside mu_)
  std::condition_variable wake_;
  bool stopping_ = false;  // GUARDED_BY(mu_)
  std::thread thread_;
};

// The bucket key of a subscription (the grammar above).
std::string leaseKey(const SubscriptionId& s);

}  // namespace pitlog::server::webhooks
