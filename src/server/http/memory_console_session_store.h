#pragma once
// The single node's console store (console_session_store.h): a map in this process's memory. A
// restart signs everyone out, which is all a session is worth (DESIGN.md "What is not history"). It
// never answers `unavailable`. Memory stays bounded by what was issued in the last 12 hours because
// ConsoleSessions sweeps it every minute.
#include <unordered_map>

#include "server/http/console_session_store.h"

namespace pitlog::server::http {

class MemoryConsoleSessionStore : public ConsoleSessionStore {
 public:
  Status create(const ConsoleKey& key, const ConsoleEntry& entry, std::string* error) override;
  Read get(const ConsoleKey& key, std::string* error) override;
  Status update(const ConsoleKey& key, const ConsoleEntry& entry, uint64_t revision,
                std::string* error) override;
  Status remove(const ConsoleKey& key, std::string* error) override;
  void sweep(int64_t now) override;

  // Entries held, spent links included (for the tests of the sweep).
  size_t size() const { return entries_.size(); }

 private:
  struct KeyHash {
    size_t operator()(const ConsoleKey& k) const;
  };
  struct KeyEqual {
    bool operator()(const ConsoleKey& a, const ConsoleKey& b) const {
      return a.kind == b.kind && a.digest == b.digest;
    }
  };
  struct Stored {
    ConsoleEntry entry;
    uint64_t revision;
  };
  uint64_t lastRevision_ = 0;
  std::unordered_map<ConsoleKey, Stored, KeyHash, KeyEqual> entries_;
};

}  // namespace pitlog::server::http
