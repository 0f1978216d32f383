#include "database.h"

#include <rocksdb/env.h>
#include <stdlib.h>

#include <mutex>
#include <set>
#include <system_error>

namespace pitlog::tools {

namespace fs = std::filesystem;

bool databaseIsLive(const std::string& dataDir) {
  const fs::path lockPath = fs::path(dataDir) / "LOCK";
  // Without a LOCK file there is no RocksDB database here, let alone a live one; LockFile()
  // would create the file, and the tools create nothing.
  if (!fs::exists(lockPath)) return false;
  // RocksDB's own lock: fcntl() against other processes, plus a per-process table that catches
  // an engine open in this process (where fcntl locks never conflict).
  rocksdb::Env* env = rocksdb::Env::Default();
  rocksdb::FileLock* lock = nullptr;
  rocksdb::Status s = env->LockFile(lockPath.string(), &lock);
  if (!s.ok()) return true;
  env->UnlockFile(lock).PermitUncheckedError();
  return false;
}

namespace {

std::mutex temporaryMu;
std::set<std::string> temporaryDirs;  // GUARDED_BY(temporaryMu)

}  // namespace

void removeTemporaryDirectories() {
  std::lock_guard lock(temporaryMu);
  for (const auto& dir : temporaryDirs) {
    std::error_code ignored;
    fs::remove_all(dir, ignored);
  }
  temporaryDirs.clear();
}

std::unique_ptr<ReadingDatabase> ReadingDatabase::open(const std::string& dataDir, Want want) {
  std::unique_ptr<ReadingDatabase> db(new ReadingDatabase());
  events::Store::Options options;
  options.path = dataDir;
  options.memoryBudgetBytes = 16 << 20;
  if (want == Want::follow || databaseIsLive(dataDir)) {
    std::string pattern = (fs::temp_directory_path() / "pitlog-tool-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) {
      throw events::StoreError("cannot create a temporary directory for the secondary: " +
                               std::error_code(errno, std::generic_category()).message());
    }
    db->secondaryDir_ = pattern;
    std::lock_guard lock(temporaryMu);
    temporaryDirs.insert(pattern);
    options.mode = events::Store::Mode::secondary;
    options.secondaryPath = pattern;
  } else {
    options.mode = events::Store::Mode::readOnly;
  }
  db->store_ = events::Store::open(options);
  return db;
}

ReadingDatabase::~ReadingDatabase() {
  store_.reset();  // close before its directory goes
  if (!secondaryDir_.empty()) {
    std::error_code ignored;
    fs::remove_all(secondaryDir_, ignored);
    std::lock_guard lock(temporaryMu);
    temporaryDirs.erase(secondaryDir_);
  }
}

std::string ReadingDatabase::describeMode() const {
  return secondary() ? "secondary (live database)" : "read-only";
}

void ReadingDatabase::catchUp() {
  if (!secondary()) return;
  std::string error;
  if (!store_->catchUp(&error)) {
    throw events::StoreError("cannot catch up with the primary: " + error);
  }
}

}  // namespace pitlog::tools
