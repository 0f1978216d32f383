#include "events/store.h"

#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>
#include <rocksdb/listener.h>
#include <rocksdb/write_buffer_manager.h>
#include <sys/statvfs.h>

#include <algorithm>
#include <cerrno>
#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <unistd.h>
#include <memory>

namespace pitlog::events {

// Remembers RocksDB's first background error and keeps RocksDB from recovering by itself: after a
// failed WAL append its automatic recovery (for a full disk, a thread that polls the free space
// and resumes) may clear the error while the failed log writer is still the current one, and the
// next write then aborts in Debian's build (an assertion in WritableFileWriter). Only reopen()
// leaves the error state, when the writer decides.
class Store::FaultListener : public rocksdb::EventListener {
 public:
  // Called with RocksDB's DB mutex held: short, no I/O.
  void OnBackgroundError(rocksdb::BackgroundErrorReason, rocksdb::Status* error) override {
    std::lock_guard lock(mu_);
    if (!error_) error_ = error->ToString();
  }
  void OnErrorRecoveryBegin(rocksdb::BackgroundErrorReason, rocksdb::Status error,
                            bool* autoRecovery) override {
    error.PermitUncheckedError();
    *autoRecovery = false;
  }
  std::optional<std::string> error() const {
    std::lock_guard lock(mu_);
    return error_;
  }
  void reset() {
    std::lock_guard lock(mu_);
    error_.reset();
  }

 private:
  mutable std::mutex mu_;
  std::optional<std::string> error_;  // GUARDED_BY(mu_)
};

namespace {

// RocksDB's own log (<data>/LOG) written through stdio, errors ignored. RocksDB's file logger
// writes through a WritableFileWriter, which after one failed append (a full disk) aborts the
// process at its next line in Debian's build (an assertion) - and closing a database after a
// fault logs a line. A log line lost to a full disk is no loss.
class TolerantFileLogger : public rocksdb::Logger {
 public:
  TolerantFileLogger(const std::string& path, rocksdb::InfoLogLevel level)
      : rocksdb::Logger(level), file_(std::fopen(path.c_str(), "ae")) {}
  ~TolerantFileLogger() override {
    if (file_) std::fclose(file_);
  }
  using rocksdb::Logger::Logv;
  void Logv(const char* format, va_list ap) override {
    if (!file_) return;
    std::lock_guard lock(mu_);
    std::vfprintf(file_, format, ap);
    std::fputc('\n', file_);
    std::fflush(file_);
    std::clearerr(file_);
  }

 private:
  std::mutex mu_;
  std::FILE* file_;
};

std::string describe(const rocksdb::Status& s) { return s.ToString(); }

rocksdb::ColumnFamilyOptions familyOptions(keys::Family f,
                                           const std::shared_ptr<rocksdb::Cache>& cache,
                                           size_t memoryBudgetBytes) {
  rocksdb::ColumnFamilyOptions cf;
  // At most two memtables of an eighth of the budget each (one filling, one flushing) per family.
  cf.write_buffer_size = memoryBudgetBytes / 8;
  cf.max_write_buffer_number = 2;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Index and filter blocks live in the cache too, so that the budget bounds all of RocksDB's
  // memory; the newest files' stay pinned, as the write path reads those most.
  table.cache_index_and_filter_blocks = true;
  table.pin_l0_filter_and_index_blocks_in_cache = true;
  // Point lookups dominate every family but events and the audit index.
  if (f != keys::Family::events && f != keys::Family::auditByAccount) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = rocksdb::kNoCompression;
  if (f == keys::Family::events) cf.compression = rocksdb::kLZ4Compression;
  return cf;
}

// What a family added after the first release holds, for the message that names it; nullptr
// for the families every pitlog database has.
const char* laterFamilyPurpose(const std::string& name) {
  if (name == keys::kMerkle) return "the log's Merkle tree";
  if (name == keys::kLastUse) return "the tokens' last use";
  if (name == keys::kWebhooks) return "webhook subscriptions";
  if (name == keys::kWebhookDelivery) return "webhook delivery state";
  return nullptr;
}

}  // namespace

std::unique_ptr<Store> Store::open(const Options& options) {
  namespace fs = std::filesystem;
  auto store = std::unique_ptr<Store>(new Store());
  store->mode_ = options.mode;
  store->path_ = options.path;

  const bool exists = fs::exists(fs::path(options.path) / "CURRENT");
  if (!exists && options.mode != Mode::readWrite) {
    throw StoreError("no pitlog database at " + options.path);
  }
  if (!exists) {
    // RocksDB creates the last directory only; a data dir's parents are made here.
    std::error_code ec;
    fs::create_directories(options.path, ec);
    if (ec) throw StoreError("cannot create " + options.path + ": " + ec.message());
  }
  rocksdb::DBOptions db;
  db.create_if_missing = !exists;
  db.create_missing_column_families = !exists;
  db.max_background_jobs = 2;
  db.info_log_level = rocksdb::InfoLogLevel::WARN_LEVEL;
  db.keep_log_file_num = 5;
  if (options.env) db.env = options.env;
  if (options.mode == Mode::secondary) db.max_open_files = -1;  // required by secondaries
  if (options.mode == Mode::readWrite) {
    db.info_log = std::make_shared<TolerantFileLogger>(
        (std::filesystem::path(options.path) / "LOG").string(), db.info_log_level);
  }

  if (exists) {
    std::vector<std::string> present;
    auto s = rocksdb::DB::ListColumnFamilies(db, options.path, &present);
    if (!s.ok()) throw StoreError("cannot read " + options.path + ": " + describe(s));
    for (const auto& name : keys::familyNames()) {
      if (std::find(present.begin(), present.end(), name) == present.end()) {
        // Families that came after the first release: pitd adds them to an older database
        // (Engine::open builds the merkle nodes from the log; last_use, not history, starts
        // empty); a tool cannot, read-only.
        if (const char* what = laterFamilyPurpose(name)) {
          if (options.mode == Mode::readWrite) {
            db.create_missing_column_families = true;
            continue;
          }
          throw StoreError("the database at " + options.path + " predates " + what +
                           ": start pitd on it once to add it, then run this again");
        }
        throw StoreError("the database at " + options.path + " has no column family '" + name +
                         "': it is not a pitlog database, or it is damaged");
      }
    }
  }

  // One budget for all of RocksDB's memory. Left to its defaults, each of the dozen families keeps
  // a 64 MiB write buffer and nothing caps their sum: a 30-minute soak of 20 commands a second
  // grew pitd's RSS by 70 MiB. The write buffer manager flushes a family once the memtables
  // together reach half the budget and charges them to the cache, which gives way. Its own stall
  // (allow_stall) can wait forever in this RocksDB (7.8) when writes outrun flushes, so bursts
  // are held by each family's write buffer instead (familyOptions): a family with one memtable
  // full and one flushing makes its writers wait, as RocksDB always does.
  auto cache = rocksdb::NewLRUCache(options.memoryBudgetBytes);
  db.write_buffer_manager =
      std::make_shared<rocksdb::WriteBufferManager>(options.memoryBudgetBytes / 2, cache);
  store->cache_ = cache;
  store->descriptors_.emplace_back(rocksdb::kDefaultColumnFamilyName,
                                   rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < keys::kFamilyCount; ++i) {
    store->descriptors_.emplace_back(keys::familyNames()[i],
                                     familyOptions(static_cast<keys::Family>(i), cache,
                                                   options.memoryBudgetBytes));
  }
  store->listener_ = std::make_shared<FaultListener>();
  db.listeners.push_back(store->listener_);
  store->dbOptions_ = db;
  store->secondaryPath_ = options.secondaryPath;
  rocksdb::Status s = store->openDb(options.mode);
  if (!s.ok()) {
    std::string why = describe(s);
    if (s.IsIOError() && why.find("lock") != std::string::npos) {
      throw StoreError("the database at " + options.path +
                       " is in use by another process (" + why + ")");
    }
    throw StoreError("cannot open the database at " + options.path + ": " + why);
  }

  if (auto v = store->get(keys::Family::meta, keys::kMetaSchemaVersion)) {
    auto version = keys::readFixed32(*v);
    if (!version || *version > keys::kSchemaVersion) {
      std::string found = version ? std::to_string(*version) : "unreadable";
      throw StoreError("the database at " + options.path + " has schema version " + found +
                       ", newer than this build's " + std::to_string(keys::kSchemaVersion) +
                       ": upgrade pitlog to open it");
    }
  } else if (options.mode == Mode::readWrite) {
    rocksdb::WriteBatch batch;
    batch.Put(store->family(keys::Family::meta), rocksdb::Slice(keys::kMetaSchemaVersion.data(),
                                                                keys::kMetaSchemaVersion.size()),
              keys::fixed32(keys::kSchemaVersion));
    auto outcome = store->write(batch, true);
    if (!outcome.ok) throw StoreError("cannot initialise " + options.path + ": " + outcome.message);
  }
  return store;
}

rocksdb::Status Store::openDb(Mode mode) {
  namespace fs = std::filesystem;
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  switch (mode) {
    case Mode::readWrite:
      s = rocksdb::DB::Open(dbOptions_, path_, descriptors_, &handles, &raw);
      break;
    case Mode::readOnly:
      s = rocksdb::DB::OpenForReadOnly(dbOptions_, path_, descriptors_, &handles, &raw);
      break;
    case Mode::secondary: {
      std::string secondary = secondaryPath_;
      if (secondary.empty()) {
        secondary = (fs::temp_directory_path() /
                     ("pitlog-secondary-" + std::to_string(::getpid()))).string();
      }
      s = rocksdb::DB::OpenAsSecondary(dbOptions_, path_, secondary, descriptors_, &handles, &raw);
      break;
    }
  }
  if (!s.ok()) return s;
  db_.reset(raw);
  writable_ = mode == Mode::readWrite;
  // handles[0] is the default family, which pitlog does not use; keep it for clean close.
  handles_.assign(handles.begin() + 1, handles.end());
  handles_.push_back(handles[0]);
  return s;
}

void Store::closeDb(bool flush) {
  if (!db_) return;
  if (flush) db_->Flush(rocksdb::FlushOptions(), handles_).PermitUncheckedError();
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  handles_.clear();
  db_->Close().PermitUncheckedError();
  db_.reset();
  writable_ = false;
}

Store::~Store() {
  if (!db_) return;
  // A clean close leaves no WAL to replay: the next start reads tables instead of rebuilding
  // memtables from the log, which is most of a large database's start-up time otherwise. Not
  // after a background error: nothing can be written then, and the next start replays the WAL.
  std::unique_lock lock(dbMu_);
  closeDb(writable_ && !listener_->error());
}

static rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

std::optional<std::string> Store::get(keys::Family f, std::string_view key) const {
  std::shared_lock lock(dbMu_);
  if (!db_) throw StoreError("the database at " + path_ + " is closed after a storage fault");
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), family(f), slice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) throw StoreError(std::string("read from ") + keys::familyName(f) + ": " + describe(s));
  return value;
}

void Store::scanPrefix(keys::Family f, std::string_view prefix,
                       const std::function<bool(std::string_view, std::string_view)>& visit) const {
  std::shared_lock lock(dbMu_);
  if (!db_) throw StoreError("the database at " + path_ + " is closed after a storage fault");
  rocksdb::ReadOptions ro;
  // A whole-family scan (load, replay, tools) would only evict the point lookups' working set.
  ro.fill_cache = !prefix.empty();
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, family(f)));
  for (it->Seek(slice(prefix)); it->Valid(); it->Next()) {
    auto k = it->key();
    std::string_view key(k.data(), k.size());
    if (key.substr(0, prefix.size()) != prefix) break;
    auto v = it->value();
    if (!visit(key, std::string_view(v.data(), v.size()))) return;
  }
  if (!it->status().ok()) {
    throw StoreError(std::string("scan of ") + keys::familyName(f) + ": " + describe(it->status()));
  }
}

Store::Cursor::Cursor(const Store& store, keys::Family f) : family_(f), lock_(store.dbMu_) {
  if (!store.db_) throw StoreError("the database at " + store.path_ + " is closed after a storage fault");
  rocksdb::ReadOptions ro;
  ro.fill_cache = false;
  ro.readahead_size = 4 << 20;
  iterator_.reset(store.db_->NewIterator(ro, store.family(f)));
  iterator_->SeekToFirst();
  check();
}

Store::Cursor::~Cursor() = default;

std::string_view Store::Cursor::key() const {
  auto k = iterator_->key();
  return {k.data(), k.size()};
}

std::string_view Store::Cursor::value() const {
  auto v = iterator_->value();
  return {v.data(), v.size()};
}

void Store::Cursor::next() {
  iterator_->Next();
  check();
}

void Store::Cursor::check() const {
  if (!iterator_->Valid() && !iterator_->status().ok()) {
    throw StoreError(std::string("scan of ") + keys::familyName(family_) + ": " +
                     describe(iterator_->status()));
  }
}

void Store::scanRange(keys::Family f, std::string_view from, std::string_view to,
                      const std::function<bool(std::string_view, std::string_view)>& visit) const {
  std::shared_lock lock(dbMu_);
  if (!db_) throw StoreError("the database at " + path_ + " is closed after a storage fault");
  rocksdb::ReadOptions ro;
  rocksdb::Slice upper = slice(to);
  if (!to.empty()) ro.iterate_upper_bound = &upper;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, family(f)));
  for (it->Seek(slice(from)); it->Valid(); it->Next()) {
    auto k = it->key();
    auto v = it->value();
    if (!visit(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) return;
  }
  if (!it->status().ok()) {
    throw StoreError(std::string("scan of ") + keys::familyName(f) + ": " + describe(it->status()));
  }
}

void Store::scanRangeReverse(
    keys::Family f, std::string_view from, std::string_view to,
    const std::function<bool(std::string_view, std::string_view)>& visit) const {
  std::shared_lock lock(dbMu_);
  if (!db_) throw StoreError("the database at " + path_ + " is closed after a storage fault");
  rocksdb::ReadOptions ro;
  rocksdb::Slice lower = slice(from);
  ro.iterate_lower_bound = &lower;
  std::unique_ptr<rocksdb::Iterator> it(db_->NewIterator(ro, family(f)));
  if (to.empty()) {
    it->SeekToLast();
  } else {
    it->SeekForPrev(slice(to));
    // SeekForPrev lands on a key <= to; the range is half-open.
    if (it->Valid() && it->key() == slice(to)) it->Prev();
  }
  for (; it->Valid(); it->Prev()) {
    auto k = it->key();
    auto v = it->value();
    if (!visit(std::string_view(k.data(), k.size()), std::string_view(v.data(), v.size()))) return;
  }
  if (!it->status().ok()) {
    throw StoreError(std::string("scan of ") + keys::familyName(f) + ": " + describe(it->status()));
  }
}

uint64_t Store::lastSeq() const {
  auto v = get(keys::Family::meta, keys::kMetaLastSeq);
  if (!v) return 0;
  auto seq = keys::readFixed64(*v);
  if (!seq) throw StoreError("meta/last_seq is damaged");
  return *seq;
}

Digest Store::chainHead() const {
  auto v = get(keys::Family::meta, keys::kMetaChainHead);
  if (!v) return Digest{};
  auto d = digestFromBytes(*v);
  if (!d) throw StoreError("meta/chain_head is damaged");
  return *d;
}

static WriteOutcome outcomeOf(const rocksdb::Status& s) {
  if (s.ok()) return {};
  WriteOutcome out;
  out.ok = false;
  out.noSpace = s.IsNoSpace() || s.IsIOError() ||
                s.subcode() == rocksdb::Status::SubCode::kNoSpace;
  out.message = s.ToString();
  return out;
}

WriteOutcome Store::write(rocksdb::WriteBatch& batch, bool sync) {
  std::shared_lock lock(dbMu_);
  if (!db_ || !writable_) {
    WriteOutcome out;
    out.ok = false;
    out.message = "the database is not open for writing";
    return out;
  }
  // A database with a background error would refuse the write anyway; saying so here keeps
  // every write away from a failed log writer (see FaultListener).
  if (auto error = listener_->error()) {
    WriteOutcome out;
    out.ok = false;
    out.noSpace = true;
    out.message = *error;
    return out;
  }
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return outcomeOf(db_->Write(wo, &batch));
}

std::optional<std::string> Store::backgroundError() const { return listener_->error(); }

bool Store::looksWritable(uint64_t minFreeBytes, std::string* why) const {
  struct statvfs fs {};
  if (::statvfs(path_.c_str(), &fs) != 0) {
    *why = std::string("statvfs: ") + std::strerror(errno);
    return false;
  }
  if (fs.f_flag & ST_RDONLY) {
    *why = "the file system is read-only";
    return false;
  }
  const uint64_t available = static_cast<uint64_t>(fs.f_bavail) * fs.f_frsize;
  if (available < minFreeBytes) {
    *why = "only " + std::to_string(available) + " bytes are free";
    return false;
  }
  return true;
}

WriteOutcome Store::reopen() {
  std::unique_lock lock(dbMu_);
  if (mode_ != Mode::readWrite) throw StoreError("reopen() is for the read-write database");
  closeDb(false);
  listener_->reset();
  auto s = openDb(Mode::readWrite);
  if (s.ok()) return {};
  WriteOutcome out = outcomeOf(s);
  listener_->reset();
  // Reads go on from a read-only open until the next attempt; if even that fails, reads throw
  // StoreError (the queries answer 500) and the next reopen() tries again.
  auto ro = openDb(Mode::readOnly);
  if (!ro.ok()) out.message += "; the read-only open failed too: " + ro.ToString();
  return out;
}

bool Store::openForWriting() const {
  std::shared_lock lock(dbMu_);
  return db_ && writable_;
}

bool Store::catchUp(std::string* error) {
  std::shared_lock lock(dbMu_);
  auto s = db_->TryCatchUpWithPrimary();
  if (!s.ok() && error) *error = s.ToString();
  return s.ok();
}

uint64_t Store::estimateKeys(keys::Family f) const {
  std::shared_lock lock(dbMu_);
  if (!db_) return 0;
  uint64_t n = 0;
  db_->GetIntProperty(family(f), "rocksdb.estimate-num-keys", &n);
  return n;
}

Store::MemoryUsage Store::memoryUsage() const {
  MemoryUsage usage;
  usage.budget = cache_ ? cache_->GetCapacity() : 0;
  usage.cache = cache_ ? cache_->GetUsage() : 0;
  std::shared_lock lock(dbMu_);
  if (!db_) return usage;
  for (auto* handle : handles_) {
    uint64_t mem = 0, readers = 0;
    db_->GetIntProperty(handle, "rocksdb.cur-size-all-mem-tables", &mem);
    db_->GetIntProperty(handle, "rocksdb.estimate-table-readers-mem", &readers);
    usage.memtables += mem;
    usage.tableReaders += readers;
  }
  return usage;
}

uint64_t Store::familySize(keys::Family f) const {
  std::shared_lock lock(dbMu_);
  if (!db_) return 0;
  uint64_t sst = 0, mem = 0;
  db_->GetIntProperty(family(f), "rocksdb.total-sst-files-size", &sst);
  db_->GetIntProperty(family(f), "rocksdb.cur-size-all-mem-tables", &mem);
  return sst + mem;
}

}  // namespace pitlog::events
