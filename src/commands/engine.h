#pragma once
// The engine: pitlog's core as one object. It owns the database, the single writer thread, and
// the in-memory token view.
//
// Writes: submit() queues a command; the writer takes everything queued, decides each command in
// order against the state including earlier commands (of the same batch, and of earlier batches
// still being written), and a syncer thread commits each batch as one synced WriteBatch holding
// its commands' events, stream index, views and idempotency records (group commit: one fsync
// serves many commands, and the next batch is decided while the previous one is synced). A
// caller's callback runs only once its batch is durable; a failed write answers every command of
// the batch, and of every batch decided on top of it, `unavailable`, and changes nothing.
// Reads: verify() answers from memory only; the query methods read RocksDB and are safe on any
// thread at any time.
//
// Storage faults (a full or read-only file system, a failed fsync, flush or compaction): the batch
// whose write fails is answered `unavailable`, and the in-memory state (token view, chain
// position, stream versions, event time) stays as the last durable batch left it: memory keeps
// its own durable position (durable_), which only a durable write or a catch-up moves. The engine
// is then *degraded*: batches that would append are answered `unavailable` without touching
// RocksDB, while those that append nothing (rejections, idempotent replays) and every read go on -
// except while the database shows more than memory's durable position (a reopen that fell back to
// read-only replays a WAL record whose fsync failed): nothing is decided on a base that is not
// known durable then, and every command is answered `unavailable`. The writer retries on its own,
// at most every storageRetryMs, with or without traffic: once the file system is writable with
// storageMinFreeBytes free, it reopens the database (events::Store) read-write and compares its log
// with memory's durable position: equal, it writes again; longer and continuing memory's chain (a
// batch whose fsync failed, answered "may have been applied", was durable after all), memory
// catches up with it first. One BatchStats with a `storage` transition reports each episode's
// start and end (pitd logs them and shows storageHealth()).
//
// Time: one notion of "now" for decisions, verification, the scheduler and the views' renderers:
// the clock, but never before the last durable event's time (now()), so that a clock stepped back
// (or a restart on a host whose clock is behind) cannot make verification disagree with the
// decisions already in the log.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "commands/command.h"
#include "commands/commit_log.h"
#include "commands/decide.h"
#include "commands/last_use_store.h"
#include "commands/last_use_table.h"
#include "commands/result.h"
#include "commands/scope_catalogue.h"
#include "commands/undurable_views.h"
#include "commands/verify.h"
#include "events/log.h"
#include "events/store.h"
#include "projections/token_index.h"

namespace pitlog::commands {

using Clock = std::function<events::UnixMillis()>;
events::UnixMillis systemClock();

inline constexpr int64_t kIdempotencyTtlMs = 24LL * 3600 * 1000;
// How often the writer drops idempotency records older than the TTL (they are ignored at once).
inline constexpr int64_t kIdempotencyPruneIntervalMs = 3600LL * 1000;

// A change of the storage's state, reported once per fault episode.
enum class StorageTransition {
  none,
  failed,     // the first failure of an episode: writes stop
  recovered,  // the database was reopened and takes writes again
};

struct BatchStats {
  size_t commands = 0;   // commands decided in the batch (0: a storage report outside a batch)
  size_t events = 0;     // events appended
  int64_t writeMicros = 0;  // time spent in the (synced) RocksDB write
  bool ok = true;
  bool conflict = false;  // the commit lost the race for the log's position: decided again
  StorageTransition storage = StorageTransition::none;
  std::string storageMessage;  // with `storage`: RocksDB's error, or how long the episode lasted
};

struct StorageHealth {
  bool writable = true;
  uint64_t failures = 0;  // fault episodes since start
  std::string error;      // while not writable: the error that started the episode
};

struct EngineOptions {
  std::string dataDir;
  bool sync = true;
  int64_t rotationWindowMs = kDefaultRotationWindowMs;
  Clock clock = systemClock;
  ScopeCatalogue catalogue = ScopeCatalogue::builtIn();
  size_t maxBatch = 1024;
  std::function<void(const BatchStats&)> onBatch;  // engine threads, never two calls at once
  // While degraded: how often the writer tries to recover, and the free space it waits for.
  int64_t storageRetryMs = 500;
  uint64_t storageMinFreeBytes = 1 << 20;
  rocksdb::Env* env = nullptr;  // events::Store::Options::env (tests inject faults through it)
  size_t storageMemoryBytes = events::Store::Options::kDefaultMemoryBudgetBytes;
  // Where the log lives (commit_log.h), made once the store is open; unset: the local log.
  // The store is writable: a replicated log records there where the data dir joined it.
  std::function<std::unique_ptr<CommitLog>(events::Store&)> log;
  std::string nodeName = "pitd";  // in commits and their msg ids
  // How often a command may be decided again after its commit lost the race for the log's next
  // position before it is answered `unavailable`.
  int maxConflictRetries = 64;
  // Tokens' last use (last_use_table.h): written out at most this often, and at stop().
  int64_t lastUseFlushMs = 60'000;
  // Where last use is kept (last_use_store.h), made once the store is open; unset: the local
  // last_use family.
  std::function<std::unique_ptr<LastUseStore>(events::Store&)> lastUseStore;
};

struct CommandResult {
  Code code = Code::ok;
  std::string message;
  std::string field;
  // The integration as the command left it (as the first request left it, for a replay).
  std::optional<projections::IntegrationView> integration;
  std::optional<std::string> token;  // the plaintext, only in the first answer
  std::string userId;                // set-permission: whose
  std::optional<bool> allowed;       // set-permission: the new value
  std::optional<projections::WebhookView> webhook;  // subscribe-webhook: the subscription after
  bool webhookCreated = false;       // subscribe-webhook: it did not exist before
  bool replayed = false;             // answered from an idempotency record
  uint32_t version = 0;              // the stream version after the command
  uint64_t firstSeq = 0, lastSeq = 0;

  bool ok() const { return code == Code::ok; }
  static CommandResult failure(Error e);
};

struct PermissionInfo {
  std::optional<bool> recorded;  // grant (true), withdrawal (false) or none
  uint32_t version = 0;          // the permission stream's version
};

struct AuditPage {
  std::vector<events::DecodedEvent> events;
  std::optional<uint64_t> next;  // the `after` of the next page; nullopt when none follows
  // Events read to make the page: at most the page's limit + 1, plus ~log2(log size) to find
  // `since`, whatever the account's history holds (a page's cost never grows with it).
  size_t eventsRead = 0;
};

class Engine {
 public:
  // Opens (creating if needed) the database in options.dataDir, loads the token view and starts
  // the writer. Throws events::StoreError with a message for a person.
  static std::unique_ptr<Engine> open(EngineOptions options);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  using Callback = std::function<void(CommandResult)>;
  // Thread-safe. Validation failures are answered at once, on the caller's thread; everything else
  // on the writer thread after the batch is durable.
  void submit(Command command, Callback done);
  // submit() and wait.
  CommandResult execute(Command command);
  // Finishes every queued command, then stops the writer. Later submits answer `unavailable`.
  void stop();

  // Verification from memory (verify.h) at now(). An active answer records the token's last use
  // (no lock, no allocation: last_use_table.h).
  Verification verify(std::string_view token,
                      std::optional<std::string_view> requiredScope = std::nullopt) const {
    const events::UnixMillis at = now();
    Verification v = verifyToken(tokens_, token, requiredScope, at);
    if (v.active) lastUse_.record(v.digest, at);
    return v;
  }
  // The token's last active introspection (at most lastUseFlushMs behind what is stored), or
  // nullopt when it was never used or is not valid.
  std::optional<events::UnixMillis> lastUsed(const events::Digest& token) const {
    return lastUse_.lastUsed(token);
  }
  // Flushes of last use that wrote something, since open (tests count them).
  uint64_t lastUseFlushes() const { return lastUseFlushes_.load(); }

  // Queues the scheduler's expiry for every window elapsed by now. Returns how many.
  size_t scheduleDueExpiries();
  std::optional<events::UnixMillis> nextDeadline() const { return tokens_.nextDeadline(); }

  // Queries. Integrations of another account, and deleted ones, are absent.
  std::optional<projections::IntegrationView> integration(std::string_view account,
                                                          std::string_view id) const;
  std::optional<projections::IntegrationView> integrationAsOf(std::string_view account,
                                                              std::string_view id,
                                                              events::UnixMillis at) const;
  std::vector<projections::IntegrationView> integrations(std::string_view account,
                                                         bool includeDeleted) const;
  // The whole history of an integration of this account (deleted ones too), oldest first.
  std::vector<events::DecodedEvent> integrationEvents(std::string_view account,
                                                      std::string_view id) const;
  // limit in 1..1000; since/until bound event times (inclusive). Reads at most limit + 1 events
  // of the account plus a binary search for `since` (see AuditPage::eventsRead).
  AuditPage audit(std::string_view account, uint64_t after, size_t limit,
                  std::optional<events::UnixMillis> since,
                  std::optional<events::UnixMillis> until) const;
  PermissionInfo permission(std::string_view account, std::string_view user) const;
  // The account's live webhook subscriptions in id order, and one of them (nullopt: none).
  std::vector<projections::WebhookView> webhooks(std::string_view account) const;
  std::optional<projections::WebhookView> webhook(std::string_view account,
                                                  std::string_view webhookId) const;
  bool mayManage(const events::Actor& actor, std::string_view account) const;

  const ScopeCatalogue& catalogue() const { return options_.catalogue; }
  // The clock, never before the last durable event's time (see "Time" above).
  events::UnixMillis now() const { return std::max(options_.clock(), lastEventTime_.load()); }
  size_t tokenCount() const { return tokens_.size(); }
  uint64_t lastSeq() const { return committedSeq_.load(); }
  // The log position (commit_log.h) memory has applied.
  uint64_t appliedPosition() const { return appliedPosition_.load(); }
  // Thread-safe: whether commands can be written now (see the storage faults note above).
  StorageHealth storageHealth() const;
  const events::Store& store() const { return *store_; }
  // The store, for state that is not history (webhook delivery): its own column families only,
  // never the log's or the views'.
  events::Store& operationalStore() { return *store_; }

 private:
  struct Pending;
  struct Decided;
  explicit Engine(EngineOptions options);

  // The pipeline. The writer thread (stage 1) takes queued commands and decides them into the
  // batch it is gathering, on top of the batches handed on but not yet durable (undurable_); as
  // soon as the syncer is idle it hands the gathered batch on, and gathers the next one while that
  // one is written. The syncer thread (stage 2) writes one batch at a time with sync, and only
  // then applies it to memory (token view, sequence, event time) and answers its commands, in
  // order. So one fsync serves everything that arrived while the previous one ran, and deciding
  // overlaps the fsync instead of following it. RocksDB shows a synced write to readers only
  // once it is durable, and memory changes only after it, so readers never see undurable state.
  // A batch that fails (or is refused while degraded) *poisons* the pipeline: every batch handed
  // on after it was decided on top of it and is answered `unavailable` unwritten, until the
  // writer, with the syncer idle, restarts its decision state from memory's durable position
  // (the last durable batch) - see restartFromDurable().
  void writerLoop();
  void syncerLoop();
  // Writer thread, between batches: a new batch to gather, decided on top of undurable_.
  std::unique_ptr<Decided> startBatch();
  // Writer thread: decides `taken` into the gathered batch, in order, until its commit is full
  // (CommitLog::maxCommitBytes()); the rest go back to the front of the queue.
  void decideInto(Decided& d, std::vector<Pending>& taken);
  // Writer thread: puts taken[from...] back at the front of the queue, in order.
  void giveBack(std::vector<Pending>& taken, size_t from);
  // Writer thread: closes the gathered batch and passes it to the (idle) syncer.
  void handOff(std::unique_ptr<Decided> d);
  // Syncer thread: writes one batch, applies it to memory and answers its commands.
  void commit(Decided& d);
  // Writer thread: waits until every batch handed on has been answered.
  void waitSyncerIdle();
  bool syncerIdle() const { return !handed_ && !syncing_; }  // REQUIRES: mu_ held
  // Writer thread, syncer idle: forgets what was decided but never became durable (the appender,
  // the undurable views, the decision time) and starts again from memory's durable position.
  void restartFromDurable();
  // Writer thread, syncer idle: whether the database shows exactly memory's durable position, so
  // that decisions may read it (false too when it cannot be read).
  bool storeMatchesMemory() const;
  events::ChainPosition durablePosition() const;  // any thread
  // Writer thread, syncer idle, after a conflict: applies the log's commits after memory's
  // position (another writer's), so that the commands are decided again on them.
  void catchUpFromLog();
  // The log's follower thread (CommitLog::follow): queues commits of the log for the writer.
  void offerFollowed(std::vector<PositionedCommit> commits);
  // Writer thread, between batches: applies the followed commits it has not applied yet, in
  // order, with applyCommit() (reading any the follower skipped from the log), then restarts the
  // decision state on top of them.
  void applyFollowed();
  // Writer thread, syncer idle: applies a commit read from the log (engine_apply.cpp): checks that
  // it continues the chain, projects its events into the views with the projection step the
  // writer uses, writes them, its idempotency records and the position in one WriteBatch, then
  // applies it to memory. A commit at or before the applied position is skipped. Returns why it
  // could not be applied. `sync`: the last of the commits applied together syncs the write (and
  // every write before it); the others need not, since the log holds them and a node that loses
  // them in a crash reads them again from its recorded position, which they carry.
  std::optional<std::string> applyCommit(const PositionedCommit& commit, bool sync);
  // Syncer or writer thread, once a commit's WriteBatch is durable: memory follows it (the one
  // step for the writer's own commits and for those read from the log).
  void applyToMemory(const std::vector<projections::TokenChange>& changes, events::UnixMillis at,
                     const events::ChainPosition& after, uint64_t position);
  // Syncer thread: hands the commands of a batch that lost the race back to the writer.
  void requeue(std::vector<Pending>& pending);
  // Syncer or writer thread; serialises EngineOptions::onBatch.
  void report(const BatchStats& stats);

  CommandResult executeOne(Pending& p, projections::ViewStore& views, Decided& d,
                           events::UnixMillis now);
  std::optional<projections::IntegrationView> integrationAtVersion(std::string_view id,
                                                                   uint32_t version) const;
  // An integration's stream folded with apply(), oldest first, while `include` holds (a
  // damaged event ends the fold, as the end of the stream would).
  projections::IntegrationView foldStream(
      std::string_view id,
      const std::function<bool(const events::schema::Event::Reader&)>& include) const;
  // A stored event; StoreError naming the sequence when it is missing or does not decode.
  events::DecodedEvent readEventOrThrow(uint64_t seq) const;
  // The first committed sequence whose event is at or after `t`, or lastSeq() + 1.
  uint64_t firstSeqAtOrAfter(events::UnixMillis t) const;
  std::string newIntegrationId() const;
  // What every commit's name in the log starts with: the node name and random bits drawn once,
  // followed by the batch's number, so that naming a commit costs no randomness.
  std::string newMsgIdPrefix() const;
  void pruneIdempotencyIfDue();  // writer thread only, between batches
  // Writer thread only, between batches (and once at stop, `force`): writes the last uses
  // recorded since the previous flush, at most every lastUseFlushMs.
  void flushLastUseIfDue(bool force = false);
  // Tracks every token of the tokens family in lastUse_ (at open and after a catch-up).
  void trackStoredTokens();
  // Writer thread only, between batches: restarts after a poisoned batch, notices a background
  // error, or tries to recover while degraded.
  void checkStorage();
  // Writer or syncer thread. Starts a fault episode (once) after a failed write or a background
  // error.
  void enterDegraded(const std::string& error);
  // Writer thread only, syncer idle. While degraded, at most every storageRetryMs: reopens the
  // database when the file system looks writable. True when writes may go on.
  bool tryRecover();
  void reportStorage(StorageTransition transition, std::string message);
  // Writer thread only, syncer idle, the store reopened read-write: reloads the token view, chain
  // position and event time from the store, whose log went further than memory (a batch whose
  // fsync failed was durable after all).
  void catchUpWithStore();
  // The answer to every command of a batch that is not written (`outcome`: what the client may
  // conclude), with the storage error that caused it.
  CommandResult unavailable(std::string_view outcome) const;

  EngineOptions options_;
  std::unique_ptr<events::Store> store_;
  std::unique_ptr<CommitLog> log_;
  // The log position of the last durable batch (or commit applied from the log). Set with durable_.
  std::atomic<uint64_t> appliedPosition_{0};
  uint64_t decidedPosition_ = 0;  // writer thread: the position the next batch is decided at
  projections::TokenIndex tokens_;  // applied by the syncer, reloaded by the writer (syncer idle)
  // Last use of the valid tokens: recorded by verify() on any thread; tracked and forgotten with
  // tokens_ (applyToMemory), flushed by the writer to lastUseStore_.
  mutable LastUseTable lastUse_;
  std::unique_ptr<LastUseStore> lastUseStore_;
  std::chrono::steady_clock::time_point lastUseFlushedAt_;  // writer thread only
  std::atomic<uint64_t> lastUseFlushes_{0};
  std::atomic<uint64_t> committedSeq_{0};  // durable_.lastSeq, readable without a lock
  // The time of the last durable event: event times never go backwards. Set by the syncer.
  std::atomic<events::UnixMillis> lastEventTime_{0};

  // Writer thread only: the decision state, which runs ahead of what is durable.
  std::unique_ptr<events::LogAppender> appender_;
  UndurableBatches undurable_;
  events::UnixMillis decidedTime_ = 0;  // the latest event time decided
  uint64_t decidedBatches_ = 0;         // numbers the batches handed on
  std::string msgIdPrefix_;             // newMsgIdPrefix(), drawn at open
  events::UnixMillis lastIdempotencyPrune_ = 0;
  bool stuck_ = false;  // the reopened log forks from memory; restart
  // Set while degraded when the database shows what memory's durable position does not hold
  // (see the storage faults note above): every command is answered `unavailable` undecided.
  bool undecidable_ = false;
  // The last batch number the syncer made durable (or answered without a write).
  std::atomic<uint64_t> durableBatch_{0};

  // Storage faults. Written by the writer and the syncer; read by storageHealth() on any thread.
  std::atomic<bool> writable_{true};
  std::atomic<uint64_t> storageFailures_{0};
  mutable std::mutex healthMu_;
  std::string storageError_;  // GUARDED_BY(healthMu_)
  std::chrono::steady_clock::time_point degradedSince_, lastRecoveryAttempt_;  // GUARDED_BY(healthMu_)
  std::mutex reportMu_;  // held while onBatch runs

  mutable std::mutex mu_;
  std::condition_variable wake_;      // the writer waits here (commands, an idle syncer)
  std::condition_variable syncWake_;  // the syncer waits here (a handed batch)
  std::deque<Pending> queue_;         // GUARDED_BY(mu_)
  bool stopping_ = false;             // GUARDED_BY(mu_)
  std::unique_ptr<Decided> handed_;   // GUARDED_BY(mu_): the next batch for the syncer
  bool syncing_ = false;              // GUARDED_BY(mu_): the syncer is committing a batch
  bool poisoned_ = false;             // GUARDED_BY(mu_): a handed batch failed, see above
  // GUARDED_BY(mu_): the poison is a lost race for the log: the poisoned batches' commands are
  // decided again (retry_) after the writer caught up, not answered.
  bool conflicted_ = false;
  std::deque<Pending> retry_;         // GUARDED_BY(mu_): taken before queue_
  std::deque<PositionedCommit> followed_;  // GUARDED_BY(mu_): from the log's follower
  static constexpr size_t kMaxFollowedQueued = 256;  // commits; see offerFollowed()
  std::condition_variable followedRoom_;  // the follower waits here for room in followed_
  bool syncerStop_ = false;           // GUARDED_BY(mu_)
  // Memory's durable position: where the last batch applied to memory (or the log loaded at open
  // or caught up with) ends. Set by the syncer after a durable write, by the writer at a catch-up.
  events::ChainPosition durable_;     // GUARDED_BY(mu_)
  std::thread writer_, syncer_;
};

}  // namespace pitlog::commands
