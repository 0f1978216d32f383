#include "server/webhooks/kv_delivery_lease.h"

#include <charconv>
#include <vector>

#include "cluster/kv_bucket.h"
#include "cluster/nats_connection.h"
#include "cluster/nats_status.h"
#include "server/log.h"

namespace pitlog::server::webhooks {

namespace {

std::string hex(std::string_view s) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(s.size() * 2);
  for (unsigned char c : s) {
    out += kHex[c >> 4];
    out += kHex[c & 0xf];
  }
  return out;
}

struct LeaseValue {
  uint64_t term = 0;
  int64_t expiresAt = 0;
  std::string node;
};

std::string encode(const LeaseValue& v) {
  return std::to_string(v.term) + ' ' + std::to_string(v.expiresAt) + ' ' + v.node;
}

// A value pitd never writes reads as an expired lease of term 0: it can be taken over.
LeaseValue decode(kvEntry* e) {
  LeaseValue v;
  const auto* data = static_cast<const char*>(kvEntry_Value(e));
  const int len = kvEntry_ValueLen(e);
  if (data == nullptr || len <= 0) return v;
  const char* end = data + len;
  auto r = std::from_chars(data, end, v.term);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != ' ') return {};
  r = std::from_chars(r.ptr + 1, end, v.expiresAt);
  if (r.ec != std::errc() || r.ptr == end || *r.ptr != ' ') return {};
  v.node.assign(r.ptr + 1, end);
  return v;
}

}  // namespace

std::string leaseKey(const SubscriptionId& s) { return hex(s.account) + "." + hex(s.webhookId); }

KvDeliveryLease::KvDeliveryLease(cluster::NatsConnection& conn, KvLeaseSettings settings)
    : conn_(conn),
      settings_(std::move(settings)),
      margin_(settings_.margin.value_or(settings_.lease / 3)) {}

KvDeliveryLease::~KvDeliveryLease() {
  stop();
  if (kv_ != nullptr) kvStore_Destroy(kv_);
}

int64_t KvDeliveryLease::now() const {
  if (settings_.now) return settings_.now();
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

void KvDeliveryLease::start() {
  thread_ = std::thread([this] {
    const auto period = std::max(std::chrono::milliseconds(10), settings_.lease / 10);
    std::unique_lock<std::mutex> lock(mu_);
    while (!stopping_) {
      lock.unlock();
      tick();
      lock.lock();
      wake_.wait_for(lock, period);
    }
  });
}

void KvDeliveryLease::stop() {
  {
    std::lock_guard<std::mutex> lock(mu_);
    if (stopping_) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (thread_.joinable()) thread_.join();
  releaseAll();
}

bool KvDeliveryLease::usable(const Lease& l, int64_t now) const {
  return l.held && !l.renewFailed && now < l.expiresAt - margin_.count();
}

bool KvDeliveryLease::mayDeliver(const SubscriptionId& s) { return heldTerm(s).has_value(); }

std::optional<uint64_t> KvDeliveryLease::heldTerm(const SubscriptionId& s) {
  const int64_t t = now();
  std::lock_guard<std::mutex> lock(mu_);
  auto& l = leases_[leaseKey(s)];
  l.id = s;
  l.lastAsked = t;
  if (!l.held) {
    wake_.notify_all();  // acquire it soon
    return std::nullopt;
  }
  if (!usable(l, t)) return std::nullopt;
  return l.term;
}

void KvDeliveryLease::lost(const SubscriptionId& s, uint64_t term) {
  std::lock_guard<std::mutex> lock(mu_);
  auto it = leases_.find(leaseKey(s));
  if (it == leases_.end() || it->second.term > term) return;
  it->second.held = false;
  it->second.lostTerm = term;
  log::warn("webhook delivery lease lost to a later holder",
            {{"account", s.account}, {"webhook", s.webhookId}, {"term", std::to_string(term)}});
}

bool KvDeliveryLease::open() {
  if (kv_ != nullptr) return true;
  if (!conn_.connected()) return false;
  std::string error;
  kv_ = cluster::openBucket(conn_.jetStream(), {settings_.bucket, settings_.replicas, {}}, &error);
  if (kv_ == nullptr) {
    // Once per failure streak: the thread tries again every tenth of a lease.
    if (!openFailing_) log::warn(error);
    openFailing_ = true;
    return false;
  }
  openFailing_ = false;
  return true;
}

void KvDeliveryLease::acquire(const std::string& key, Lease& l, int64_t now) {
  kvEntry* e = nullptr;
  natsStatus s = kvStore_Get(&e, kv_, key.c_str());
  LeaseValue mine{1, now + settings_.lease.count(), settings_.nodeName};
  const std::string wantCreate = encode(mine);
  uint64_t rev = 0;
  if (s == NATS_NOT_FOUND) {
    s = kvStore_Create(&rev, kv_, key.c_str(), wantCreate.data(), int(wantCreate.size()));
  } else if (s == NATS_OK) {
    const LeaseValue theirs = decode(e);
    const uint64_t last = kvEntry_Revision(e);
    kvEntry_Destroy(e);
    if (theirs.expiresAt > now) return;  // held (by whoever: a restarted node waits too)
    mine.term = theirs.term + 1;
    const std::string v = encode(mine);
    s = kvStore_Update(&rev, kv_, key.c_str(), v.data(), int(v.size()), last);
  }
  if (s != NATS_OK) return;  // lost the race, or NATS failed: not held
  l.held = true;
  l.term = mine.term;
  l.revision = rev;
  l.expiresAt = mine.expiresAt;
  l.renewAt = now + settings_.lease.count() / 3;
  l.renewFailed = false;
  log::info(
      "webhook delivery lease acquired",
      {{"account", l.id.account}, {"webhook", l.id.webhookId}, {"term", std::to_string(l.term)}});
}

void KvDeliveryLease::renew(const std::string& key, Lease& l, int64_t now) {
  const LeaseValue mine{l.term, now + settings_.lease.count(), settings_.nodeName};
  const std::string v = encode(mine);
  for (int tries = 0; tries < 2; ++tries) {
    uint64_t rev = 0;
    if (kvStore_Update(&rev, kv_, key.c_str(), v.data(), int(v.size()), l.revision) == NATS_OK) {
      l.revision = rev;
      l.expiresAt = mine.expiresAt;
      l.renewAt = now + settings_.lease.count() / 3;
      l.renewFailed = false;
      return;
    }
    // Another revision: someone took the lease, or an earlier renewal of ours landed after its
    // request timed out (then the value is still ours and its revision is adopted).
    kvEntry* e = nullptr;
    if (kvStore_Get(&e, kv_, key.c_str()) != NATS_OK) break;
    const LeaseValue found = decode(e);
    const uint64_t last = kvEntry_Revision(e);
    kvEntry_Destroy(e);
    if (found.term != l.term || found.node != settings_.nodeName) {
      l.held = false;
      log::warn("webhook delivery lease lost", {{"account", l.id.account},
                                                {"webhook", l.id.webhookId},
                                                {"term", std::to_string(l.term)}});
      return;
    }
    l.revision = last;
  }
  l.renewFailed = true;  // NATS did not answer: not usable until a renewal succeeds
}

void KvDeliveryLease::tick() {
  std::lock_guard<std::mutex> ticking(tickMu_);
  std::map<std::string, Lease> work;
  {
    std::lock_guard<std::mutex> lock(mu_);
    work = leases_;
  }
  const int64_t t = now();
  const bool reachable = conn_.connected() && open();
  std::vector<std::string> forgotten;
  for (auto& [key, l] : work) {
    if (t - l.lastAsked > 3 * settings_.lease.count()) {  // nobody delivers it here any more
      if (l.held && reachable) {
        const LeaseValue gone{l.term, 0, settings_.nodeName};
        const std::string v = encode(gone);
        uint64_t rev = 0;
        (void)kvStore_Update(&rev, kv_, key.c_str(), v.data(), int(v.size()), l.revision);
      }
      forgotten.push_back(key);
      continue;
    }
    if (l.held && t >= l.expiresAt) l.held = false;  // renewals failed for the whole lease
    if (!reachable) {
      if (l.held) l.renewFailed = true;
      continue;
    }
    if (!l.held) {
      acquire(key, l, t);
    } else if (t >= l.renewAt || l.renewFailed) {
      renew(key, l, t);
    }
  }
  std::lock_guard<std::mutex> lock(mu_);
  for (auto& [key, l] : work) {
    auto it = leases_.find(key);
    if (it == leases_.end()) continue;
    const int64_t asked = it->second.lastAsked;
    const uint64_t lostTerm = it->second.lostTerm;
    it->second = l;
    it->second.lastAsked = std::max(asked, l.lastAsked);
    it->second.lostTerm = lostTerm;
    // lost() while this round ran: the state store saw a later holder.
    if (l.held && l.term <= lostTerm) it->second.held = false;
  }
  for (const auto& key : forgotten) {
    auto it = leases_.find(key);
    if (it != leases_.end() && t - it->second.lastAsked > 3 * settings_.lease.count()) {
      leases_.erase(it);
    }
  }
}

void KvDeliveryLease::releaseAll() {
  std::lock_guard<std::mutex> ticking(tickMu_);
  std::map<std::string, Lease> held;
  {
    std::lock_guard<std::mutex> lock(mu_);
    for (auto& [key, l] : leases_) {
      if (l.held) held.emplace(key, l);
      l.held = false;
    }
  }
  if (held.empty() || !conn_.connected() || !open()) return;
  for (const auto& [key, l] : held) {
    const std::string v = encode({l.term, 0, settings_.nodeName});
    uint64_t rev = 0;
    (void)kvStore_Update(&rev, kv_, key.c_str(), v.data(), int(v.size()), l.revision);
  }
}

}  // namespace pitlog::server::webhooks
