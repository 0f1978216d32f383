#include "commands/engine.h"

#include <capnp/message.h>
#include <kj/exception.h>
#include <openssl/rand.h>

#include <algorithm>
#include <chrono>
#include <cstring>
#include <future>

#include "commands/idempotency.capnp.h"
#include "commands/validate.h"
#include "projections/projector.h"
#include "projections/replay.h"

namespace pitlog::commands {

using events::DecodedEvent;
using events::UnixMillis;
using projections::Family;
using projections::IntegrationView;
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

struct Engine::Pending {
  Command command;
  std::optional<FreshToken> token;
  Callback done;
};

// A batch the writer decided, for the syncer to write, apply to memory and answer.
struct Engine::Decided {
  uint64_t number = 0;  // from 1, one per batch
  std::vector<Pending> pending;
  std::vector<CommandResult> results;  // pending[i]'s answer, if the batch becomes durable
  rocksdb::WriteBatch batch;
  std::vector<projections::TokenChange> tokenChanges;
  uint64_t seqBefore = 0, seqAfter = 0;  // the log's end before and after the batch
  events::ChainPosition after;           // the chain's position after the batch
  UnixMillis at = 0;                     // its latest event time
  std::optional<std::string> internalError;  // a decision threw: the batch is not written
  bool undecided = false;  // decided nothing: the database was not a durable base (undecidable_)
  bool appends() const { return seqAfter != seqBefore; }
};

namespace {

struct IdempotencyEntry {
  events::Digest fingerprint{};
  UnixMillis at = 0;
  std::string integrationId;
  uint32_t version = 0;
  uint64_t firstSeq = 0, lastSeq = 0;
  std::string userId;
  bool allowed = false;
};

std::string encodeIdempotency(const IdempotencyEntry& e) {
  capnp::MallocMessageBuilder message(64);
  auto b = message.initRoot<schema::IdempotencyRecord>();
  b.setFingerprint(capnp::Data::Reader(e.fingerprint.data(), e.fingerprint.size()));
  b.setAt(e.at);
  b.setIntegrationId(e.integrationId);
  b.setVersion(e.version);
  b.setFirstSeq(e.firstSeq);
  b.setLastSeq(e.lastSeq);
  b.setUserId(e.userId);
  b.setAllowed(e.allowed);
  return events::canonicalBytes(b.asReader());
}

std::optional<IdempotencyEntry> decodeIdempotency(std::string_view bytes) {
  return events::readStoredValue<schema::IdempotencyRecord>(bytes, [](schema::IdempotencyRecord::Reader r) {
    IdempotencyEntry e;
    e.fingerprint = events::digestField(r.getFingerprint());
    e.at = r.getAt();
    e.integrationId = events::textView(r.getIntegrationId());
    e.version = r.getVersion();
    e.firstSeq = r.getFirstSeq();
    e.lastSeq = r.getLastSeq();
    e.userId = events::textView(r.getUserId());
    e.allowed = r.getAllowed();
    return e;
  });
}

std::optional<bool> readPermission(projections::ViewStore& views, std::string_view account,
                                   std::string_view user) {
  auto v = views.get(Family::permissions, keys::permissionKey(account, user));
  if (!v || v->size() != 1) return std::nullopt;
  return (*v)[0] != '\0';
}

// Reads views straight from the store, for queries outside the writer.
class StoreReader : public projections::ViewStore {
 public:
  explicit StoreReader(const events::Store& store) : store_(store) {}
  std::optional<std::string> get(Family f, std::string_view key) override {
    return store_.get(f, key);
  }
  void put(Family, std::string_view, std::string_view) override {
    throw events::StoreError("StoreReader is read-only");
  }
  void erase(Family, std::string_view) override {
    throw events::StoreError("StoreReader is read-only");
  }

 private:
  const events::Store& store_;
};

}  // namespace

Engine::Engine(EngineOptions options) : options_(std::move(options)) {}

std::unique_ptr<Engine> Engine::open(EngineOptions options) {
  if (options.rotationWindowMs <= 0 || options.rotationWindowMs > kMaxRotationWindowMs) {
    throw std::invalid_argument("the rotation window must be between 1 ms and 366 days");
  }
  std::unique_ptr<Engine> engine(new Engine(std::move(options)));
  events::Store::Options so;
  so.path = engine->options_.dataDir;
  so.env = engine->options_.env;
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
  engine->tokens_.load(store);
  engine->appender_ = std::make_unique<events::LogAppender>(store);
  engine->decidedTime_ = engine->lastEventTime_;
  engine->durable_ = engine->appender_->position();
  engine->committedSeq_ = last;
  engine->syncer_ = std::thread([e = engine.get()] { e->syncerLoop(); });
  engine->writer_ = std::thread([e = engine.get()] { e->writerLoop(); });
  return engine;
}

Engine::~Engine() { stop(); }

void Engine::stop() {
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

void Engine::writerLoop() {
  const auto retry = std::chrono::milliseconds(options_.storageRetryMs);
  std::unique_ptr<Decided> gathering;  // the batch being decided, not yet handed on
  for (;;) {
    std::vector<Pending> taken;
    bool handOffNow = false;
    {
      std::unique_lock lock(mu_);
      auto room = [&] {
        return (gathering ? gathering->pending.size() : 0) + taken.size() < options_.maxBatch;
      };
      // Wakes without work too, so that a background error (a failed flush) is noticed before a
      // command meets it, and a degraded store recovers while no command arrives.
      wake_.wait_for(lock, retry, [&] {
        return (!queue_.empty() && room()) || (gathering && syncerIdle()) ||
               (stopping_ && !gathering);
      });
      if (stopping_ && queue_.empty() && !gathering) break;  // everything queued is done
      while (!queue_.empty() && room()) {
        taken.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    if (!gathering) {
      // Between batches, so that the first batch after space returns is written, and so that a
      // caller who hears back knows every idempotency record past its TTL at that moment is gone.
      checkStorage();
      if (taken.empty()) continue;
      pruneIdempotencyIfDue();
      gathering = startBatch();
    }
    if (!taken.empty()) decideInto(*gathering, taken);
    {
      // What was queued meanwhile joins this batch first: one fsync serves everything queued.
      std::lock_guard lock(mu_);
      handOffNow = syncerIdle() &&
                   (queue_.empty() || gathering->pending.size() >= options_.maxBatch);
    }
    if (handOffNow) handOff(std::move(gathering));
  }
  waitSyncerIdle();
  {
    std::lock_guard lock(mu_);
    syncerStop_ = true;
  }
  syncWake_.notify_one();
  syncer_.join();
}

std::unique_ptr<Engine::Decided> Engine::startBatch() {
  auto d = std::make_unique<Decided>();
  d->number = ++decidedBatches_;
  d->seqBefore = appender_->position().lastSeq;
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
  for (auto& p : taken) {
    CommandResult r;
    if (!d.internalError) {
      // Both std and KJ exceptions (a KJ_ASSERT in a decoder) are caught here, once, so that an
      // internal failure answers its batch and the writer lives on.
      KJ_IF_MAYBE(exception, kj::runCatchingExceptions(
                                 [&] { r = executeOne(p, views, d.batch, now, d.tokenChanges); })) {
        d.internalError = exception->getDescription().cStr();
      }
    }
    d.results.push_back(std::move(r));
    d.pending.push_back(std::move(p));
  }
  if (appender_->position().lastSeq != seqBefore) d.at = decidedTime_ = now;
}

void Engine::handOff(std::unique_ptr<Decided> d) {
  d->seqAfter = appender_->position().lastSeq;
  if (d->appends() && !d->internalError) appender_->finishBatch(d->batch);
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
  bool poisoned;
  const bool refused = d.appends() && !writable_;  // read once: the writer may clear it
  {
    std::lock_guard lock(mu_);
    poisoned = poisoned_;
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
  } else if (poisoned || refused || d.undecided) {
    // Decided on top of a batch that failed, or (degraded) nothing is written until tryRecover()
    // has reopened the database, or nothing could be decided: nothing of it reached RocksDB.
    failUnavailable(notApplied);
  } else if (d.appends()) {
    auto start = std::chrono::steady_clock::now();
    events::WriteOutcome outcome = store_->write(d.batch, options_.sync);
    stats.writeMicros = std::chrono::duration_cast<std::chrono::microseconds>(
                            std::chrono::steady_clock::now() - start)
                            .count();
    if (outcome.ok) {
      stats.events = d.seqAfter - d.seqBefore;
      tokens_.apply(d.tokenChanges);
      lastEventTime_ = d.at;
      {
        std::lock_guard lock(mu_);
        durable_ = d.after;
      }
      committedSeq_ = d.seqAfter;
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
  for (size_t i = 0; i < d.pending.size(); ++i) d.pending[i].done(std::move(d.results[i]));
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

CommandResult Engine::executeOne(Pending& p, projections::ViewStore& views,
                                 rocksdb::WriteBatch& batch, UnixMillis now,
                                 std::vector<projections::TokenChange>& tokenChanges) {
  const Command& cmd = p.command;
  const std::optional<bool> actorPermission =
      readPermission(views, cmd.accountId, cmd.actor.userId);
  if (auto denied = authorize(cmd, actorPermission)) return CommandResult::failure(std::move(*denied));

  // A repeated idempotency key answers as the first request did and appends nothing. The record
  // is known durable, or the first request's batch is ahead of this one in the pipeline (and
  // its failure fails this one): the views read here are durable ones (a database showing more
  // than memory's durable position is never read, see undecidable_) or undurable_'s.
  std::string idemKey;
  if (cmd.idempotency) {
    idemKey = keys::idempotencyKey(cmd.accountId, cmd.idempotency->key);
    if (auto bytes = views.get(Family::idempotency, idemKey)) {
      auto first = decodeIdempotency(*bytes);
      if (first && now - first->at < kIdempotencyTtlMs) {
        if (first->fingerprint != cmd.idempotency->fingerprint) {
          return CommandResult::failure(
              {Code::conflict,
               "Idempotency-Key '" + cmd.idempotency->key +
                   "' was used for a different request in the last 24 hours",
               "Idempotency-Key"});
        }
        CommandResult r;
        r.replayed = true;
        r.version = first->version;
        r.firstSeq = first->firstSeq;
        r.lastSeq = first->lastSeq;
        if (const auto* outcome = undurable_.findOutcome(idemKey)) {
          // The first request is in a batch not yet durable (this one included): the view it
          // left, kept as it answered, since later commands of those batches may have changed
          // the integration and none of its events is in the log yet.
          r.integration = *outcome;
        } else if (!first->integrationId.empty()) {
          // The first request is durable: the current view when nothing has changed since,
          // otherwise a fold of its stream in the log up to the version it left.
          auto current = projections::loadIntegration(views, first->integrationId);
          if (current && current->version == first->version) {
            r.integration = std::move(current);
          } else {
            r.integration = integrationAtVersion(first->integrationId, first->version);
          }
        }
        if (!first->userId.empty()) {
          r.userId = first->userId;
          r.allowed = first->allowed;
        }
        return r;
      }
    }
  }

  // Gather the state the decision needs.
  DecisionInput in;
  in.now = now;
  in.rotationWindowMs = options_.rotationWindowMs;
  in.token = p.token ? &*p.token : nullptr;
  in.actorPermission = actorPermission;
  std::optional<IntegrationView> target;
  const std::string& targetId = targetIntegration(cmd.action);
  if (!targetId.empty()) {
    target = projections::loadIntegration(views, targetId);
    in.integration = target ? &*target : nullptr;
  } else if (std::holds_alternative<CreateIntegration>(cmd.action)) {
    in.newIntegrationId = newIntegrationId();
  }
  const auto* setPermission = std::get_if<SetPermission>(&cmd.action);
  if (setPermission) {
    const std::string stream = keys::permissionStreamId(cmd.accountId, setPermission->userId);
    undurable_.tellAppender(*appender_, stream);
    in.permissionStreamVersion = appender_->streamVersion(stream);
  }

  if (!targetId.empty()) {
    appender_->knowStreamVersion(targetId, target ? target->version : 0);
  } else if (!in.newIntegrationId.empty()) {
    appender_->knowStreamVersion(in.newIntegrationId, 0);
  }
  auto decision = decide(cmd, in);
  if (auto* error = std::get_if<Error>(&decision)) return CommandResult::failure(std::move(*error));
  auto& events = std::get<Decision>(decision).events;

  CommandResult r;
  if (events.empty()) return r;  // the scheduler's no-op

  events::EventContext context{cmd.actor, cmd.requestId, now};
  for (const auto& e : events) undurable_.tellAppender(*appender_, e.streamId);
  auto appended = appender_->append(batch, events, context);
  if (auto* conflict = std::get_if<events::LogAppender::VersionConflict>(&appended)) {
    return CommandResult::failure({Code::versionMismatch,
                                   "stream '" + conflict->streamId + "' moved on concurrently",
                                   {}});
  }
  auto& written = std::get<std::vector<events::AppendedEvent>>(appended);
  for (size_t i = 0; i < written.size(); ++i) {
    undurable_.recordStream(events[i].streamId, written[i].streamVersion);
  }
  for (const auto& a : written) {
    std::string error;
    auto decoded = DecodedEvent::decode(a.bytes, &error);
    KJ_ASSERT(decoded != std::nullopt, "an event we just encoded does not decode", error);
    auto after = projections::project(views, decoded->reader(), &tokenChanges);
    if (after.exists()) r.integration = std::move(after);
  }
  r.firstSeq = written.front().seq;
  r.lastSeq = written.back().seq;
  r.version = written.back().streamVersion;
  if (p.token) r.token = p.token->plaintext;
  if (setPermission) {
    r.userId = setPermission->userId;
    r.allowed = setPermission->allowed;
  }
  if (cmd.idempotency) {
    IdempotencyEntry entry;
    entry.fingerprint = cmd.idempotency->fingerprint;
    entry.at = now;
    entry.integrationId = r.integration ? r.integration->id : std::string();
    entry.version = r.version;
    entry.firstSeq = r.firstSeq;
    entry.lastSeq = r.lastSeq;
    entry.userId = r.userId;
    entry.allowed = r.allowed.value_or(false);
    views.put(Family::idempotency, idemKey, encodeIdempotency(entry));
    undurable_.recordOutcome(idemKey, r.integration);
  }
  return r;
}

std::string Engine::newIntegrationId() const {
  unsigned char random[12];
  if (RAND_bytes(random, sizeof random) != 1) throw events::StoreError("OpenSSL: CSPRNG failure");
  return "int_" + events::toHex(std::string_view(reinterpret_cast<char*>(random), sizeof random));
}

std::optional<IntegrationView> Engine::integration(std::string_view account,
                                                   std::string_view id) const {
  StoreReader reader(*store_);
  auto v = projections::loadIntegration(reader, id);
  if (!v || v->deleted || v->accountId != account) return std::nullopt;
  return v;
}

IntegrationView Engine::foldStream(
    std::string_view id,
    const std::function<bool(const events::schema::Event::Reader&)>& include) const {
  IntegrationView v;
  for (uint64_t seq : events::streamSequences(*store_, id)) {
    auto bytes = events::readEvent(*store_, seq);
    std::string error;
    auto event = bytes ? DecodedEvent::decode(*bytes, &error) : std::nullopt;
    if (!event || !include(event->reader())) break;
    v = projections::apply(std::move(v), event->reader());
  }
  return v;
}

DecodedEvent Engine::readEventOrThrow(uint64_t seq) const {
  auto bytes = events::readEvent(*store_, seq);
  std::string error = "it is missing";
  auto event = bytes ? DecodedEvent::decode(*bytes, &error) : std::nullopt;
  if (!event) throw events::StoreError("event " + std::to_string(seq) + " is damaged: " + error);
  return std::move(*event);
}

std::optional<IntegrationView> Engine::integrationAtVersion(std::string_view id,
                                                            uint32_t version) const {
  auto v = foldStream(id, [&](const auto& e) { return e.getStreamVersion() <= version; });
  if (!v.exists()) return std::nullopt;
  return v;
}

std::optional<IntegrationView> Engine::integrationAsOf(std::string_view account,
                                                       std::string_view id, UnixMillis at) const {
  auto v = foldStream(id, [&](const auto& e) { return e.getAt() <= at; });
  if (!v.exists() || v.deleted || v.accountId != account) return std::nullopt;
  return v;
}

std::vector<IntegrationView> Engine::integrations(std::string_view account,
                                                  bool includeDeleted) const {
  std::vector<IntegrationView> out;
  StoreReader reader(*store_);
  store_->scanPrefix(Family::byAccount, keys::accountPrefix(account),
                     [&](std::string_view key, std::string_view) {
                       auto v = projections::loadIntegration(reader, keys::afterAccountPrefix(key));
                       if (v && (includeDeleted || !v->deleted)) out.push_back(std::move(*v));
                       return true;
                     });
  std::sort(out.begin(), out.end(), [](const IntegrationView& a, const IntegrationView& b) {
    return a.createdSeq < b.createdSeq;
  });
  return out;
}

std::vector<DecodedEvent> Engine::integrationEvents(std::string_view account,
                                                    std::string_view id) const {
  std::vector<DecodedEvent> out;
  StoreReader reader(*store_);
  auto v = projections::loadIntegration(reader, id);
  if (!v || v->accountId != account) return out;
  for (uint64_t seq : events::streamSequences(*store_, id)) out.push_back(readEventOrThrow(seq));
  return out;
}

AuditPage Engine::audit(std::string_view account, uint64_t after, size_t limit,
                        std::optional<UnixMillis> since, std::optional<UnixMillis> until) const {
  AuditPage page;
  if (after == UINT64_MAX) return page;  // nothing follows the largest sequence (and +1 wraps)
  // `since` is found by a binary search of the log rather than by reading the account's events
  // from `after` on and skipping the early ones: a page costs the same for a time in the future
  // as for the first page, whatever the account's history holds.
  uint64_t start = after + 1;
  if (since) start = std::max(start, firstSeqAtOrAfter(*since));
  std::string from = keys::auditKey(account, start);
  std::string prefix = keys::accountPrefix(account);
  bool more = false;
  store_->scanRange(Family::auditByAccount, from, {}, [&](std::string_view key, std::string_view) {
    if (key.substr(0, prefix.size()) != prefix) return false;
    uint64_t seq = keys::readFixed64(key.substr(prefix.size())).value_or(0);
    DecodedEvent event = readEventOrThrow(seq);
    ++page.eventsRead;
    UnixMillis at = event.reader().getAt();
    if (since && at < *since) return true;
    if (until && at > *until) return false;  // times never go backwards along the log
    if (page.events.size() == limit) {
      more = true;
      return false;
    }
    page.events.push_back(std::move(event));
    return true;
  });
  if (more && !page.events.empty()) page.next = page.events.back().reader().getSeq();
  return page;
}

// Event times never go backwards along the log (decisions take the later of the clock and the
// last event's time), so the events family is sorted by time as well as by sequence.
uint64_t Engine::firstSeqAtOrAfter(UnixMillis t) const {
  uint64_t lo = 1, hi = committedSeq_.load() + 1;  // the answer lies in [lo, hi]
  while (lo < hi) {
    const uint64_t mid = lo + (hi - lo) / 2;
    if (readEventOrThrow(mid).reader().getAt() < t) {
      lo = mid + 1;
    } else {
      hi = mid;
    }
  }
  return lo;
}

PermissionInfo Engine::permission(std::string_view account, std::string_view user) const {
  StoreReader reader(*store_);
  PermissionInfo info;
  info.recorded = readPermission(reader, account, user);
  info.version =
      static_cast<uint32_t>(events::streamSequences(*store_, keys::permissionStreamId(account, user))
                                .size());
  return info;
}

bool Engine::mayManage(const events::Actor& actor, std::string_view account) const {
  StoreReader reader(*store_);
  return commands::mayManage(actor, readPermission(reader, account, actor.userId));
}

}  // namespace pitlog::commands
