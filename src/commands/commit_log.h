#pragma once
// Where the log lives: the engine's one seam between deciding commands and holding their events
// (STYLE.md "Seams for a second implementation"). A commit is one batch's events and idempotency
// records (cluster/commit_codec.h). The writer decides a batch on the views at the log position
// they include, appends its commit *expecting that position*, and only then applies it to the
// node's store (Engine::applyCommit, the same step for every commit whoever wrote it):
//   - LocalCommitLog (single node): the log is the node's own RocksDB. Nobody else appends, so an
//     append is never a conflict, and the commit becomes durable in the very WriteBatch that
//     applies it (events, views and meta together), as it always did.
//   - A replicated log (cluster mode, JetStream): the append is fenced by the expected position;
//     a conflict means another node's commit came first, and the writer reads it (readAfter),
//     applies it and decides the same commands again.
// `main` picks the implementation; the engine never asks which one it has.
//
// Positions are the log's own numbers (the last event's seq for the local log, the stream
// sequence of the last commit for JetStream), increasing, 0 for an empty log.
// Thread-safety: append() and readAfter() are called by the engine's threads one at a time (the
// syncer appends, the writer reads while the syncer is idle); implementations need no locking of
// their own for the engine.
#include <rocksdb/write_batch.h>

#include <cstddef>
#include <cstdint>
#include <functional>
#include <string>
#include <variant>
#include <vector>

#include "cluster/commit_codec.h"
#include "events/store.h"

namespace pitlog::commands {

using cluster::Commit;

// The most one command adds to a commit (its events and idempotency record, as CommitSizer counts
// them). Validation's limits (names, descriptions, scopes) keep a command far below it; the writer
// asserts it, and closes a batch while one more command still fits under the log's limit.
inline constexpr size_t kMaxCommandCommitBytes = 32 * 1024;

// The commit is in the log; `position` is the log's position after it.
struct Appended {
  uint64_t position = 0;
};
// The log is past the expected position (another writer came first): nothing was appended.
struct Conflict {
  std::string detail;
};
// Nothing is known: the log could not be reached in time, and the commit may or may not be in it.
struct LogUnavailable {
  std::string reason;
};
using AppendOutcome = std::variant<Appended, Conflict, LogUnavailable>;

struct PositionedCommit {
  uint64_t position = 0;  // the log's position after this commit
  Commit commit;
};

class CommitLog {
 public:
  virtual ~CommitLog() = default;

  // The position a node's store has applied, as the store records it (recordPosition()).
  virtual uint64_t appliedPosition(const events::Store& store) const = 0;
  // Records `position` as applied, in the WriteBatch that applies the commit ending there.
  virtual void recordPosition(const events::Store& store, rocksdb::WriteBatch& batch,
                              uint64_t position) const = 0;
  // The log's position after `commit`, were it appended at `expectedPosition` (the writer decides
  // the next batch on top of one not yet appended).
  virtual uint64_t positionAfter(uint64_t expectedPosition, const Commit& commit) const = 0;
  // The largest commit the log takes, encoded (cluster/commit_codec.h, CommitSizer); at least
  // kMaxCommandCommitBytes. The writer closes a group-committed batch before its commit could
  // outgrow it. The local log has no such limit: its commit is a RocksDB WriteBatch.
  virtual size_t maxCommitBytes() const { return SIZE_MAX; }

  // Appends `commit` if the log's position is `expectedPosition`. `msgId` names this commit and is
  // the same on every retry of it, so that a retry of a commit already stored is Appended (at its
  // first position), never stored twice.
  virtual AppendOutcome append(const Commit& commit, uint64_t expectedPosition,
                               const std::string& msgId) = 0;
  // Up to `max` commits after `position`, in order; none when the log has no more, or cannot be
  // reached now.
  virtual std::vector<PositionedCommit> readAfter(uint64_t position, size_t max) = 0;

  // Following the log, for the commits of other writers. `deliver` gets the commits after
  // `after`, in order, on a thread of the log's own, until stopFollowing() returns; it may get a
  // commit the node applied already (its own), and may miss some when the log is unreachable for
  // a while (the engine then reads them with readAfter()). A log nobody else appends to (the
  // local one) has nothing to follow.
  using Deliver = std::function<void(std::vector<PositionedCommit>)>;
  virtual void follow(uint64_t /*after*/, Deliver /*deliver*/) {}
  // Waits until `deliver` is no longer running and will not be called again.
  virtual void stopFollowing() {}
};

}  // namespace pitlog::commands
