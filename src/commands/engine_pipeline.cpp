// The engine's write pipeline (engine.h, "The pipeline"): the writer thread gathers and decides
// batches, the syncer thread writes each one, applies it to memory and answers its commands.
#include <kj/debug.h>
#include <kj/exception.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>

#include "commands/engine_internal.h"
#include "commands/idempotency_record.h"

namespace pitlog::commands {

using events::UnixMillis;
using projections::Family;

void Engine::writerLoop() {
  const auto retry = std::chrono::milliseconds(options_.storageRetryMs);
  std::unique_ptr<Decided> gathering;  // the batch being decided, not yet handed on
  for (;;) {
    std::vector<Pending> taken;
    bool handOffNow = false;
    {
      std::unique_lock lock(mu_);
      auto room = [&] {
        if (gathering && gathering->full) return false;
        return (gathering ? gathering->pending.size() : 0) + taken.size() < options_.maxBatch;
      };
      auto queued = [&] { return !queue_.empty() || !retry_.empty(); };
      // Wakes without work too, so that a background error (a failed flush) is noticed before a
      // command meets it, and a degraded store recovers while no command arrives.
      wake_.wait_for(lock, retry, [&] {
        return (queued() && room()) || (gathering && syncerIdle()) || (stopping_ && !gathering) ||
               (!followed_.empty() && !gathering);
      });
      if (stopping_ && !queued() && !gathering) break;  // everything queued is done
      // Commands decided again after a lost race come first: they arrived before the others.
      while (!retry_.empty() && room()) {
        taken.push_back(std::move(retry_.front()));
        retry_.pop_front();
      }
      while (!queue_.empty() && room()) {
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!gathering) {
      // Between batches, so that the first batch after space returns is written, and so that a
      // caller who hears back knows every idempotency record past its TTL at that moment is gone.
      checkStorage();
      flushLastUseIfDue();
      applyFollowed();
      if (taken.empty()) continue;
      pruneIdempotencyIfDue();
      gathering = startBatch();
    }
    if (!taken.empty()) decideInto(*gathering, taken);
    {
      // What was queued meanwhile joins this batch first: one fsync serves everything queued.
      std::lock_guard lock(mu_);
      handOffNow = syncerIdle() && ((queue_.empty() && retry_.empty()) || gathering->full ||
                                    gathering->pending.size() >= options_.maxBatch);
    }
    if (handOffNow) handOff(std::move(gathering));
  }
  waitSyncerIdle();
  std::deque<Pending> unanswered;
  {
    std::lock_guard lock(mu_);
    syncerStop_ = true;
    unanswered.swap(retry_);  // lost a race while pitd stopped: nothing of them was written
  }
  syncWake_.notify_one();
  syncer_.join();
  flushLastUseIfDue(/*force=*/true);  // a clean stop loses no use
  for (auto& p : unanswered) {
    p.done(CommandResult::failure({Code::unavailable, "pitd is shutting down", {}}));
  }
}

std::unique_ptr<Engine::Decided> Engine::startBatch() {
  auto d = std::make_unique<Decided>();
  d->number = ++decidedBatches_;
  d->seqBefore = appender_->position().lastSeq;
  d->expectedPosition = decidedPosition_;
  d->commitSize = cluster::CommitSizer(options_.nodeName.size());
  undurable_.dropDurable(durableBatch_.load());
  undurable_.begin(d->number);
  return d;
}

void Engine::decideInto(Decided& d, std::vector<Pending>& taken) {
  if (undecidable_) {
    // What the database shows beyond memory's durable position may vanish or stay: no decision,
    // not even a rejection or an idempotent replay, is made on it.
    d.undecided = true;
    for (auto& p : taken) {
      d.results.emplace_back();
      d.pending.push_back(std::move(p));
    }
    return;
  }
  // Event times never go backwards, so a time bound in replay is a prefix of the log. now() is
  // never before the last durable event; decidedTime_ adds the undurable ones decided since.
  const UnixMillis now = std::max(this->now(), decidedTime_);
  const uint64_t seqBefore = appender_->position().lastSeq;
  PipelinedViewStore views(*store_, d.batch, undurable_);
  const size_t closeAbove = log_->maxCommitBytes() - kMaxCommandCommitBytes;
  for (size_t i = 0; i < taken.size(); ++i) {
    if (d.commitSize.bytes() > closeAbove) {
      // The next command might not fit under the log's limit: it starts the next batch.
      d.full = true;
      giveBack(taken, i);
      break;
    }
    auto& p = taken[i];
    CommandResult r;
    if (!d.internalError) {
      // Both std and KJ exceptions (a KJ_ASSERT in a decoder) are caught here, once, so that an
      // internal failure answers its batch and the writer lives on.
      KJ_IF_MAYBE(exception, kj::runCatchingExceptions([&] {
                    const size_t before = d.commitSize.bytes();
                    r = executeOne(p, views, d, now);
                    const size_t added = d.commitSize.bytes() - before;
                    KJ_ASSERT(added <= kMaxCommandCommitBytes, added,
                              "one command's events are over the commit's share of a command");
                  })) {
        d.internalError = exception->getDescription().cStr();
      }
    }
    d.results.push_back(std::move(r));
    d.pending.push_back(std::move(p));
  }
  if (appender_->position().lastSeq != seqBefore) d.at = decidedTime_ = now;
}

void Engine::giveBack(std::vector<Pending>& taken, size_t from) {
  {
    std::lock_guard lock(mu_);
    // They were taken from the front, retries first: back to the front, in their order.
    for (size_t i = taken.size(); i > from; --i) retry_.push_front(std::move(taken[i - 1]));
  }
  taken.resize(from);
}

void Engine::handOff(std::unique_ptr<Decided> d) {
  d->seqAfter = appender_->position().lastSeq;
  if (d->appends() && !d->internalError) {
    appender_->finishBatch(d->batch);
    d->commit.node = options_.nodeName;
    d->msgId = msgIdPrefix_ + std::to_string(d->number);
    // The next batch is decided on top of this one, at the position this one will leave.
    decidedPosition_ = log_->positionAfter(d->expectedPosition, d->commit);
  }
  d->after = appender_->position();
  // From here the appender treats the batch as its base; the undurable views and stream versions
  // keep what later batches need until it is durable, and a failure restarts the appender.
  appender_->commitBatch();
  {
    std::lock_guard lock(mu_);
    handed_ = std::move(d);
  }
  syncWake_.notify_one();
}

void Engine::waitSyncerIdle() {
  std::unique_lock lock(mu_);
  wake_.wait(lock, [&] { return syncerIdle(); });
}

CommandResult Engine::unavailable(std::string_view outcome) const {
  return CommandResult::failure(
      {Code::unavailable,
       "storage is unavailable (" + storageHealth().error + "); " + std::string(outcome),
       {}});
}

void Engine::syncerLoop() {
  for (;;) {
    std::unique_ptr<Decided> d;
    {
      std::unique_lock lock(mu_);
      syncWake_.wait(lock, [&] { return handed_ || syncerStop_; });
      if (!handed_) return;
      d = std::move(handed_);
      syncing_ = true;
    }
    commit(*d);
    {
      std::lock_guard lock(mu_);
      syncing_ = false;
    }
    wake_.notify_one();
  }
}

void Engine::commit(Decided& d) {
  BatchStats stats;
  stats.commands = d.pending.size();
  bool poisoned, conflicted;
  bool requeueAll = false;
  uint64_t position = 0;
  const bool barrier = d.revocation && !d.appends();  // see Decided::revocation
  // Read once: the writer may clear it. A barrier is refused like a write, so that revoking an
  // unknown token is 503 too while a valid one's would be.
  const bool refused = (d.appends() || barrier) && !writable_;
  {
    std::lock_guard lock(mu_);
    poisoned = poisoned_;
    conflicted = conflicted_;
    // A batch that is not written poisons the pipeline before it is answered, so that the writer
    // never decides on top of it once its callers have heard back.
    if (d.internalError || refused) poisoned_ = true;
  }
  auto failAll = [&](Code code, const std::string& text) {
    for (auto& r : d.results) r = CommandResult::failure({code, text, {}});
    stats.ok = false;
  };
  auto failUnavailable = [&](std::string_view outcome) {
    const CommandResult answer = unavailable(outcome);
    failAll(answer.code, answer.message);
  };
  const std::string_view notApplied = "the command was not applied: retry later";
  if (d.internalError) {
    failAll(Code::internal, "internal error: " + *d.internalError);
  } else if (poisoned && conflicted) {
    requeueAll = true;  // decided on top of a batch that lost the race: decided again
  } else if (poisoned || refused || d.undecided) {
    // Decided on top of a batch that failed, or (degraded) nothing is written until tryRecover()
    // has reopened the database, or nothing could be decided: nothing of it reached RocksDB.
    failUnavailable(notApplied);
  } else if (barrier) {
    // A WAL record that changes no family: the same synced write path as an append, nothing in
    // the log or the views (a cluster's append also waits for the stream; this does not).
    rocksdb::WriteBatch batch;
    batch.PutLogData("revocation");
    const events::WriteOutcome outcome = store_->write(batch, options_.sync);
    if (!outcome.ok) {
      {
        std::lock_guard lock(mu_);
        poisoned_ = true;
      }
      enterDegraded(outcome.message);
      failUnavailable(notApplied);
    }
  } else if (d.appends()) {
    auto start = std::chrono::steady_clock::now();
    const AppendOutcome appended = log_->append(d.commit, d.expectedPosition, d.msgId);
    events::WriteOutcome outcome;
    if (const auto* a = std::get_if<Appended>(&appended)) {
      position = a->position;
      log_->recordPosition(*store_, d.batch, position);
      outcome = store_->write(d.batch, options_.sync);
    } else if (std::holds_alternative<Conflict>(appended)) {
      outcome.ok = false;
      stats.conflict = true;
    } else {
      outcome.ok = false;
      outcome.message = std::get<LogUnavailable>(appended).reason;
    }
    stats.writeMicros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    if (outcome.ok) {
      stats.events = d.seqAfter - d.seqBefore;
      applyToMemory(d.tokenChanges, d.at, d.after, position);
    } else if (stats.conflict) {
      // Another writer's commit holds the position: nothing was written anywhere. The writer
      // catches up with the log and decides these commands (and those decided on top) again.
      std::lock_guard lock(mu_);
      poisoned_ = conflicted_ = true;
      stats.ok = false;
    } else if (!std::holds_alternative<Appended>(appended)) {
      // The log could not be reached: the commit may be in it (the next append then conflicts
      // and the writer catches up with it), and nothing is written here.
      {
        std::lock_guard lock(mu_);
        poisoned_ = true;
      }
      failAll(Code::unavailable, "the log is unavailable (" + outcome.message +
                                     "); the command may have been applied: retry it with the "
                                     "same Idempotency-Key to learn its outcome");
    } else {
      // Nothing of the batch is applied to memory: the token view, the sequence and the event
      // time stay as the last durable batch left them, and the writer restarts from there.
      {
        std::lock_guard lock(mu_);
        poisoned_ = true;
      }
      enterDegraded(outcome.message);
      // A failed fsync leaves the batch's outcome unknown: its WAL record may be whole and
      // come back when the database is reopened. A failed append is a no.
      const bool maybeApplied = outcome.message.find("sync") != std::string::npos;
      failUnavailable(maybeApplied ? "the command may have been applied: retry it with the same "
                                 "Idempotency-Key to learn its outcome"
                               : notApplied);
    }
  }
  if (stats.ok) durableBatch_ = d.number;
  report(stats);
  if (requeueAll || stats.conflict) {
    requeue(d.pending);
    return;
  }
  for (size_t i = 0; i < d.pending.size(); ++i) d.pending[i].done(std::move(d.results[i]));
}

void Engine::requeue(std::vector<Pending>& pending) {
  std::vector<Pending> givenUp;
  {
    std::lock_guard lock(mu_);
    for (auto& p : pending) {
      if (++p.conflicts > options_.maxConflictRetries) {
        givenUp.push_back(std::move(p));
      } else {
        retry_.push_back(std::move(p));
      }
    }
  }
  wake_.notify_one();
  for (auto& p : givenUp) {
    p.done(CommandResult::failure(
        {Code::unavailable,
         "the command lost the race for the log's next position " +
             std::to_string(options_.maxConflictRetries) + " times and was not applied: retry later",
         {}}));
  }
}

void Engine::applyToMemory(const std::vector<projections::TokenChange>& changes, UnixMillis at,
                           const events::ChainPosition& after, uint64_t position) {
  tokens_.apply(changes);
  for (const auto& c : changes) {
    if (c.entry) {
      lastUse_.track(c.digest);
    } else {
      lastUse_.forget(c.digest);
    }
  }
  lastEventTime_ = std::max(lastEventTime_.load(), at);
  {
    std::lock_guard lock(mu_);
    durable_ = after;
  }
  appliedPosition_ = position;
  committedSeq_ = after.lastSeq;
}

std::string Engine::newMsgIdPrefix() const {
  unsigned char random[12];
  if (RAND_bytes(random, sizeof random) != 1) throw events::StoreError("OpenSSL: CSPRNG failure");
  return options_.nodeName + "-" +
         events::toHex(std::string_view(reinterpret_cast<char*>(random), sizeof random)) + "-";
}

void Engine::report(const BatchStats& stats) {
  if (!options_.onBatch) return;
  std::lock_guard lock(reportMu_);
  options_.onBatch(stats);
}

void Engine::pruneIdempotencyIfDue() {
  const UnixMillis now = this->now();
  if (now - lastIdempotencyPrune_ < kIdempotencyPruneIntervalMs) return;
  lastIdempotencyPrune_ = now;
  // The scan must see every record written so far, and its deletes must not race a batch that
  // writes a fresh record under an expired key: nothing is in flight while it runs (hourly).
  waitSyncerIdle();
  rocksdb::WriteBatch batch;
  store_->scanPrefix(Family::idempotency, {}, [&](std::string_view key, std::string_view value) {
    auto record = decodeIdempotency(value);
    if (!record || now - record->at >= kIdempotencyTtlMs) {
      batch.Delete(store_->family(Family::idempotency), rocksdb::Slice(key.data(), key.size()));
    }
    return true;
  });
  // Best effort: a failed prune changes nothing that matters (expired records are ignored anyway)
  // and is tried again at the next interval.
  if (batch.Count() > 0 && writable_) (void)store_->write(batch, options_.sync);
}

}  // namespace pitlog::commands
