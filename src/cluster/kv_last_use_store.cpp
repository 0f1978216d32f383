#include "cluster/kv_last_use_store.h"

#include <charconv>
#include <cstring>

#include "cluster/kv_bucket.h"
#include "cluster/nats_connection.h"
#include "cluster/nats_status.h"

namespace pitlog::cluster {

namespace {

using commands::LastUseTable;

// How often flush() reads and writes one key again after another node wrote it in between.
constexpr int kMaxRaces = 16;
// How often merge() offers a value whose token is not tracked, and how many such values it keeps.
constexpr int kPendingMerges = 20;
constexpr size_t kMaxPending = 100'000;

std::string hexKey(const events::Digest& d) {
  static constexpr char kHex[] = "0123456789abcdef";
  std::string out;
  out.reserve(LastUseTable::kKeyBytes * 2);
  for (size_t i = 0; i < LastUseTable::kKeyBytes; ++i) {
    out += kHex[d[i] >> 4];
    out += kHex[d[i] & 0xf];
  }
  return out;
}

std::optional<events::Digest> digestOfKey(std::string_view key) {
  if (key.size() != LastUseTable::kKeyBytes * 2) return std::nullopt;
  events::Digest d{};
  for (size_t i = 0; i < LastUseTable::kKeyBytes; ++i) {
    uint8_t byte = 0;
    const auto r = std::from_chars(key.data() + 2 * i, key.data() + 2 * i + 2, byte, 16);
    if (r.ec != std::errc() || r.ptr != key.data() + 2 * i + 2) return std::nullopt;
    d[i] = byte;
  }
  return d;
}

// A value pitd never writes (not a positive decimal time) is read as none.
std::optional<events::UnixMillis> timeOf(kvEntry* e) {
  const auto* data = static_cast<const char*>(kvEntry_Value(e));
  const int len = kvEntry_ValueLen(e);
  if (data == nullptr || len <= 0) return std::nullopt;
  int64_t at = 0;
  const auto r = std::from_chars(data, data + len, at);
  if (r.ec != std::errc() || r.ptr != data + len || at <= 0) return std::nullopt;
  return at;
}

}  // namespace

KvLastUseStore::KvLastUseStore(NatsConnection& conn, LastUseBucketSettings settings,
                               events::Store& store, bool sync)
    : conn_(conn), settings_(std::move(settings)), local_(store, sync) {}

KvLastUseStore::~KvLastUseStore() { close(); }

void KvLastUseStore::close() {
  if (watcher_ != nullptr) kvWatcher_Destroy(watcher_);
  watcher_ = nullptr;
  if (kv_ != nullptr) kvStore_Destroy(kv_);
  kv_ = nullptr;
}

bool KvLastUseStore::open(std::string* error) {
  if (kv_ != nullptr && watcher_ != nullptr) return true;
  if (!conn_.connected()) {
    *error = "not connected to a NATS server";
    return false;
  }
  if (kv_ == nullptr) {
    kv_ = openBucket(conn_.jetStream(), {settings_.bucket, settings_.replicas, {}}, error);
    if (kv_ == nullptr) return false;
  }
  kvWatchOptions opts;
  kvWatchOptions_Init(&opts);
  opts.IgnoreDeletes = true;  // a deleted value's token is no longer valid on any node
  const natsStatus s = kvStore_WatchAll(&watcher_, kv_, &opts);
  if (s != NATS_OK) {
    watcher_ = nullptr;
    *error = describeNatsFailure("watching key-value bucket " + settings_.bucket, s);
    return false;
  }
  return true;
}

void KvLastUseStore::load(
    const std::function<void(const events::Digest&, events::UnixMillis)>& each) {
  local_.load(each);
  // The bucket's values come through the watcher at the first merge(), not here: load() forgets
  // (and the next flush deletes) a value whose token is not tracked, and at start this node may
  // not have caught up with the tokens other nodes issued.
  std::string error;
  (void)open(&error);  // when NATS is down, merge() opens it later
}

void KvLastUseStore::merge(const MergeFn& each) {
  std::vector<Pending> again;
  for (auto& p : pending_) {
    if (!each(p.digest, p.at) && ++p.offers < kPendingMerges) again.push_back(p);
  }
  pending_ = std::move(again);
  const auto offer = [&](const events::Digest& d, events::UnixMillis at) {
    if (!each(d, at) && pending_.size() < kMaxPending) pending_.push_back({d, at, 1});
  };
  std::string error;
  if (!open(&error)) return;
  for (;;) {
    kvEntry* e = nullptr;
    const natsStatus s = kvWatcher_Next(&e, watcher_, 1);
    if (s == NATS_TIMEOUT) return;  // nothing more stored since
    if (s != NATS_OK) {
      // The watcher is gone (closed subscription): a new one delivers every value again.
      kvWatcher_Destroy(watcher_);
      watcher_ = nullptr;
      return;
    }
    if (e == nullptr) continue;  // the end of the initial values
    const auto d = digestOfKey(kvEntry_Key(e));
    const auto at = timeOf(e);
    kvEntry_Destroy(e);
    if (d && at) offer(*d, *at);
  }
}

bool KvLastUseStore::flush(const LastUseTable::Changes& changes, std::string* error) {
  // The node's own copy first: it is what a restart without NATS shows.
  if (!local_.flush(changes, error)) return false;
  if (!conn_.connected()) {  // never wait on requests that cannot be answered
    *error = "not connected to a NATS server";
    return false;
  }
  if (!open(error)) return false;
  for (const auto& d : changes.forgotten) {
    const natsStatus s = kvStore_Delete(kv_, hexKey(d).c_str());
    if (s != NATS_OK && s != NATS_NOT_FOUND) {
      *error = describeNatsFailure("deleting a last use", s);
      return false;
    }
  }
  for (const auto& u : changes.used) {
    const std::string key = hexKey(u.digest);
    const std::string value = std::to_string(u.at);
    bool stored = false;
    for (int race = 0; race < kMaxRaces && !stored; ++race) {
      if (!conn_.connected()) break;
      kvEntry* e = nullptr;
      natsStatus s = kvStore_Get(&e, kv_, key.c_str());
      uint64_t rev = 0;
      if (s == NATS_NOT_FOUND) {
        s = kvStore_Create(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()));
      } else if (s == NATS_OK) {
        const auto theirs = timeOf(e);
        const uint64_t last = kvEntry_Revision(e);
        kvEntry_Destroy(e);
        if (theirs && *theirs >= u.at) {
          stored = true;  // latest wins: the bucket's is as late
          break;
        }
        s = kvStore_Update(&rev, kv_, key.c_str(), value.data(), static_cast<int>(value.size()),
                           last);
      } else {
        *error = describeNatsFailure("reading a last use", s);
        return false;
      }
      // A failed create or update most likely lost a race: read again.
      stored = s == NATS_OK;
    }
    if (!stored) {
      *error = conn_.connected() ? "a last use kept losing races for its key"
                                 : "not connected to a NATS server";
      return false;
    }
  }
  return true;
}

}  // namespace pitlog::cluster
