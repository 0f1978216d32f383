#pragma once
// Where the console's sign-in links and sessions are kept: the seam between their rules
// (console_sessions.h, the only place that decides) and the storage. A single node keeps them in
// its own memory (MemoryConsoleSessionStore, memory_console_session_store.h); a cluster keeps them
// in a JetStream key-value bucket the nodes share (src/cluster/kv_console_session_store.h), so that
// a link issued by one node signs in on another and a session holds on every node.
//
// The store is a small versioned map: every entry has a revision, and update() writes only over the
// revision the caller read (compare and swap). That is what makes a link single-use across nodes:
// two nodes that read the same unspent link both try to mark it spent over the same revision, and
// exactly one succeeds.
//
// Expected outcomes are values (Status); nothing here throws for a store that cannot be reached:
// `unavailable` says so, with the reason in *error, and the caller fails closed.
//
// Thread-safety: none; one owner (the event loop's ApiService, through ConsoleSessions).
#include <cstdint>
#include <string>

#include "events/digest.h"
#include "events/event.h"

namespace pitlog::server::http {

// An entry's key: what it is, and the SHA-256 of its secret (the secret itself is never kept).
struct ConsoleKey {
  enum class Kind : uint8_t { link, session };
  Kind kind = Kind::link;
  events::Digest digest{};
};

struct ConsoleEntry {
  events::Actor actor;
  int64_t endsAt = 0;     // a link: when it expires; a session: its absolute deadline
  int64_t idleUntil = 0;  // a session: when it ends unless used; unused for a link
  bool spent = false;     // a link: it has been redeemed
};

// The one rule of when an entry is over, for the sessions' logic and a store's sweep: a link at its
// expiry, a session at its absolute deadline or its idle deadline (both exclusive).
inline bool consoleEntryEnded(const ConsoleKey& key, const ConsoleEntry& e, int64_t now) {
  if (now >= e.endsAt) return true;
  return key.kind == ConsoleKey::Kind::session && now >= e.idleUntil;
}

class ConsoleSessionStore {
 public:
  enum class Status {
    ok,
    missing,      // no such key (or it was deleted)
    conflict,     // create: the key exists; update: the entry is no longer at that
                  // revision
    unavailable,  // the store could not be asked or did not answer in time
                  // (*error says why)
  };
  struct Read {
    Status status = Status::missing;  // ok, missing or unavailable
    ConsoleEntry entry;
    uint64_t revision = 0;
  };

  virtual ~ConsoleSessionStore() = default;

  // Stores a new entry; `conflict` when the key exists already.
  [[nodiscard]] virtual Status create(const ConsoleKey& key, const ConsoleEntry& entry,
                                      std::string* error) = 0;
  // The entry and its revision; `missing` for none.
  [[nodiscard]] virtual Read get(const ConsoleKey& key, std::string* error) = 0;
  // Replaces the entry only if its latest revision is still `revision`; `conflict` otherwise
  // (another writer changed or deleted it in between).
  [[nodiscard]] virtual Status update(const ConsoleKey& key, const ConsoleEntry& entry,
                                      uint64_t revision, std::string* error) = 0;
  // Deletes the entry; `ok` also when there was none.
  [[nodiscard]] virtual Status remove(const ConsoleKey& key, std::string* error) = 0;
  // Forgets the entries that have ended by `now` (consoleEntryEnded). A store whose entries expire
  // by themselves has nothing to do.
  virtual void sweep(int64_t now) { (void)now; }
};

}  // namespace pitlog::server::http
