#include "server/http/memory_console_session_store.h"

#include <cstring>

namespace pitlog::server::http {

size_t MemoryConsoleSessionStore::KeyHash::operator()(const ConsoleKey& k) const {
  size_t h;
  std::memcpy(&h, k.digest.data(),
              sizeof h);  // a SHA-256 digest is uniform already
  return h ^ static_cast<size_t>(k.kind);
}

ConsoleSessionStore::Status MemoryConsoleSessionStore::create(const ConsoleKey& key,
                                                              const ConsoleEntry& entry,
                                                              std::string*) {
  const bool inserted = entries_.try_emplace(key, Stored{entry, ++lastRevision_}).second;
  return inserted ? Status::ok : Status::conflict;
}

ConsoleSessionStore::Read MemoryConsoleSessionStore::get(const ConsoleKey& key, std::string*) {
  auto it = entries_.find(key);
  if (it == entries_.end()) return Read{};
  return Read{Status::ok, it->second.entry, it->second.revision};
}

ConsoleSessionStore::Status MemoryConsoleSessionStore::update(const ConsoleKey& key,
                                                              const ConsoleEntry& entry,
                                                              uint64_t revision, std::string*) {
  auto it = entries_.find(key);
  if (it == entries_.end() || it->second.revision != revision) return Status::conflict;
  it->second = Stored{entry, ++lastRevision_};
  return Status::ok;
}

ConsoleSessionStore::Status MemoryConsoleSessionStore::remove(const ConsoleKey& key, std::string*) {
  entries_.erase(key);
  return Status::ok;
}

void MemoryConsoleSessionStore::sweep(int64_t now) {
  std::erase_if(entries_,
                [now](const auto& e) { return consoleEntryEnded(e.first, e.second.entry, now); });
}

}  // namespace pitlog::server::http
