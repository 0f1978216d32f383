#pragma once
// Opening a pitlog database for the tools, which never write to it.
//
// A database held by a running pitd (its RocksDB LOCK is taken, by another process or by an
// engine in this one) is opened as a RocksDB *secondary*: its private info log lives in a fresh
// temporary directory, removed when the ReadingDatabase goes away, and catchUp() replays the
// server's new writes. A stopped database (or a copy) is opened read-only. Neither mode writes a
// byte under the database directory.
//
// Errors: throws events::StoreError with a message for a person (no database there, damaged,
// newer schema); the tools turn it into exit status 2.
#include <filesystem>
#include <memory>
#include <string>

#include "events/store.h"

namespace pitlog::tools {

// True when another user of the database holds its LOCK: a running pitd, or an Engine in this
// very process. Checking takes the lock for an instant and never creates the database.
bool databaseIsLive(const std::string& dataDir);

// Removes the secondaries' temporary directories of every ReadingDatabase still open: for a tool
// ended by a signal, whose destructors do not run. Safe from any thread (not from a handler).
void removeTemporaryDirectories();

class ReadingDatabase {
 public:
  enum class Want {
    snapshot,  // read-only when stopped, secondary when live
    follow,    // always secondary, so that a server started later can be followed too
  };
  static std::unique_ptr<ReadingDatabase> open(const std::string& dataDir, Want want);
  ~ReadingDatabase();

  events::Store& store() { return *store_; }
  bool secondary() const { return store_->mode() == events::Store::Mode::secondary; }
  // "read-only" or "secondary (live database)", for reports.
  std::string describeMode() const;
  // Secondary: replay the primary's new writes. Read-only: nothing to do. Throws StoreError.
  void catchUp();

 private:
  ReadingDatabase() = default;
  std::filesystem::path secondaryDir_;  // empty unless secondary
  std::unique_ptr<events::Store> store_;
};

}  // namespace pitlog::tools
