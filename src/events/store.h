#pragma once
// The RocksDB database behind pitlog: opening it with its column families (keys.h), point reads,
// ordered scans, and atomic batch writes. It knows nothing of what the values mean.
//
// Thread-safety: all methods are safe to call concurrently (RocksDB is); write() and reopen() are
// meant to be called by the single writer only, which is what gives the log its gap-free order.
// family() and db() hand out RocksDB objects that reopen() replaces: use them on the writer
// thread, or where no reopen() can run (tools, tests, start-up).
// Errors: open() throws StoreError with a message for a person; reads of a healthy database do
// not fail, and an I/O error during a read throws StoreError too; write() returns its outcome.
//
// Storage faults (a full or read-only file system): after a failed WAL write, flush or
// compaction RocksDB keeps a background error and refuses writes. pitlog does not let RocksDB
// recover by itself (DB::Resume() after a failed WAL append can leave the failed log writer in
// use, and Debian's build asserts on it): the listener turns its automatic recovery off, and the
// owner of the writes calls reopen() once the file system looks writable again (looksWritable()).
#include <rocksdb/db.h>
#include <rocksdb/write_batch.h>

#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <shared_mutex>
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
    // RocksDB's memory, all of it in one budget: the block cache, with the memtables charged to
    // it (a WriteBufferManager holding them to half of it). pitd answers introspection from its
    // own tables, so RocksDB's reads are the write path's and the queries' few point reads.
    static constexpr size_t kDefaultMemoryBudgetBytes = 32 << 20;
    size_t memoryBudgetBytes = kDefaultMemoryBudgetBytes;
    // Not owned; must outlive the store. Tests pass one whose file system injects write errors.
    rocksdb::Env* env = nullptr;
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

  // A forward cursor over one whole family in key order, for long sequential reads (verify's
  // comparison with the rebuilt views): it reads ahead and leaves the block cache alone. It
  // holds the store's read lock while it lives (a reopen() waits for it): do not keep it
  // beyond the read. key() and value() are valid until next(); next() and the constructor
  // throw StoreError when RocksDB reports an error.
  class Cursor {
   public:
    Cursor(const Store& store, keys::Family f);
    ~Cursor();
    bool valid() const { return iterator_->Valid(); }
    std::string_view key() const;
    std::string_view value() const;
    void next();

   private:
    void check() const;
    keys::Family family_;
    std::shared_lock<std::shared_mutex> lock_;
    std::unique_ptr<rocksdb::Iterator> iterator_;
  };

  // Reads the stored meta values; zero / zeros when the database is empty.
  uint64_t lastSeq() const;
  Digest chainHead() const;

  // Atomically applies the batch; with sync, returns only once it is on stable storage.
  WriteOutcome write(rocksdb::WriteBatch& batch, bool sync);

  // The first background error RocksDB reported since the last (re)open (a failed flush,
  // compaction or WAL write), or nullopt. Writes fail until reopen() succeeds.
  std::optional<std::string> backgroundError() const;
  // A cheap probe (statvfs) before a reopen: the data dir's file system is mounted read-write
  // and has at least minFreeBytes available. Otherwise false, with the reason in *why.
  bool looksWritable(uint64_t minFreeBytes, std::string* why) const;
  // Read-write mode only: closes the database and opens it again, which drops RocksDB's
  // background error, recovers the WAL up to its last whole record (a write that failed half
  // way is not there) and starts a new WAL. Readers on other threads wait while it runs. When
  // the read-write open fails (the disk is still full), the database is opened read-only so that
  // reads go on, and the outcome says why; call again later.
  WriteOutcome reopen();
  // Whether the database is open read-write now (false after a reopen() that fell back to a
  // read-only open). A read-only open replays the WAL as it finds it, records whose fsync failed
  // included: what it shows is not known durable, and it is never a base for appending.
  bool openForWriting() const;

  // Secondary mode only: replays the primary's new writes. Returns false with a message on error.
  bool catchUp(std::string* error);

  // On-disk size of each family (SST + memtables) for tools' statistics.
  uint64_t familySize(keys::Family f) const;
  // RocksDB's estimate of the number of keys in a family (cheap; for presizing).
  uint64_t estimateKeys(keys::Family f) const;

  // What RocksDB holds in memory now, for the metrics page.
  struct MemoryUsage {
    uint64_t budget = 0;        // Options::memoryBudgetBytes
    uint64_t cache = 0;         // the block cache's charge, the memtables' reservations included
    uint64_t memtables = 0;     // every family's memtables, mutable and immutable
    uint64_t tableReaders = 0;  // index and filter blocks held outside the cache
  };
  MemoryUsage memoryUsage() const;

 private:
  class FaultListener;
  Store() = default;
  // Opens db_ and handles_ in `mode` with the options saved by open(). Returns RocksDB's status.
  rocksdb::Status openDb(Mode mode);
  // Destroys the handles and closes db_; flushes first when `flush` (a clean close).
  void closeDb(bool flush);

  Mode mode_ = Mode::readWrite;
  std::string path_;
  std::string secondaryPath_;
  rocksdb::DBOptions dbOptions_;
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors_;
  std::shared_ptr<FaultListener> listener_;
  std::shared_ptr<rocksdb::Cache> cache_;  // the memory budget (Options::memoryBudgetBytes)
  // Shared by every use of db_ and handles_, exclusive in reopen(). Scans that read inside their
  // visitor take it twice on one thread: glibc's rwlock (libstdc++'s shared_mutex) prefers
  // readers, so a nested shared lock never waits behind a queued reopen().
  mutable std::shared_mutex dbMu_;
  std::unique_ptr<rocksdb::DB> db_;                    // GUARDED_BY(dbMu_)
  std::vector<rocksdb::ColumnFamilyHandle*> handles_;  // GUARDED_BY(dbMu_), see family()
  bool writable_ = false;                              // GUARDED_BY(dbMu_): opened read-write
};

}  // namespace pitlog::events
