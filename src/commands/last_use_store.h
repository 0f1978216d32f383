#pragma once
// Where last-use values are kept between runs: the seam between the in-memory LastUseTable and
// the storage that outlives the process. A single node keeps them in its own RocksDB, in the
// last_use family outside the log (LocalLastUseStore). A cluster plugs in another implementation
// (a JetStream key-value bucket, latest time wins: src/cluster/kv_last_use_store.h) through
// EngineOptions::lastUseStore, so that every node shows the same value.
//
// Every method runs on the engine's writer thread only.
#include <cstdint>
#include <functional>
#include <string>

#include "commands/last_use_table.h"
#include "events/store.h"

namespace pitlog::commands {

class LastUseStore {
 public:
  virtual ~LastUseStore() = default;
  // Calls `each` for every stored last use (the digest's first LastUseTable::kKeyBytes bytes, the
  // rest zeros). Throws events::StoreError when the store cannot be read.
  virtual void load(const std::function<void(const events::Digest&, events::UnixMillis)>& each) = 0;
  // Writes the uses and deletes the forgotten tokens' values, in one write. False (with the
  // reason in *error) when nothing could be written: the caller keeps the changes for next time.
  [[nodiscard]] virtual bool flush(const LastUseTable::Changes& changes, std::string* error) = 0;
  // Calls `each` for the last uses other nodes stored since the last load() or merge(), before
  // each flush (a store shared by a cluster). A store only this node writes has none. `each`
  // answers false for a token this node does not track (yet): the store offers it again at a few
  // later calls. Never throws: what cannot be read now is read by a later call.
  using MergeFn = std::function<bool(const events::Digest&, events::UnixMillis)>;
  virtual void merge(const MergeFn& each) {
    (void)each;
  }
};

// The single-node store: the last_use family of the node's own database (events/keys.h).
class LocalLastUseStore : public LastUseStore {
 public:
  LocalLastUseStore(events::Store& store, bool sync) : store_(store), sync_(sync) {}
  void load(const std::function<void(const events::Digest&, events::UnixMillis)>& each) override;
  bool flush(const LastUseTable::Changes& changes, std::string* error) override;

 private:
  events::Store& store_;
  bool sync_;
};

}  // namespace pitlog::commands
