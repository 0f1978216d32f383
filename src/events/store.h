#pragma once
// The RocksDB database behind pitlog: opening it with its column families (keys.h), point reads,
// ordered scans, and atomic batch writes. It knows nothing of what the values mean.
//
// Thread-safety: all methods are safe to call concurrently (RocksDB is); write() is meant to be
// called by the single writer only, which is what gives the log its gap-free order.
// Errors: open() throws StoreError with a message for a person; reads of a healthy database do
// not fail, and an I/O error during a read throws StoreError too; write() returns its outcome.
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <functional>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>

#include "events/digest.h"
#include "events/keys.h"

namespace pitlog::events {

class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

struct WriteOutcome {
  bool ok = true;
  bool noSpace = false;  // the file system is full or read-only: worth retrying later
  std::string message;
};

class Store {
 public:
  enum class Mode {
    readWrite,  // the server; creates the database when it does not exist
    readOnly,   // tools on a stopped database or a copy
    secondary,  // tools beside a running server; call catchUp() to see new writes
  };
  struct Options {
    std::string path;
    Mode mode = Mode::readWrite;
    std::string secondaryPath;  // for Mode::secondary: a private directory for its own logs
    size_t blockCacheBytes = 64 << 20;
  };

  static std::unique_ptr<Store> open(const Options& options);
  ~Store();

  Mode mode() const { return mode_; }
  const std::string& path() const { return path_; }
  rocksdb::DB& db() { return *db_; }
  rocksdb::ColumnFamilyHandle* family(keys::Family f) const {
    return handles_[static_cast<int>(f)];
  }

  std::optional<std::string> get(keys::Family f, std::string_view key) const;

  // Calls visit(key, value) for each key starting with prefix, in key order, until it returns
  // false. With an empty prefix, the whole family.
  void scanPrefix(keys::Family f, std::string_view prefix,
                  const std::function<bool(std::string_view, std::string_view)>& visit) const;
  // Calls visit(key, value) for keys in [from, to) (to empty: to the end), until it returns false.
  void scanRange(keys::Family f, std::string_view from, std::string_view to,
                 const std::function<bool(std::string_view, std::string_view)>& visit) const;
  // Same, from the end towards the start: keys in [from, to), largest first.
  void scanRangeReverse(keys::Family f, std::string_view from, std::string_view to,
                        const std::function<bool(std::string_view, std::string_view)>& visit) const;

  // Reads the stored meta values; zero / zeros when the database is empty.
  uint64_t lastSeq() const;
  Digest chainHead() const;

  // Atomically applies the batch; with sync, returns only once it is on stable storage.
  WriteOutcome write(rocksdb::WriteBatch& batch, bool sync);
  // After a failed write left RocksDB in its background-error state, tries to resume it.
  WriteOutcome resume();

  // Secondary mode only: replays the primary's new writes. Returns false with a message on error.
  bool catchUp(std::string* error);

  // On-disk size of each family (SST + memtables) for tools' statistics.
  uint64_t familySize(keys::Family f) const;
  // RocksDB's estimate of the number of keys in a family (cheap; for presizing).
  uint64_t estimateKeys(keys::Family f) const;

 private:
  Store() = default;
  Mode mode_ = Mode::readWrite;
  std::string path_;
  std::unique_ptr<rocksdb::DB> db_;
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;
};

}  // namespace pitlog::events
