// The engine's storage-fault recovery (engine.h, "Storage faults"): noticing a fault, restarting
// the decision state from memory's durable position, and reopening the database once the file
// system is writable again, with memory catching up when a batch answered "may have been applied"
// came back. Writer thread only, between batches, unless a function says otherwise.
#include <algorithm>
#include <chrono>

#include "commands/engine_internal.h"

namespace pitlog::commands {

void Engine::restartFromDurable() {
  // Never from the store's meta values: a store reopened read-only after a failed fsync shows
  // the failed batch, and an appender based on it would take that batch for durable.
  appender_ = std::make_unique<events::LogAppender>(*store_, durablePosition());
  undurable_.clear();
  decidedTime_ = lastEventTime_;
  decidedPosition_ = appliedPosition_;
  std::lock_guard lock(mu_);
  poisoned_ = conflicted_ = false;
}

events::ChainPosition Engine::durablePosition() const {
  std::lock_guard lock(mu_);
  return durable_;
}

bool Engine::storeMatchesMemory() const {
  try {
    const events::ChainPosition memory = durablePosition();
    return store_->lastSeq() == memory.lastSeq && store_->chainHead() == memory.head;
  } catch (const events::StoreError&) {
    return false;  // closed after a failed reopen: nothing can be decided on it either
  }
}

void Engine::checkStorage() {
  if (writable_) {
    if (auto error = store_->backgroundError()) enterDegraded(*error);
  }
  {
    std::lock_guard lock(mu_);
    if (!poisoned_ && writable_) return;
  }
  // Only once every handed batch is answered is it settled whether one failed (poisoned_), and
  // only then does the decision state equal the database's when none did.
  waitSyncerIdle();
  bool poisoned, conflicted;
  {
    std::lock_guard lock(mu_);
    poisoned = poisoned_;
    conflicted = conflicted_;
  }
  if (conflicted && writable_) catchUpFromLog();
  if (poisoned) restartFromDurable();
  if (!writable_) tryRecover();
  undecidable_ = !writable_ && !storeMatchesMemory();
}

StorageHealth Engine::storageHealth() const {
  StorageHealth h;
  h.failures = storageFailures_.load();
  std::lock_guard lock(healthMu_);
  h.writable = writable_.load();
  if (!h.writable) h.error = storageError_;
  return h;
}

void Engine::reportStorage(StorageTransition transition, std::string message) {
  BatchStats stats;
  stats.storage = transition;
  stats.storageMessage = std::move(message);
  report(stats);
}

void Engine::enterDegraded(const std::string& error) {
  {
    std::lock_guard lock(healthMu_);
    if (!writable_) return;  // one report per episode, not one per batch
    storageError_ = error;
    writable_ = false;
    degradedSince_ = lastRecoveryAttempt_ = std::chrono::steady_clock::now();
  }
  ++storageFailures_;
  reportStorage(StorageTransition::failed, error);
}

void Engine::catchUpWithStore() {
  tokens_.load(*store_);
  trackStoredTokens();
  appender_ = std::make_unique<events::LogAppender>(*store_);
  undurable_.clear();
  const uint64_t last = store_->lastSeq();
  lastEventTime_ = std::max(lastEventTime_.load(), readEventOrThrow(last).reader().getAt());
  decidedTime_ = lastEventTime_;
  {
    std::lock_guard lock(mu_);
    durable_ = appender_->position();
  }
  committedSeq_ = last;
  appliedPosition_ = log_->appliedPosition(*store_);
}

bool Engine::tryRecover() {
  if (writable_) return true;
  uint64_t recoveredEvents = 0;
  if (stuck_) return false;
  const auto now = std::chrono::steady_clock::now();
  std::chrono::steady_clock::time_point degradedSince;
  {
    std::lock_guard lock(healthMu_);
    if (now - lastRecoveryAttempt_ < std::chrono::milliseconds(options_.storageRetryMs)) {
      return false;
    }
    lastRecoveryAttempt_ = now;
    degradedSince = degradedSince_;
  }
  // A reopen on a full disk fails after closing the database; the probe spares that churn.
  std::string why;
  if (!store_->looksWritable(options_.storageMinFreeBytes, &why)) return false;
  try {
    if (!store_->reopen().ok) return false;
    // A batch whose append failed never reached the memtables, and RocksDB drops a WAL record
    // written half way, so the reopened log usually ends where memory does. A batch whose fsync
    // failed may have reached the log whole and comes back (its commands were answered "may have
    // been applied"): memory then catches up with the log, provided the log continues memory's
    // chain. Anything else would fork the chain: stay degraded and ask for a restart. The
    // comparison is with memory's own durable position, never with the appender's, which may
    // have been rebuilt meanwhile from what a read-only open showed.
    const events::ChainPosition position = durablePosition();
    const uint64_t storedSeq = store_->lastSeq();
    if (storedSeq != position.lastSeq || store_->chainHead() != position.head) {
      const bool continues =
          storedSeq > position.lastSeq &&
          (position.lastSeq == 0 || readEventOrThrow(position.lastSeq).hash() == position.head);
      if (!continues) {
        stuck_ = true;
        std::string error = "after reopening the database its log ends at event " +
                            std::to_string(storedSeq) + ", which does not continue pitd's state " +
                            "at event " + std::to_string(position.lastSeq) + "; restart pitd";
        {
          std::lock_guard lock(healthMu_);
          storageError_ = error;
        }
        reportStorage(StorageTransition::failed, error);
        return false;
      }
      catchUpWithStore();
      recoveredEvents = storedSeq - position.lastSeq;
    } else {
      appender_ = std::make_unique<events::LogAppender>(*store_, position);
    }
  } catch (const events::StoreError&) {
    return false;  // the reopened database could not be read; try again later
  }
  {
    std::lock_guard lock(healthMu_);
    storageError_.clear();
    writable_ = true;
  }
  const auto ms =
      std::chrono::duration_cast<std::chrono::milliseconds>(now - degradedSince).count();
  std::string detail = "writes resumed after " + std::to_string(ms) + " ms without them";
  if (recoveredEvents > 0) {
    detail += "; " + std::to_string(recoveredEvents) +
              " events of commands answered 'may have been applied' were durable and are loaded";
  }
  reportStorage(StorageTransition::recovered, std::move(detail));
  return true;
}

}  // namespace pitlog::commands
