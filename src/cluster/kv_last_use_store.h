#pragma once
// Tokens' last use in cluster mode (API.md "Token hygiene": `lastUsedAt` is the latest any node
// saw): a LastUseStore over a JetStream key-value bucket the nodes share, beside the node's own
// last_use family.
//
// Key: the lowercase hex of the digest's first LastUseTable::kKeyBytes bytes (the local family's
// key). Value: the time in Unix milliseconds, in decimal. Latest wins and a value never goes
// backwards: flush() reads each changed key and writes only a later time, with the revision it
// read as the expected last one (kvStore_Update), retrying when another node wrote in between.
//
// Other nodes' values reach this node through one watcher of the whole bucket, opened at load():
// it first delivers every current value, then each update as it is stored; merge() (before each
// flush) drains what arrived since the last call, so a flush costs a round trip or two per changed
// token and nothing per unchanged one. load() itself reads only the node's own copy, the local
// family: a node that starts while NATS is down still shows its own last uses, and the bucket's
// values are merged once this node tracks their tokens, never deleted for being unknown at start.
//
// A value whose token this node has not applied yet (another node issued and used it moments ago)
// is kept aside and offered again at the next few merges, not lost and not deleted.
//
// NATS down: flush() writes the local family, then fails at once (the connection says so)
// without waiting on requests, and the engine gives the changes back for the next flush. It runs
// on the engine's writer thread; introspection never waits for it.
#include <memory>
#include <string>
#include <vector>

#include "commands/last_use_store.h"

typedef struct __kvStore kvStore;
typedef struct __kvWatcher kvWatcher;

namespace pitlog::cluster {

class NatsConnection;

struct LastUseBucketSettings {
  std::string bucket;  // e.g. "<stream>_LAST_USE"
  int replicas = 1;
};

class KvLastUseStore : public commands::LastUseStore {
 public:
  // Nothing is asked of NATS here: the bucket is created (file storage, history 1) or opened at
  // the first load() or flush() that can reach it. `conn` must outlive the store.
  KvLastUseStore(NatsConnection& conn, LastUseBucketSettings settings, events::Store& store,
                 bool sync);
  ~KvLastUseStore() override;

  void load(const std::function<void(const events::Digest&, events::UnixMillis)>& each) override;
  bool flush(const commands::LastUseTable::Changes& changes, std::string* error) override;
  void merge(const MergeFn& each) override;

 private:
  // Opens the bucket (created when missing) and the watcher; false with *error when it cannot.
  bool open(std::string* error);
  void close();

  NatsConnection& conn_;
  LastUseBucketSettings settings_;
  commands::LocalLastUseStore local_;
  kvStore* kv_ = nullptr;
  kvWatcher* watcher_ = nullptr;
  // Values merge() could not place (their token's issue not applied here yet), offered again at
  // the next kPendingMerges merges. Bounded: a node far behind reads them at its next load().
  struct Pending {
    events::Digest digest{};
    events::UnixMillis at = 0;
    int offers = 0;
  };
  std::vector<Pending> pending_;
};

}  // namespace pitlog::cluster
