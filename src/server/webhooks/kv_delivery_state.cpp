#include "server/webhooks/kv_delivery_state.h"

#include "cluster/kv_bucket.h"
#include "cluster/nats_connection.h"
#include "cluster/nats_status.h"
#include "events/digest.h"
#include "events/event.h"
#include "events/stored_value.h"
#include "server/webhooks/delivery_codec.h"
#include "server/webhooks/kv_delivery.capnp.h"

namespace pitlog::server::webhooks {

KvDeliveryStateStore::KvDeliveryStateStore(cluster::NatsConnection& conn, KvDeliveryLease& lease,
                                           KvDeliveryStateSettings settings)
    : conn_(conn), lease_(lease), settings_(std::move(settings)) {}

KvDeliveryStateStore::~KvDeliveryStateStore() {
  if (kv_ != nullptr) kvStore_Destroy(kv_);
}

kvStore* KvDeliveryStateStore::bucket() {
  std::lock_guard<std::mutex> lock(mu_);
  if (kv_ != nullptr) return kv_;
  // Never wait on requests that cannot be answered.
  if (!conn_.connected()) throw events::StoreError("not connected to a NATS server");
  std::string error;
  kv_ = cluster::openBucket(conn_.jetStream(), {settings_.bucket, settings_.replicas, {}}, &error);
  if (kv_ == nullptr) throw events::StoreError(error);
  return kv_;
}

KvDeliveryStateStore::Read KvDeliveryStateStore::read(const std::string& key) {
  Read out;
  auto value = get(key);
  if (!value) return out;
  out.revision = value->second;
  // A value pitd never writes reads as an empty state written at term 0.
  events::readStoredValue<schema::SharedDelivery>(value->first,
                                                  [&](schema::SharedDelivery::Reader r) {
                                                    out.term = r.getTerm();
                                                    if (r.hasCursor())
                                                      out.cursor = readCursor(r.getCursor());
                                                    for (auto a : r.getAttempts())
                                                      out.attempts.push_back(readAttempt(a));
                                                    return true;
                                                  });
  return out;
}

std::optional<DeliveryCursor> KvDeliveryStateStore::cursor(const SubscriptionId& s) {
  const std::string key = leaseKey(s);
  auto r = read(key);
  std::lock_guard<std::mutex> lock(mu_);
  lastSeen_[key] = r.revision;
  return r.cursor;
}

std::vector<DeliveryAttempt> KvDeliveryStateStore::attempts(const SubscriptionId& s) {
  // Not a read the worker saves after: the fence (lastSeen_) stays as it was.
  return read(leaseKey(s)).attempts;
}

void KvDeliveryStateStore::save(const SubscriptionId& s, const DeliveryCursor& cursor,
                                const DeliveryAttempt* attempt) {
  const std::string key = leaseKey(s);
  const auto term = lease_.heldTerm(s);
  if (!term) throw DeliveryFenced("this node does not hold the webhook's delivery lease");
  uint64_t seen = 0;
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (auto it = lastSeen_.find(key); it != lastSeen_.end()) seen = it->second;
  }
  const auto fenced = [&](const Read& current) {
    if (current.term > *term) lease_.lost(s, *term);
    return DeliveryFenced("another node recorded this webhook's delivery since this node read it");
  };
  Read current = read(key);
  if (current.revision != seen || current.term > *term) throw fenced(current);

  std::vector<DeliveryAttempt> attempts = std::move(current.attempts);
  if (attempt) attempts.push_back(*attempt);
  if (attempts.size() > kAttemptsKept) {
    attempts.erase(attempts.begin(), attempts.end() - kAttemptsKept);
  }
  const std::string value =
      events::encodeStoredValue<schema::SharedDelivery>([&](schema::SharedDelivery::Builder b) {
        b.setTerm(*term);
        b.setNode(settings_.nodeName);
        writeCursor(b.initCursor(), cursor);
        auto list = b.initAttempts(static_cast<unsigned>(attempts.size()));
        for (size_t i = 0; i < attempts.size(); ++i) writeAttempt(list[i], attempts[i]);
      });
  kvStore* kv = bucket();
  uint64_t rev = 0;
  const natsStatus st = current.revision == 0
                            ? kvStore_Create(&rev, kv, key.c_str(), value.data(), int(value.size()))
                            : kvStore_Update(&rev, kv, key.c_str(), value.data(), int(value.size()),
                                             current.revision);
  if (st != NATS_OK) {
    const std::string why = cluster::describeNatsFailure("saving webhook delivery state", st);
    // Another write in between (a race lost), or NATS failed: the value says which.
    Read now = read(key);
    if (now.revision != current.revision) throw fenced(now);
    throw events::StoreError(why);
  }
  std::lock_guard<std::mutex> lock(mu_);
  lastSeen_[key] = rev;
}

namespace {

std::string firedKey(char type, const events::Digest& token) {
  KJ_REQUIRE(type >= 'a' && type <= 'z', "a reminder type is one lowercase letter", int(type));
  return std::string("fired.") + type + "." + events::toHex(token);
}
std::string slotKey(const SubscriptionId& s, uint64_t n) {
  return leaseKey(s) + ".r." + std::to_string(n);
}
std::string countKey(const SubscriptionId& s) { return leaseKey(s) + ".rq"; }

// How often a reminder looks for a free slot of a subscription's queue before giving up.
constexpr int kMaxSlotRaces = 32;

}  // namespace

std::optional<std::pair<std::string, uint64_t>> KvDeliveryStateStore::get(const std::string& key) {
  (void)bucket();  // created when missing
  if (!conn_.connected()) throw events::StoreError("not connected to a NATS server");
  // Not kvStore_Get: buckets allow direct gets, which any replica answers, possibly one that lags;
  // a takeover that read an old cursor would send delivered messages again. The stream leader's
  // answer is the latest value. The bucket's stream is KV_<bucket>, a key's subject
  // $KV.<bucket>.<key>, the revision the message's sequence.
  natsMsg* m = nullptr;
  jsErrCode jerr = jsErrCode(0);
  const std::string subject = "$KV." + settings_.bucket + "." + key;
  const natsStatus s = js_GetLastMsg(&m, conn_.jetStream(), ("KV_" + settings_.bucket).c_str(),
                                     subject.c_str(), nullptr, &jerr);
  if (s == NATS_NOT_FOUND) return std::nullopt;
  if (s != NATS_OK) {
    throw events::StoreError(
        cluster::describeNatsFailure("reading webhook delivery state", s, jerr));
  }
  KJ_DEFER(natsMsg_Destroy(m));
  const char* operation = nullptr;
  // A delete or purge marker (pitd writes neither): no value.
  if (natsMsgHeader_Get(m, "KV-Operation", &operation) == NATS_OK) return std::nullopt;
  return std::pair<std::string, uint64_t>{
      std::string(natsMsg_GetData(m), size_t(std::max(natsMsg_GetDataLength(m), 0))),
      natsMsg_GetSequence(m)};
}

bool KvDeliveryStateStore::reminderFired(char type, const events::Digest& token) {
  return get(firedKey(type, token)).has_value();
}

void KvDeliveryStateStore::fireReminder(
    char type, const events::Digest& token, int64_t at,
    const std::vector<std::pair<SubscriptionId, QueuedReminder>>& queued) {
  const std::string key = firedKey(type, token);
  const std::string when = std::to_string(at);
  uint64_t rev = 0;
  const natsStatus s = kvStore_Create(&rev, bucket(), key.c_str(), when.data(), int(when.size()));
  if (s != NATS_OK) {
    if (get(key)) return;  // another node fired it: it queues the messages
    throw events::StoreError(cluster::describeNatsFailure("saving a webhook reminder", s));
  }
  for (const auto& [sub, reminder] : queued) queue(sub, reminder);
}

void KvDeliveryStateStore::queue(const SubscriptionId& s, const QueuedReminder& r) {
  const std::string value = events::encodeStoredValue<schema::QueuedReminder>(
      [&](schema::QueuedReminder::Builder b) { writeReminder(b, r); });
  kvStore* kv = bucket();
  for (int race = 0; race < kMaxSlotRaces; ++race) {
    uint64_t n = 0, countRev = 0;
    if (auto count = get(countKey(s))) {
      n = std::strtoull(count->first.c_str(), nullptr, 10);
      countRev = count->second;
    }
    uint64_t rev = 0;
    const std::string slot = slotKey(s, n);
    const bool mine =
        kvStore_Create(&rev, kv, slot.c_str(), value.data(), int(value.size())) == NATS_OK;
    if (!mine && !get(slot)) {
      throw events::StoreError("cannot queue a webhook reminder: NATS did not store it");
    }
    // Past the slot, whoever filled it; a failure means another node moved it on already.
    const std::string next = std::to_string(n + 1);
    (void)(countRev == 0
               ? kvStore_Create(&rev, kv, countKey(s).c_str(), next.data(), int(next.size()))
               : kvStore_Update(&rev, kv, countKey(s).c_str(), next.data(), int(next.size()),
                                countRev));
    if (mine) return;
  }
  throw events::StoreError("a webhook reminder kept losing races for its subscription's queue");
}

std::optional<QueuedReminder> KvDeliveryStateStore::queuedReminder(const SubscriptionId& s,
                                                                   uint64_t n) {
  auto v = get(slotKey(s, n));
  if (!v) return std::nullopt;
  return events::readStoredValue<schema::QueuedReminder>(v->first, readReminder);
}

uint64_t KvDeliveryStateStore::remindersQueued(const SubscriptionId& s) {
  auto v = get(countKey(s));
  return v ? std::strtoull(v->first.c_str(), nullptr, 10) : 0;
}

}  // namespace pitlog::server::webhooks

namespace pitlog::server::webhooks {

ClusterDelivery startClusterDelivery(cluster::NatsConnection& conn, const std::string& stream,
                                     int replicas, const std::string& nodeName,
                                     std::chrono::milliseconds lease) {
  ClusterDelivery out;
  KvLeaseSettings leases;
  leases.bucket = stream + "_WEBHOOK_LEASES";
  leases.replicas = replicas;
  leases.nodeName = nodeName;
  leases.lease = lease;
  out.lease = std::make_unique<KvDeliveryLease>(conn, std::move(leases));
  KvDeliveryStateSettings state;
  state.bucket = stream + "_WEBHOOK_DELIVERY";
  state.replicas = replicas;
  state.nodeName = nodeName;
  out.state = std::make_unique<KvDeliveryStateStore>(conn, *out.lease, std::move(state));
  out.lease->start();
  return out;
}

}  // namespace pitlog::server::webhooks
