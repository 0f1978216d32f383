// Applying commits read from the log (commit_log.h): another writer's, after this node lost the
// race for a position, or handed over by the log's follower (CommitLog::follow). Writer thread, syncer idle: nothing is in flight, so memory's durable
// position is the base every commit must continue.
#include <algorithm>

#include "commands/engine_internal.h"
#include "projections/projector.h"

namespace pitlog::commands {

using events::DecodedEvent;
using events::UnixMillis;
using projections::Family;

void Engine::catchUpFromLog() {
  for (;;) {
    auto commits = log_->readAfter(appliedPosition_.load(), 256);
    if (commits.empty()) return;
    for (const auto& c : commits) {
      if (auto error = applyCommit(c, &c == &commits.back())) {
        if (!writable_) return;  // the write failed: a storage fault episode, recovered as usual
        // A commit that does not continue this node's chain: deciding on would fork the log.
        stuck_ = true;
        enterDegraded("the log's commit at position " + std::to_string(c.position) +
                      " cannot be applied (" + *error + "); restart pitd");
        return;
      }
    }
  }
}

void Engine::offerFollowed(std::vector<PositionedCommit> commits) {
  {
    std::unique_lock lock(mu_);
    // A follower far behind (a catch-up) reads no further ahead of the writer than this, so that
    // what it holds in memory stays bounded. The writer always drains followed_ (or drops it
    // while degraded), so this wait ends.
    followedRoom_.wait(lock, [&] { return stopping_ || followed_.size() < kMaxFollowedQueued; });
    if (stopping_) return;
    for (auto& c : commits) followed_.push_back(std::move(c));
  }
  wake_.notify_one();
}

void Engine::applyFollowed() {
  std::deque<PositionedCommit> followed;
  {
    std::lock_guard lock(mu_);
    if (followed_.empty()) return;
    followed.swap(followed_);
  }
  followedRoom_.notify_all();
  // Degraded: the commits are read again from the log once the store is writable (a gap below).
  if (!writable_) return;
  // Every batch handed on is answered first: a follower's commit may be this node's own, which
  // is then applied already and skipped; the decision state restarts on top of what is applied.
  waitSyncerIdle();
  const uint64_t before = appliedPosition_.load();
  for (const auto& c : followed) {
    if (c.position <= appliedPosition_.load()) continue;  // this node's own, or applied already
    if (c.position > appliedPosition_.load() + 1) {
      // The follower skipped some (the log was unreachable, or they came while degraded).
      catchUpFromLog();
      if (!writable_) break;
      if (c.position <= appliedPosition_.load()) continue;
    }
    if (auto error = applyCommit(c, &c == &followed.back())) {
      if (writable_) {
        stuck_ = true;
        enterDegraded("the log's commit at position " + std::to_string(c.position) +
                      " cannot be applied (" + *error + "); restart pitd");
      }
      break;
    }
  }
  if (appliedPosition_.load() != before) restartFromDurable();
}

std::optional<std::string> Engine::applyCommit(const PositionedCommit& c, bool sync) {
  if (c.position <= appliedPosition_.load()) return std::nullopt;  // applied already
  rocksdb::WriteBatch batch;
  UndurableBatches scratch;  // so that later events of the commit read what earlier ones wrote
  scratch.begin(1);
  PipelinedViewStore views(*store_, batch, scratch);
  events::LogAppender appender(*store_, durablePosition());
  std::vector<projections::TokenChange> changes;
  UnixMillis at = 0;
  for (const auto& e : c.commit.events) {
    std::string error;
    auto event = DecodedEvent::decode(e.bytes, &error);
    if (!event) return "event " + std::to_string(e.seq) + " does not decode: " + error;
    if (auto broken = appender.appendEncoded(batch, *event)) return broken;
    // The projection step the writer runs when it decides (engine_decide.cpp).
    (void)projections::project(views, event->reader(), &changes);
    at = std::max<UnixMillis>(at, event->reader().getAt());
  }
  for (const auto& i : c.commit.idempotency) views.put(Family::idempotency, i.key, i.record);
  if (!c.commit.events.empty()) appender.finishBatch(batch);
  log_->recordPosition(*store_, batch, c.position);
  const events::WriteOutcome outcome = store_->write(batch, sync && options_.sync);
  if (!outcome.ok) {
    enterDegraded(outcome.message);
    return "writing it failed: " + outcome.message;
  }
  applyToMemory(changes, at, appender.position(), c.position);
  return std::nullopt;
}

}  // namespace pitlog::commands
