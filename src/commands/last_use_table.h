#pragma once
// Each valid token's last use: the time of its last introspection that answered `active: true`
// (API.md "Token hygiene"). Not history (DESIGN.md, "What is not history"): it lives in memory,
// is flushed to a LastUseStore at most every EngineOptions::lastUseFlushMs, and is loaded at start.
//
// The hot path, record(), runs on every active introspection, on any thread: it takes no lock and
// allocates nothing. An open-addressing table of cells, each a 16-byte key (the first half of
// the token's SHA-256, already uniform) and an atomic time; record() probes the table the
// current_ pointer names and raises the cell's time with a relaxed store when it is older (so a
// hot token's cache line is written at most once per millisecond, not once per request). The
// token view's own table (projections/token_index.h) is left alone: this one is indexed the same
// way, by digest, beside it.
//
// The table's owner (the engine: the writer and syncer threads, never two at once, through
// track()/forget()/takeChanges()) adds the digest of each token that becomes valid and marks the
// ones that stop being valid. Cells are never removed in place: readers probe without a lock, so
// a resize builds a new table (live cells only), publishes it, and keeps the old one alive until
// the table is destroyed: a reader that loaded the old pointer may still write there, and
// takeChanges() folds every retired table's times into the current one first, so no use is lost.
// Retired tables add up to less than the current one (each resize at least doubles the live
// count's room).
#include <atomic>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <vector>

#include "events/digest.h"
#include "events/event.h"

namespace pitlog::commands {

struct LastUse {
  events::Digest digest{};
  events::UnixMillis at = 0;
};

class LastUseTable {
 public:
  LastUseTable();
  ~LastUseTable();
  LastUseTable(const LastUseTable&) = delete;
  LastUseTable& operator=(const LastUseTable&) = delete;

  // Any thread, no lock, no allocation: a use of this token at `at`. A token the table does not
  // track (not valid) is ignored.
  void record(const events::Digest& digest, events::UnixMillis at) const;
  // Any thread: the last use recorded for this token, or nullopt (never used, or not tracked).
  std::optional<events::UnixMillis> lastUsed(const events::Digest& digest) const;

  // Owner: the token is valid (a token already tracked stays as it is).
  void track(const events::Digest& digest);
  // Owner, before tracking `tokens` more at load: sizes the table once for them (and some growth),
  // so that loading a million tokens builds no chain of retired tables (each kept, with every
  // cell, for a flush interval after it was retired: memory the start-up would hold for nothing).
  void reserve(size_t tokens);
  // Owner, at load: a stored last use. Cells are keyed by the digest's first kKeyBytes bytes, and
  // so is the store: only those bytes of `digest` are read. A tracked token takes the later of its
  // time and `at` (and counts it as flushed); an untracked one (no longer valid) is reported as
  // forgotten by the next takeChanges(), so that its stored value is deleted.
  void loadStored(const events::Digest& digest, events::UnixMillis at);
  // Owner, between flushes: a last use another node stored (a cluster's shared store). Like
  // loadStored() for a tracked token; an untracked one is left alone, not forgotten (false): this
  // node may not have applied the token's issue yet, and the value is not this node's to delete.
  bool mergeStored(const events::Digest& digest, events::UnixMillis at);
  // Owner: the token is no longer valid; takeChanges() reports it once as forgotten.
  void forget(const events::Digest& digest);

  // The part of a digest a cell (and a stored key) holds: 128 bits, collision-free in practice.
  static constexpr size_t kKeyBytes = 16;

  struct Changes {
    // Tracked tokens used since the last takeChanges(): their digests' first kKeyBytes bytes (the
    // rest are zeros).
    std::vector<LastUse> used;
    std::vector<events::Digest> forgotten;  // tokens forgotten since then
  };
  // Owner: what changed since the last call, for a flush. A flush that fails gives them back
  // with restore(), so that the next one writes them.
  Changes takeChanges();
  void restore(const Changes& changes);

  size_t tracked() const;  // owner
  // Owner: the tables held, the current one and those retired but not yet freed (for tests).
  size_t tablesHeld() const;

 private:
  struct Cell;
  struct Table;
  // REQUIRES: ownerMu_ held.
  Table* current() const { return current_.load(std::memory_order_acquire); }
  Cell* find(Table& t, const events::Digest& digest) const;
  Cell& insert(Table& t, const events::Digest& digest);  // REQUIRES: room in t
  void resize(size_t liveCells);                           // REQUIRES: ownerMu_ held
  // REQUIRES: ownerMu_ held. Raises a tracked token's time to `at`, counted as stored; false
  // when the token is not tracked.
  bool raiseStored(const events::Digest& digest, events::UnixMillis at);

  std::atomic<Table*> current_{nullptr};
  mutable std::mutex ownerMu_;  // serialises the owner's calls (they come from two threads)
  std::vector<std::unique_ptr<Table>> tables_;  // GUARDED_BY(ownerMu_): current last
  size_t live_ = 0, dead_ = 0;                  // GUARDED_BY(ownerMu_)
  std::vector<events::Digest> forgotten_;       // GUARDED_BY(ownerMu_)
  std::vector<int> retiredFolds_;  // GUARDED_BY(ownerMu_): takeChanges() folds per retired table
};

}  // namespace pitlog::commands
