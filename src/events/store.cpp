#include "events/store.h"

#include <rocksdb/options.h>
#include <rocksdb/table.h>
#include <rocksdb/cache.h>
#include <rocksdb/filter_policy.h>

#include <algorithm>
#include <filesystem>
#include <unistd.h>
#include <memory>

namespace pitlog::events {
namespace {

std::string describe(const rocksdb::Status& s) { return s.ToString(); }

rocksdb::ColumnFamilyOptions familyOptions(keys::Family f,
                                           const std::shared_ptr<rocksdb::Cache>& cache) {
  rocksdb::ColumnFamilyOptions cf;
  rocksdb::BlockBasedTableOptions table;
  table.block_cache = cache;
  // Point lookups dominate every family but events and the audit index.
  if (f != keys::Family::events && f != keys::Family::auditByAccount) {
    table.filter_policy.reset(rocksdb::NewBloomFilterPolicy(10));
  }
  cf.table_factory.reset(rocksdb::NewBlockBasedTableFactory(table));
  cf.compression = rocksdb::kNoCompression;
  if (f == keys::Family::events) cf.compression = rocksdb::kLZ4Compression;
  return cf;
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
  if (options.mode == Mode::secondary) db.max_open_files = -1;  // required by secondaries

  if (exists) {
    std::vector<std::string> present;
    auto s = rocksdb::DB::ListColumnFamilies(db, options.path, &present);
    if (!s.ok()) throw StoreError("cannot read " + options.path + ": " + describe(s));
    for (const auto& name : keys::familyNames()) {
      if (std::find(present.begin(), present.end(), name) == present.end()) {
        throw StoreError("the database at " + options.path + " has no column family '" + name +
                         "': it is not a pitlog database, or it is damaged");
      }
    }
  }

  auto cache = rocksdb::NewLRUCache(options.blockCacheBytes);
  std::vector<rocksdb::ColumnFamilyDescriptor> descriptors;
  descriptors.emplace_back(rocksdb::kDefaultColumnFamilyName, rocksdb::ColumnFamilyOptions());
  for (int i = 0; i < keys::kFamilyCount; ++i) {
    descriptors.emplace_back(keys::familyNames()[i],
                             familyOptions(static_cast<keys::Family>(i), cache));
  }
  std::vector<rocksdb::ColumnFamilyHandle*> handles;
  rocksdb::DB* raw = nullptr;
  rocksdb::Status s;
  switch (options.mode) {
    case Mode::readWrite:
      s = rocksdb::DB::Open(db, options.path, descriptors, &handles, &raw);
      break;
    case Mode::readOnly:
      s = rocksdb::DB::OpenForReadOnly(db, options.path, descriptors, &handles, &raw);
      break;
    case Mode::secondary: {
      std::string secondary = options.secondaryPath;
      if (secondary.empty()) {
        secondary = (fs::temp_directory_path() /
                     ("pitlog-secondary-" + std::to_string(::getpid()))).string();
      }
      s = rocksdb::DB::OpenAsSecondary(db, options.path, secondary, descriptors, &handles, &raw);
      break;
    }
  }
  if (!s.ok()) {
    std::string why = describe(s);
    if (s.IsIOError() && why.find("lock") != std::string::npos) {
      throw StoreError("the database at " + options.path +
                       " is in use by another process (" + why + ")");
    }
    throw StoreError("cannot open the database at " + options.path + ": " + why);
  }
  store->db_.reset(raw);
  // handles[0] is the default family, which pitlog does not use; keep it for clean close.
  store->handles_.assign(handles.begin() + 1, handles.end());
  store->handles_.push_back(handles[0]);

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

Store::~Store() {
  if (!db_) return;
  if (mode_ == Mode::readWrite) {
    // A clean close leaves no WAL to replay: the next start reads tables instead of rebuilding
    // memtables from the log, which is most of a large database's start-up time otherwise.
    db_->Flush(rocksdb::FlushOptions(), handles_).PermitUncheckedError();
  }
  for (auto* h : handles_) db_->DestroyColumnFamilyHandle(h).PermitUncheckedError();
  db_->Close().PermitUncheckedError();
}

static rocksdb::Slice slice(std::string_view s) { return {s.data(), s.size()}; }

std::optional<std::string> Store::get(keys::Family f, std::string_view key) const {
  std::string value;
  auto s = db_->Get(rocksdb::ReadOptions(), family(f), slice(key), &value);
  if (s.IsNotFound()) return std::nullopt;
  if (!s.ok()) throw StoreError(std::string("read from ") + keys::familyName(f) + ": " + describe(s));
  return value;
}

void Store::scanPrefix(keys::Family f, std::string_view prefix,
                       const std::function<bool(std::string_view, std::string_view)>& visit) const {
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

void Store::scanRange(keys::Family f, std::string_view from, std::string_view to,
                      const std::function<bool(std::string_view, std::string_view)>& visit) const {
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
  rocksdb::WriteOptions wo;
  wo.sync = sync;
  return outcomeOf(db_->Write(wo, &batch));
}

WriteOutcome Store::resume() { return outcomeOf(db_->Resume()); }

bool Store::catchUp(std::string* error) {
  auto s = db_->TryCatchUpWithPrimary();
  if (!s.ok() && error) *error = s.ToString();
  return s.ok();
}

uint64_t Store::estimateKeys(keys::Family f) const {
  uint64_t n = 0;
  db_->GetIntProperty(family(f), "rocksdb.estimate-num-keys", &n);
  return n;
}

uint64_t Store::familySize(keys::Family f) const {
  uint64_t sst = 0, mem = 0;
  db_->GetIntProperty(family(f), "rocksdb.total-sst-files-size", &sst);
  db_->GetIntProperty(family(f), "rocksdb.cur-size-all-mem-tables", &mem);
  return sst + mem;
}

}  // namespace pitlog::events
