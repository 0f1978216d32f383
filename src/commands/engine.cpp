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
  engine->committedSeq_ = last;
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
  for (;;) {
    std::vector<Pending> batch;
    {
      std::unique_lock lock(mu_);
      // Wakes without work too, so that a background error (a failed flush) is noticed before a
      // command meets it, and a degraded store recovers while no command arrives.
      wake_.wait_for(lock, retry, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_) return;  // everything queued is done
      while (!queue_.empty() && batch.size() < options_.maxBatch) {
        batch.push_back(std::move(queue_.front()));
        queue_.pop_front();
      }
    }
    // Before the batch, so that the first batch after space returns is written.
    checkStorage();
    if (batch.empty()) continue;
    // Before the batch, so that a caller who hears back knows every record past its TTL at that
    // moment is gone (and tests need not race the writer).
    pruneIdempotencyIfDue();
    processBatch(batch);
  }
}

void Engine::checkStorage() {
  if (writable_) {
    if (auto error = store_->backgroundError()) enterDegraded(*error);
  } else {
    tryRecover();
  }
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
  if (!options_.onBatch) return;
  BatchStats stats;
  stats.storage = transition;
  stats.storageMessage = std::move(message);
  options_.onBatch(stats);
}

void Engine::enterDegraded(const std::string& error) {
  if (!writable_) return;  // one report per episode, not one per batch
  {
    std::lock_guard lock(healthMu_);
    storageError_ = error;
    writable_ = false;
  }
  ++storageFailures_;
  degradedSince_ = lastRecoveryAttempt_ = std::chrono::steady_clock::now();
  reportStorage(StorageTransition::failed, error);
}

void Engine::catchUpWithStore() {
  tokens_.load(*store_);
  appender_ = std::make_unique<events::LogAppender>(*store_);
  const uint64_t last = store_->lastSeq();
  lastEventTime_ = std::max(lastEventTime_, readEventOrThrow(last).reader().getAt());
  committedSeq_ = last;
}

bool Engine::tryRecover() {
  if (writable_) return true;
  uint64_t recoveredEvents = 0;
  if (stuck_) return false;
  const auto now = std::chrono::steady_clock::now();
  if (now - lastRecoveryAttempt_ < std::chrono::milliseconds(options_.storageRetryMs)) return false;
  lastRecoveryAttempt_ = now;
  // A reopen on a full disk fails after closing the database; the probe spares that churn.
  std::string why;
  if (!store_->looksWritable(options_.storageMinFreeBytes, &why)) return false;
  try {
    if (!store_->reopen().ok) return false;
    // A batch whose append failed never reached the memtables, and RocksDB drops a WAL record
    // written half way, so the reopened log usually ends where memory does. A batch whose fsync
    // failed may have reached the log whole and comes back (its commands were answered "may have
    // been applied"): memory then catches up with the log, provided the log continues memory's
    // chain. Anything else would fork the chain: stay degraded and ask for a restart.
    const events::ChainPosition position = appender_->position();
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
      std::chrono::duration_cast<std::chrono::milliseconds>(now - degradedSince_).count();
  std::string detail = "writes resumed after " + std::to_string(ms) + " ms without them";
  if (recoveredEvents > 0) {
    detail += "; " + std::to_string(recoveredEvents) +
              " events of commands answered 'may have been applied' were durable and are loaded";
  }
  reportStorage(StorageTransition::recovered, std::move(detail));
  return true;
}

void Engine::pruneIdempotencyIfDue() {
  const UnixMillis now = options_.clock();
  if (now - lastIdempotencyPrune_ < kIdempotencyPruneIntervalMs) return;
  lastIdempotencyPrune_ = now;
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
  auto due = tokens_.dueIntegrations(options_.clock());
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

void Engine::processBatch(std::vector<Pending>& pending) {
  rocksdb::WriteBatch batch;
  projections::BatchViewStore views(*store_, batch);
  std::vector<projections::TokenChange> tokenChanges;
  std::vector<CommandResult> results(pending.size());
  // Event times never go backwards, so a time bound in replay is a prefix of the log.
  const UnixMillis now = std::max(options_.clock(), lastEventTime_);
  const uint64_t seqBefore = appender_->position().lastSeq;

  BatchStats stats;
  stats.commands = pending.size();
  // Both std and KJ exceptions (a KJ_ASSERT in a decoder) are caught here, once, so that an
  // internal failure answers its batch and the writer lives on.
  KJ_IF_MAYBE(exception, kj::runCatchingExceptions([&]() {
    for (size_t i = 0; i < pending.size(); ++i) {
      results[i] = executeOne(pending[i], views, batch, now, tokenChanges);
    }
    const bool wrote = appender_->position().lastSeq != seqBefore;
    if (wrote) {
      appender_->finishBatch(batch);
      auto start = std::chrono::steady_clock::now();
      // While degraded nothing is written until tryRecover() has reopened the database.
      events::WriteOutcome outcome;
      if (writable_) {
        outcome = store_->write(batch, options_.sync);
      } else {
        outcome.ok = false;
      }
      stats.writeMicros = std::chrono::duration_cast<std::chrono::microseconds>(
                              std::chrono::steady_clock::now() - start)
                              .count();
      stats.ok = outcome.ok;
      if (!outcome.ok) {
        // Nothing of the batch is applied to memory: the token view, the chain position, the
        // stream versions and the event time stay as the last durable batch left them.
        appender_->abortBatch();
        enterDegraded(outcome.message);
        // A failed fsync leaves the batch's outcome unknown: its WAL record may be whole and
        // come back when the database is reopened. A failed append (or no write) is a no.
        const bool maybeApplied = outcome.message.find("sync") != std::string::npos;
        const std::string text =
            "storage is unavailable (" + storageHealth().error + "); " +
            (maybeApplied ? "the command may have been applied: retry it with the same "
                            "Idempotency-Key to learn its outcome"
                          : "the command was not applied: retry later");
        for (auto& r : results) r = CommandResult::failure({Code::unavailable, text, {}});
      } else {
        stats.events = appender_->position().lastSeq - seqBefore;
        appender_->commitBatch();
        tokens_.apply(tokenChanges);
        lastEventTime_ = now;
        committedSeq_ = appender_->position().lastSeq;
      }
    }
  })) {
    appender_->abortBatch();
    std::string what = exception->getDescription().cStr();
    for (auto& r : results) {
      r = CommandResult::failure({Code::internal, "internal error: " + what, {}});
    }
    stats.ok = false;
  }
  if (options_.onBatch) options_.onBatch(stats);
  for (size_t i = 0; i < pending.size(); ++i) pending[i].done(std::move(results[i]));
}

CommandResult Engine::executeOne(Pending& p, projections::BatchViewStore& views,
                                 rocksdb::WriteBatch& batch, UnixMillis now,
                                 std::vector<projections::TokenChange>& tokenChanges) {
  const Command& cmd = p.command;
  const std::optional<bool> actorPermission =
      readPermission(views, cmd.accountId, cmd.actor.userId);
  if (auto denied = authorize(cmd, actorPermission)) return CommandResult::failure(std::move(*denied));

  // A repeated idempotency key answers as the first request did and appends nothing.
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
        if (!first->integrationId.empty()) {
          // The view as the first request left it. When nothing has happened since (always the
          // case within one batch) that is the current view; otherwise a fold of its stream.
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
    in.permissionStreamVersion =
        appender_->streamVersion(keys::permissionStreamId(cmd.accountId, setPermission->userId));
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
  auto appended = appender_->append(batch, events, context);
  if (auto* conflict = std::get_if<events::LogAppender::VersionConflict>(&appended)) {
    return CommandResult::failure({Code::versionMismatch,
                                   "stream '" + conflict->streamId + "' moved on concurrently",
                                   {}});
  }
  auto& written = std::get<std::vector<events::AppendedEvent>>(appended);
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
  std::string from = keys::auditKey(account, after + 1);
  std::string prefix = keys::accountPrefix(account);
  bool more = false;
  store_->scanRange(Family::auditByAccount, from, {}, [&](std::string_view key, std::string_view) {
    if (key.substr(0, prefix.size()) != prefix) return false;
    uint64_t seq = keys::readFixed64(key.substr(prefix.size())).value_or(0);
    DecodedEvent event = readEventOrThrow(seq);
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
