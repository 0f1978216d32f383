#pragma once
// The single-node log: the node's own RocksDB (commit_log.h). Its position is the last event's
// seq (meta/last_seq, written by the batch that applies a commit); appending only answers, since
// the WriteBatch that applies the commit is what makes it durable, and nobody else appends.
#include "commands/commit_log.h"

namespace pitlog::commands {

class LocalCommitLog : public CommitLog {
 public:
  // store must outlive the log.
  explicit LocalCommitLog(const events::Store& store) : store_(store) {}

  uint64_t appliedPosition(const events::Store& store) const override { return store.lastSeq(); }
  void recordPosition(const events::Store&, rocksdb::WriteBatch&, uint64_t) const override {}
  uint64_t positionAfter(uint64_t expectedPosition, const Commit& commit) const override;
  AppendOutcome append(const Commit& commit, uint64_t expectedPosition,
                       const std::string& msgId) override;
  // The stored events after `position`, one commit each (the log keeps no batch boundaries).
  std::vector<PositionedCommit> readAfter(uint64_t position, size_t max) override;

 private:
  const events::Store& store_;
};

}  // namespace pitlog::commands
