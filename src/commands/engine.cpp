// The engine's lifecycle: opening the database and loading memory, starting and stopping the
// writer, taking commands, and queuing the scheduler's expiries. The pipeline is in
// engine_pipeline.cpp, decisions in engine_decide.cpp, queries in engine_queries.cpp, storage-fault
// recovery in engine_recovery.cpp.
#include <kj/debug.h>

#include <chrono>
#include <cstring>
#include <future>

#include "commands/engine_internal.h"
#include "commands/local_commit_log.h"
#include "commands/validate.h"
#include "events/merkle_store.h"
#include "projections/projector.h"
#include "projections/replay.h"

namespace pitlog::commands {

using events::DecodedEvent;
using events::UnixMillis;
using projections::Family;
namespace keys = events::keys;

UnixMillis systemClock() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

CommandResult CommandResult::failure(Error e) {
  CommandResult r;
  r.code = e.code;
  r.message = std::move(e.message);
  r.field = std::move(e.field);
  return r;
}

Engine::Engine(EngineOptions options) : options_(std::move(options)) {}

std::unique_ptr<Engine> Engine::open(EngineOptions options) {
  if (options.rotationWindowMs <= 0 || options.rotationWindowMs > kMaxRotationWindowMs) {
    throw std::invalid_argument("the rotation window must be between 1 ms and 366 days");
  }
  std::unique_ptr<Engine> engine(new Engine(std::move(options)));
  events::Store::Options so;
  so.path = engine->options_.dataDir;
  so.env = engine->options_.env;
  so.memoryBudgetBytes = engine->options_.storageMemoryBytes;
  engine->store_ = events::Store::open(so);
  auto& store = *engine->store_;

  // Views written by another projection version (or never marked) are rebuilt from the log.
  auto viewsVersion = store.get(Family::meta, keys::kMetaViewsVersion);
  if (!viewsVersion || keys::readFixed32(*viewsVersion) != projections::kViewsVersion) {
    auto report = projections::rebuildStoredViews(store);
    if (!report.ok()) {
      throw events::StoreError("the log is damaged at event " + std::to_string(*report.failedSeq) +
                               ": " + report.failure);
    }
  }
  // A database from before the log's Merkle tree gets its nodes built from the log, once.
  events::buildMissingMerkleTree(store);
  // A cheap consistency check at start: the last event hashes to the stored chain head.
  const uint64_t last = store.lastSeq();
  if (last > 0) {
    auto bytes = events::readEvent(store, last);
    std::string error;
    auto event = bytes ? DecodedEvent::decode(*bytes, &error) : std::nullopt;
    if (!event || event->hash() != store.chainHead()) {
      throw events::StoreError("the last event (" + std::to_string(last) +
                               ") does not match the stored chain head; run pit-replay verify");
    }
    engine->lastEventTime_ = event->reader().getAt();
  }
  engine->log_ = engine->options_.log ? engine->options_.log(store)
                                      : std::make_unique<LocalCommitLog>(store);
  KJ_ASSERT(engine->log_->maxCommitBytes() >= kMaxCommandCommitBytes,
             engine->log_->maxCommitBytes(), "the log cannot hold one command's commit");
  engine->msgIdPrefix_ = engine->newMsgIdPrefix();
  engine->appliedPosition_ = engine->log_->appliedPosition(store);
  engine->decidedPosition_ = engine->appliedPosition_;
  engine->tokens_.load(store);
  engine->lastUseStore_ = engine->options_.lastUseStore
                              ? engine->options_.lastUseStore(store)
                              : std::make_unique<LocalLastUseStore>(store, engine->options_.sync);
  engine->trackStoredTokens();
  engine->lastUseStore_->load([e = engine.get()](const events::Digest& d, events::UnixMillis at) {
    e->lastUse_.loadStored(d, at);
  });
  engine->lastUseFlushedAt_ = std::chrono::steady_clock::now();
  engine->appender_ = std::make_unique<events::LogAppender>(store);
  engine->decidedTime_ = engine->lastEventTime_;
  engine->durable_ = engine->appender_->position();
  engine->committedSeq_ = last;
  engine->syncer_ = std::thread([e = engine.get()] { e->syncerLoop(); });
  engine->writer_ = std::thread([e = engine.get()] { e->writerLoop(); });
  // Other writers' commits, applied by the writer thread (applyFollowed()).
  engine->log_->follow(engine->appliedPosition_.load(), [e = engine.get()](auto commits) {
    e->offerFollowed(std::move(commits));
  });
  return engine;
}

Engine::~Engine() { stop(); }

void Engine::trackStoredTokens() {
  lastUse_.reserve(tokenCount());
  store_->scanPrefix(Family::tokens, {}, [&](std::string_view key, std::string_view) {
    if (key.size() != sizeof(events::Digest)) return true;  // pit-replay verify reports it
    events::Digest d{};
    std::memcpy(d.data(), key.data(), key.size());
    lastUse_.track(d);
    return true;
  });
}

void Engine::flushLastUseIfDue(bool force) {
  const auto now = std::chrono::steady_clock::now();
  const auto interval = std::chrono::milliseconds(options_.lastUseFlushMs);
  if (!force && now - lastUseFlushedAt_ < interval) return;
  lastUseFlushedAt_ = now;
  if (!writable_) return;  // kept in memory until the storage recovers
  // First, so that a later use stored by another node is not written back as this node's change.
  lastUseStore_->merge([this](const events::Digest& d, events::UnixMillis at) {
    return lastUse_.mergeStored(d, at);
  });
  auto changes = lastUse_.takeChanges();
  if (changes.used.empty() && changes.forgotten.empty()) return;
  std::string error;
  if (!lastUseStore_->flush(changes, &error)) {
    lastUse_.restore(changes);  // written by a later flush; last use decides nothing meanwhile
    return;
  }
  ++lastUseFlushes_;
}

void Engine::stop() {
  // First, so that nothing is offered to a writer that has stopped.
  if (log_) log_->stopFollowing();
  {
    std::lock_guard lock(mu_);
    if (stopping_ && !writer_.joinable()) return;
    stopping_ = true;
  }
  wake_.notify_all();
  if (writer_.joinable()) writer_.join();
}

void Engine::submit(Command command, Callback done) {
  if (auto error = validate(command, options_.catalogue)) {
    done(CommandResult::failure(std::move(*error)));
    return;
  }
  Pending p{std::move(command), std::nullopt, std::move(done)};
  if (issuesToken(p.command.action)) p.token = generateToken();
  {
    std::unique_lock lock(mu_);
    if (stopping_) {
      lock.unlock();
      p.done(CommandResult::failure({Code::unavailable, "pitd is shutting down", {}}));
      return;
    }
    queue_.push_back(std::move(p));
  }
  wake_.notify_one();
}

CommandResult Engine::execute(Command command) {
  std::promise<CommandResult> promise;
  auto future = promise.get_future();
  submit(std::move(command), [&promise](CommandResult r) { promise.set_value(std::move(r)); });
  return future.get();
}

size_t Engine::scheduleDueExpiries() {
  auto due = tokens_.dueIntegrations(now());
  for (const auto& id : due) {
    Command c;
    c.actor = events::Actor::system();
    c.action = ExpireElapsedWindow{id};
    // The account is needed for validation and the audit; the token index knows it.
    auto view = store_->get(Family::integrations, id);
    auto decoded = view ? projections::decodeIntegration(*view) : std::nullopt;
    if (!decoded) continue;
    c.accountId = decoded->accountId;
    submit(std::move(c), [](CommandResult) {});
  }
  return due.size();
}

}  // namespace pitlog::commands
