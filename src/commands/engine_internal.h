#pragma once
// What the engine's own files share (engine.cpp, engine_pipeline.cpp, engine_decide.cpp,
// engine_queries.cpp, engine_recovery.cpp): the pipeline's records of a command and of a batch,
// and reading views outside the writer. Not for use outside src/commands.
#include <rocksdb/write_batch.h>

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "commands/engine.h"
#include "projections/view_store.h"

namespace pitlog::commands {

struct Engine::Pending {
  Command command;
  std::optional<FreshToken> token;
  Callback done;
  int conflicts = 0;  // times decided again after a lost race for the log's position
};

// A batch the writer decided, for the syncer to write, apply to memory and answer.
struct Engine::Decided {
  uint64_t number = 0;  // from 1, one per batch
  std::vector<Pending> pending;
  std::vector<CommandResult> results;  // pending[i]'s answer, if the batch becomes durable
  rocksdb::WriteBatch batch;
  Commit commit;                  // the batch's events and idempotency records, for the log
  cluster::CommitSizer commitSize{0};  // the commit's encoded size, counted as it grows
  bool full = false;  // one more command might not fit under the log's maxCommitBytes()
  uint64_t expectedPosition = 0;  // the log position the batch was decided at
  std::string msgId;              // names the commit in the log, the same on every retry
  std::vector<projections::TokenChange> tokenChanges;
  uint64_t seqBefore = 0, seqAfter = 0;  // the log's end before and after the batch
  events::ChainPosition after;           // the chain's position after the batch
  events::UnixMillis at = 0;                     // its latest event time
  std::optional<std::string> internalError;  // a decision threw: the batch is not written
  bool undecided = false;  // decided nothing: the database was not a durable base (undecidable_)
  // The batch holds a revocation. A batch that appends nothing is still made durable by a synced
  // write of its own (syncRevocationBarrier), so that revoking an unknown token waits for an
  // fsync as revoking a valid one does: the answer's timing says little about the token.
  bool revocation = false;
  bool appends() const { return seqAfter != seqBefore; }
};

// The permission recorded for a user of an account (grant or withdrawal), or none.
std::optional<bool> readPermission(projections::ViewStore& views, std::string_view account,
                                   std::string_view user);

// Reads views straight from the store, for queries outside the writer.
class StoreReader : public projections::ViewStore {
 public:
  explicit StoreReader(const events::Store& store) : store_(store) {}
  std::optional<std::string> get(projections::Family f, std::string_view key) override {
    return store_.get(f, key);
  }
  void put(projections::Family, std::string_view, std::string_view) override {
    throw events::StoreError("StoreReader is read-only");
  }
  void erase(projections::Family, std::string_view) override {
    throw events::StoreError("StoreReader is read-only");
  }

 private:
  const events::Store& store_;
};

}  // namespace pitlog::commands
