// Storage faults in-process: a RocksDB file system that fails every write on demand, as a full
// disk (ENOSPC) or a file system turned read-only (EROFS) does, or fails only fsync (EIO, the
// record written whole). The engine must answer the batch that meets the fault `unavailable`,
// keep its memory exactly as the last durable batch left it, go on answering what needs no write,
// and write again by itself once the fault is gone - with a log that verifies and holds exactly
// the acknowledged events, and memory equal to a replay of it after every episode.
#include <rocksdb/env.h>
#include <rocksdb/file_system.h>

#include <atomic>
#include <catch2/catch.hpp>
#include <chrono>
#include <future>
#include <thread>

#include "core_support.h"
#include "memory_check.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::Code;
using pitlog::testing::TempDir;

namespace {

enum class Fault { none, noSpace, readOnly, syncOnly };

// syncOnly: appends land, fsync fails - the data may be on disk all the same.
rocksdb::IOStatus injected(Fault f) {
  if (f == Fault::noSpace) return rocksdb::IOStatus::NoSpace("injected", "No space left on device");
  return rocksdb::IOStatus::IOError("injected", "Read-only file system");
}

// A writable file whose appends, syncs and closes fail while the fault is on.
// Holds the next fsync (the WAL's, in these tests) until released, so that a test can act while a
// batch is being made durable. Armed by hold(); the fault is read after the release.
class SyncGate {
 public:
  void hold() {
    entered_ = {};
    release_ = {};
    released_ = release_.get_future().share();
    armed_ = true;
  }
  void waitEntered() { entered_.get_future().wait(); }
  void release() { release_.set_value(); }
  void pass() {
    if (!armed_.exchange(false)) return;
    entered_.set_value();
    released_.wait();
  }

 private:
  std::atomic<bool> armed_{false};
  std::promise<void> entered_, release_;
  std::shared_future<void> released_;
};

class FaultyFile : public rocksdb::FSWritableFileOwnerWrapper {
 public:
  FaultyFile(std::unique_ptr<rocksdb::FSWritableFile> file, const std::atomic<Fault>& fault,
             SyncGate& gate)
      : FSWritableFileOwnerWrapper(std::move(file)), fault_(fault), gate_(gate) {}
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           rocksdb::IODebugContext* d) override {
    if (auto f = fault_.load(); f != Fault::none && f != Fault::syncOnly) return injected(f);
    return FSWritableFileOwnerWrapper::Append(data, o, d);
  }
  rocksdb::IOStatus Append(const rocksdb::Slice& data, const rocksdb::IOOptions& o,
                           const rocksdb::DataVerificationInfo& v,
                           rocksdb::IODebugContext* d) override {
    if (auto f = fault_.load(); f != Fault::none && f != Fault::syncOnly) return injected(f);
    return FSWritableFileOwnerWrapper::Append(data, o, v, d);
  }
  // Worded as RocksDB's posix file system words a failed fdatasync, which the engine recognises.
  rocksdb::IOStatus Sync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    gate_.pass();
    if (fault_.load() != Fault::none) return rocksdb::IOStatus::IOError("While fdatasync", "injected");
    return FSWritableFileOwnerWrapper::Sync(o, d);
  }
  rocksdb::IOStatus Fsync(const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    gate_.pass();
    if (fault_.load() != Fault::none) return rocksdb::IOStatus::IOError("While fsync", "injected");
    return FSWritableFileOwnerWrapper::Fsync(o, d);
  }

 private:
  const std::atomic<Fault>& fault_;
  SyncGate& gate_;
};

// The default file system, with writes failing while `fault` is on: new files cannot be made
// and open ones cannot grow. Reads always work.
class FaultyFileSystem : public rocksdb::FileSystemWrapper {
 public:
  FaultyFileSystem() : FileSystemWrapper(rocksdb::FileSystem::Default()) {}
  const char* Name() const override { return "FaultyFileSystem"; }

  rocksdb::IOStatus NewWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                    std::unique_ptr<rocksdb::FSWritableFile>* result,
                                    rocksdb::IODebugContext* d) override {
    if (auto f = fault.load(); f != Fault::none) return injected(f);
    std::unique_ptr<rocksdb::FSWritableFile> file;
    auto s = target()->NewWritableFile(name, o, &file, d);
    if (s.ok()) *result = std::make_unique<FaultyFile>(std::move(file), fault, gate);
    return s;
  }
  rocksdb::IOStatus ReopenWritableFile(const std::string& name, const rocksdb::FileOptions& o,
                                       std::unique_ptr<rocksdb::FSWritableFile>* result,
                                       rocksdb::IODebugContext* d) override {
    if (auto f = fault.load(); f != Fault::none) return injected(f);
    std::unique_ptr<rocksdb::FSWritableFile> file;
    auto s = target()->ReopenWritableFile(name, o, &file, d);
    if (s.ok()) *result = std::make_unique<FaultyFile>(std::move(file), fault, gate);
    return s;
  }
  rocksdb::IOStatus RenameFile(const std::string& from, const std::string& to,
                               const rocksdb::IOOptions& o, rocksdb::IODebugContext* d) override {
    if (auto f = fault.load(); f != Fault::none) return injected(f);
    return target()->RenameFile(from, to, o, d);
  }

  std::atomic<Fault> fault{Fault::none};
  SyncGate gate;
};

struct Fixture {
  TempDir dir{"storage-fault"};
  FakeClock clock;
  std::shared_ptr<FaultyFileSystem> fs = std::make_shared<FaultyFileSystem>();
  std::unique_ptr<rocksdb::Env> env = rocksdb::NewCompositeEnv(fs);
  std::vector<cmd::BatchStats> reports;  // storage transitions, in order
  std::mutex reportsMu;
  std::unique_ptr<cmd::Engine> engine;
  std::atomic<uint64_t> clockReads{0};

  void open() {
    auto o = engineOptions(dir.sub("data"), clock);
    o.sync = true;
    o.env = env.get();
    o.storageRetryMs = 20;
    o.storageMinFreeBytes = 0;
    // The writer reads the clock once per group of commands it decides: counting the reads
    // tells a test that the writer has taken what it submitted.
    o.clock = [this, inner = o.clock] {
      ++clockReads;
      return inner();
    };
    o.onBatch = [this](const cmd::BatchStats& s) {
      if (s.storage == cmd::StorageTransition::none) return;
      std::lock_guard lock(reportsMu);
      reports.push_back(s);
    };
    engine = cmd::Engine::open(std::move(o));
  }
  size_t transitions(cmd::StorageTransition t) {
    std::lock_guard lock(reportsMu);
    return std::count_if(reports.begin(), reports.end(),
                         [t](const cmd::BatchStats& s) { return s.storage == t; });
  }
  cmd::CommandResult create(const std::string& name,
                            std::optional<cmd::IdempotencyKey> key = std::nullopt) {
    auto c = command("acme", adminActor("acme"), createAction(name));
    c.idempotency = std::move(key);
    return engine->execute(std::move(c));
  }
  cmd::CommandResult rotate(const std::string& id, uint32_t ifMatch) {
    auto c = command("acme", adminActor("acme"), cmd::RotateToken{id, cmd::ExpireMode::later});
    c.ifMatch = cmd::IfMatch{false, {ifMatch}};
    return engine->execute(std::move(c));
  }
  // Submits without waiting for the answer, and returns once the writer has taken the command
  // (it reads the clock before it decides what it took). Only while the syncer is held: the
  // command then joins the batch that will follow the held one.
  std::future<cmd::CommandResult> submitTaken(cmd::Command c) {
    auto p = std::make_shared<std::promise<cmd::CommandResult>>();
    auto future = p->get_future();
    const uint64_t before = clockReads.load();
    engine->submit(std::move(c), [p](cmd::CommandResult r) { p->set_value(std::move(r)); });
    while (clockReads.load() == before) std::this_thread::sleep_for(std::chrono::milliseconds(1));
    return future;
  }
  // Waits until the writer's reopen fell back to a read-only open (the fault failed the
  // read-write one), which shows whatever the WAL holds, records whose fsync failed included.
  bool waitReadOnlyFallback() {
    for (int i = 0; i < 500; ++i) {
      if (!engine->store().openForWriting()) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
  // Waits (without sending a command) until the writer has recovered on its own.
  bool waitWritable() {
    for (int i = 0; i < 500; ++i) {
      if (engine->storageHealth().writable) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    return false;
  }
};

void faultEpisode(Fault kind) {
  Fixture f;
  f.open();
  auto a = f.create("before");
  REQUIRE(a.ok());
  REQUIRE(a.token);
  const std::string tokenA = *a.token;
  const std::string id = a.integration->id;
  const uint64_t seqBefore = f.engine->lastSeq();
  const size_t tokensBefore = f.engine->tokenCount();

  f.fs->fault = kind;
  // The batch that meets the fault, and every one after it, is unavailable and changes nothing.
  auto failedCreate = f.create("during", idemKey("k1", "create during"));
  CHECK(failedCreate.code == Code::unavailable);
  CHECK(failedCreate.message.find("storage is unavailable") != std::string::npos);
  CHECK_FALSE(failedCreate.token);
  auto failedRotate = f.rotate(id, 1);
  CHECK(failedRotate.code == Code::unavailable);
  auto health = f.engine->storageHealth();
  CHECK_FALSE(health.writable);
  CHECK(health.failures == 1);
  CHECK_FALSE(health.error.empty());
  CHECK(f.engine->lastSeq() == seqBefore);
  CHECK(f.engine->tokenCount() == tokensBefore);
  // Memory and reads go on: the token verifies, the view is the one before the fault.
  CHECK(f.engine->verify(tokenA).active);
  auto view = f.engine->integration("acme", id);
  REQUIRE(view);
  CHECK(view->version == 1);
  // A command that appends nothing is answered as usual (no rotation pending: conflict).
  auto cancel = f.engine->execute(command("acme", adminActor("acme"), cmd::CancelRotation{id}));
  CHECK(cancel.code == Code::conflict);
  // One episode, however many commands meet it.
  CHECK(f.create("again").code == Code::unavailable);
  CHECK(f.engine->storageHealth().failures == 1);
  CHECK(f.transitions(cmd::StorageTransition::failed) == 1);

  // The writer keeps trying while the fault lasts (its reopen fails) and stays degraded.
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CHECK_FALSE(f.engine->storageHealth().writable);
  CHECK(f.transitions(cmd::StorageTransition::recovered) == 0);

  // The fault goes away: the writer recovers by itself, without a command or a restart.
  f.fs->fault = Fault::none;
  REQUIRE(f.waitWritable());
  CHECK(f.transitions(cmd::StorageTransition::recovered) == 1);
  CHECK(f.engine->verify(tokenA).active);
  // The stream version and the sequence did not move: If-Match 1 holds, the next seq follows.
  auto rotated = f.rotate(id, 1);
  REQUIRE(rotated.ok());
  CHECK(rotated.version == 2);
  CHECK(rotated.firstSeq == seqBefore + 1);
  // The idempotency record of the failed create was never written: the key is fresh.
  auto retried = f.create("during", idemKey("k1", "create during"));
  REQUIRE(retried.ok());
  CHECK_FALSE(retried.replayed);
  CHECK(retried.token);
  CHECK(f.engine->verify(tokenA).active);  // previous token, inside the rotation window
  CHECK(f.engine->verify(*rotated.token).active);
  CHECK(memoryDiffersFromLog(*f.engine, {tokenA, *rotated.token, *retried.token}) == std::nullopt);

  // The log holds exactly the acknowledged events and verifies; so after a restart.
  const uint64_t last = f.engine->lastSeq();
  CHECK(last == seqBefore + 2);
  f.engine->stop();
  CHECK(storeProblem(f.engine->store()) == std::nullopt);
  f.engine.reset();
  f.open();
  CHECK(f.engine->lastSeq() == last);
  CHECK(f.engine->verify(*retried.token).active);
  CHECK(storeProblem(f.engine->store()) == std::nullopt);
}

}  // namespace

TEST_CASE("storage fault: a full disk answers unavailable, changes nothing, and recovers alone") {
  faultEpisode(Fault::noSpace);
}

TEST_CASE("storage fault: a read-only file system (a fatal error to RocksDB) recovers too") {
  faultEpisode(Fault::readOnly);
}

TEST_CASE("storage fault: a failed background flush is noticed without a command") {
  Fixture f;
  f.open();
  REQUIRE(f.create("one").ok());
  f.fs->fault = Fault::noSpace;
  // A flush writes a table file: it fails in the background and RocksDB keeps the error.
  auto& store = const_cast<ev::Store&>(f.engine->store());
  auto s = store.db().Flush(rocksdb::FlushOptions(), store.family(ev::keys::Family::events));
  CHECK_FALSE(s.ok());
  bool noticed = false;
  for (int i = 0; i < 200 && !noticed; ++i) {
    noticed = !f.engine->storageHealth().writable;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  CHECK(noticed);
  CHECK(f.create("two").code == Code::unavailable);
  f.fs->fault = Fault::none;
  REQUIRE(f.waitWritable());
  REQUIRE(f.create("three").ok());
  CHECK(f.engine->lastSeq() == 2);
  f.engine->stop();
  CHECK(storeProblem(f.engine->store()) == std::nullopt);
}

TEST_CASE("storage fault: many episodes under concurrent commands lose nothing acknowledged") {
  Fixture f;
  f.open();
  std::atomic<bool> done{false};
  // A fault that starts between a batch's WAL append and its fsync leaves a batch that is in
  // the log but answered "may have been applied": counted apart, as a client would treat it.
  std::atomic<uint64_t> acknowledged{0}, unavailable{0}, maybeApplied{0}, other{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 3; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !done; ++i) {
        auto r = f.create("c" + std::to_string(t) + "-" + std::to_string(i));
        if (r.ok()) {
          ++acknowledged;
        } else if (r.code == Code::unavailable &&
                   r.message.find("may have been applied") != std::string::npos) {
          ++maybeApplied;
        } else if (r.code == Code::unavailable) {
          ++unavailable;
        } else {
          ++other;
        }
      }
    });
  }
  for (int episode = 0; episode < 6; ++episode) {
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    f.fs->fault = episode % 2 ? Fault::readOnly : Fault::noSpace;
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    f.fs->fault = Fault::none;
    REQUIRE(f.waitWritable());
  }
  done = true;
  for (auto& c : clients) c.join();
  CHECK(other == 0);
  CHECK(unavailable > 0);
  // Every create is one event: the log holds every acknowledged one, nothing answered plainly
  // unavailable, and memory equals the log.
  CHECK(f.engine->lastSeq() >= acknowledged.load());
  CHECK(f.engine->lastSeq() <= acknowledged.load() + maybeApplied.load());
  CHECK(f.engine->tokenCount() == f.engine->lastSeq());
  f.engine->stop();
  CHECK(storeProblem(f.engine->store()) == std::nullopt);
}

TEST_CASE("storage fault: a failed fsync answers 'may have been applied', then memory catches up") {
  Fixture f;
  f.open();
  REQUIRE(f.create("one").ok());
  f.fs->fault = Fault::syncOnly;
  auto maybe = f.create("two", idemKey("k2", "create two"));
  CHECK(maybe.code == Code::unavailable);
  CHECK(maybe.message.find("may have been applied") != std::string::npos);
  CHECK(f.engine->lastSeq() == 1);
  f.fs->fault = Fault::none;
  REQUIRE(f.waitWritable());
  // The WAL record was whole: the reopened log holds the batch, and memory follows it.
  CHECK(f.engine->lastSeq() == 2);
  CHECK(f.engine->tokenCount() == 2);
  // The same Idempotency-Key tells the client the outcome.
  auto replay = f.create("two", idemKey("k2", "create two"));
  REQUIRE(replay.ok());
  CHECK(replay.replayed);
  auto next = f.create("three");
  REQUIRE(next.ok());
  CHECK(next.firstSeq == 3);
  CHECK(memoryDiffersFromLog(*f.engine, {*next.token}) == std::nullopt);
  f.engine->stop();
  CHECK(storeProblem(f.engine->store()) == std::nullopt);
}

// Pipelining: the writer decides the next batch while the previous one is being fsynced. What it
// decided on top of an undurable batch must be invisible until durable, and fail with it.
TEST_CASE("pipeline: a batch decided during the previous one's fsync builds on it, unseen by "
          "readers until each is durable") {
  Fixture f;
  f.open();
  auto a = f.create("one");
  REQUIRE(a.ok());
  const std::string t1 = *a.token, id = a.integration->id;

  f.fs->gate.hold();
  auto rotate = std::async(std::launch::async, [&] { return f.rotate(id, 1); });
  f.fs->gate.waitEntered();  // the rotation's batch is in its fsync
  // Valid only on top of the rotation (version 2, a rotation pending); a new permission stream.
  auto cancel = command("acme", adminActor("acme"), cmd::CancelRotation{id});
  cancel.ifMatch = cmd::IfMatch{false, {2}};
  auto cancelled = f.submitTaken(std::move(cancel));
  auto granted =
      f.submitTaken(command("acme", adminActor("acme"), cmd::SetPermission{"bob", true}));
  // Nothing of either batch is visible while the first is not durable.
  CHECK(f.engine->lastSeq() == 1);
  CHECK(f.engine->integration("acme", id)->version == 1);
  CHECK(f.engine->integrationEvents("acme", id).size() == 1);
  CHECK(f.engine->audit("acme", 0, 100, std::nullopt, std::nullopt).events.size() == 1);
  CHECK_FALSE(f.engine->permission("acme", "bob").recorded);
  CHECK(f.engine->tokenCount() == 1);
  f.fs->gate.release();

  auto r = rotate.get();
  REQUIRE(r.ok());
  CHECK(r.version == 2);
  auto c = cancelled.get();
  REQUIRE(c.ok());
  CHECK(c.version == 3);
  CHECK(c.firstSeq == 3);
  auto g = granted.get();
  REQUIRE(g.ok());
  CHECK(g.version == 1);
  CHECK(g.firstSeq == 4);
  CHECK(f.engine->lastSeq() == 4);
  CHECK(f.engine->verify(t1).active);        // current again
  CHECK_FALSE(f.engine->verify(*r.token).active);  // cancelled
  CHECK(f.engine->permission("acme", "bob").recorded == std::optional<bool>(true));
  f.engine->stop();
  CHECK(storeProblem(f.engine->store()) == std::nullopt);
}

TEST_CASE("pipeline: a retried key whose integration changed while its first request was being "
          "made durable answers with the view the first request left") {
  Fixture f;
  f.open();
  auto a = f.create("one");
  REQUIRE(a.ok());
  const std::string id = a.integration->id;
  auto keyedRotate = [&] {
    auto c = command("acme", adminActor("acme"), cmd::RotateToken{id, cmd::ExpireMode::later});
    c.idempotency = idemKey("k1", "rotate one");
    return c;
  };

  f.fs->gate.hold();
  auto first = std::async(std::launch::async, [&] { return f.engine->execute(keyedRotate()); });
  f.fs->gate.waitEntered();  // the rotation (version 2) is in its fsync
  // Decided on top of it: a change (version 3), then the retry, whose integration is no longer
  // at the version its first request left, and whose events are not yet in the log.
  auto edited = f.submitTaken(command(
      "acme", adminActor("acme"), cmd::EditIntegration{id, std::string("renamed"), {}, {}}));
  auto retried = f.submitTaken(keyedRotate());
  f.fs->gate.release();

  auto r = first.get();
  REQUIRE(r.ok());
  REQUIRE(r.version == 2);
  REQUIRE(edited.get().ok());
  auto again = retried.get();
  REQUIRE(again.ok());
  CHECK(again.replayed);
  CHECK(again.version == 2);
  REQUIRE(again.integration);
  CHECK(again.integration->version == 2);
  CHECK(again.integration->name == "one");
  CHECK(again.integration->tokens == r.integration->tokens);
  CHECK_FALSE(again.token);  // a replay never shows the token again
}

TEST_CASE("pipeline: a failed fsync fails the batch decided on top of it (even one that appends "
          "nothing), and memory stays at the last durable batch") {
  Fixture f;
  f.open();
  REQUIRE(f.create("one").ok());
  const uint64_t seqBefore = f.engine->lastSeq();

  f.fs->gate.hold();
  auto two = std::async(std::launch::async,
                        [&] { return f.create("two", idemKey("k2", "create two")); });
  f.fs->gate.waitEntered();
  // The same request again, decided while "two" is in its fsync: a replay of an undurable
  // command, alone in its batch (which appends nothing, so only the failure of the batch below
  // it can stop it), must never be answered as a success.
  auto again = command("acme", adminActor("acme"), createAction("two"));
  again.idempotency = idemKey("k2", "create two");
  auto replay = f.submitTaken(std::move(again));
  f.fs->fault = Fault::syncOnly;
  f.fs->gate.release();

  auto r2 = two.get();
  CHECK(r2.code == Code::unavailable);
  CHECK(r2.message.find("may have been applied") != std::string::npos);
  auto rr = replay.get();
  CHECK(rr.code == Code::unavailable);
  CHECK_FALSE(rr.replayed);
  CHECK_FALSE(rr.integration);
  CHECK(rr.message.find("not applied") != std::string::npos);
  // Memory is the last durable batch's.
  CHECK(f.engine->lastSeq() == seqBefore);
  CHECK(f.engine->tokenCount() == 1);
  CHECK_FALSE(f.engine->permission("acme", "bob").recorded);
  CHECK(f.engine->storageHealth().failures == 1);

  f.fs->fault = Fault::none;
  REQUIRE(f.waitWritable());
  // "two" reached the WAL whole and comes back.
  CHECK(f.engine->lastSeq() == seqBefore + 1);
  CHECK(f.engine->tokenCount() == 2);
  auto replayed = f.create("two", idemKey("k2", "create two"));
  REQUIRE(replayed.ok());
  CHECK(replayed.replayed);
  auto next = f.engine->execute(command("acme", adminActor("acme"), cmd::SetPermission{"bob", true}));
  REQUIRE(next.ok());
  CHECK(next.firstSeq == seqBefore + 2);
  CHECK(next.version == 1);
  f.engine->stop();
  CHECK(storeProblem(f.engine->store()) == std::nullopt);
}

// The review's case: the fsync of a DELETE fails after its WAL record is whole; the writer's
// reopen falls back to a read-only open, which shows the delete; a command refused meanwhile
// restarted the decision state from that open. Memory must still catch up with the log once the
// read-write reopen succeeds: the deleted integration's token goes inactive at once.
TEST_CASE("storage fault: after a failed fsync and commands refused during the read-only "
          "fallback, memory catches up with the log (a deleted token goes inactive)") {
  Fixture f;
  f.open();
  auto a = f.create("one");
  REQUIRE(a.ok());
  const std::string t1 = *a.token, id = a.integration->id;
  auto keyedDelete = [&] {
    auto c = command("acme", adminActor("acme"), cmd::DeleteIntegration{id});
    c.idempotency = idemKey("kd", "delete one");
    return c;
  };

  f.fs->fault = Fault::syncOnly;
  auto deleted = f.engine->execute(keyedDelete());
  CHECK(deleted.code == Code::unavailable);
  CHECK(deleted.message.find("may have been applied") != std::string::npos);
  REQUIRE(f.waitReadOnlyFallback());
  // The retry is not answered from the WAL record whose fsync failed: not known durable.
  auto retried = f.engine->execute(keyedDelete());
  CHECK(retried.code == Code::unavailable);
  CHECK_FALSE(retried.replayed);
  // Nor is anything else decided on it (the delete would make this a 404).
  auto edit = f.engine->execute(
      command("acme", adminActor("acme"), cmd::EditIntegration{id, std::string("x"), {}, {}}));
  CHECK(edit.code == Code::unavailable);
  CHECK(f.create("two").code == Code::unavailable);
  CHECK(f.engine->verify(t1).active);  // memory: the last durable batch's
  CHECK(f.engine->lastSeq() == 1);

  f.fs->fault = Fault::none;
  REQUIRE(f.waitWritable());
  CHECK(f.engine->lastSeq() == 2);
  CHECK_FALSE(f.engine->verify(t1).active);
  CHECK(memoryDiffersFromLog(*f.engine, {t1}) == std::nullopt);
  auto replayed = f.engine->execute(keyedDelete());
  REQUIRE(replayed.ok());
  CHECK(replayed.replayed);
  auto three = f.create("three");
  REQUIRE(three.ok());
  CHECK(three.firstSeq == 3);
  f.engine->stop();
  CHECK(storeProblem(f.engine->store()) == std::nullopt);
}

// The same with a rotation: the window the failed-fsync batch opened must close on time.
TEST_CASE("storage fault: a rotation whose fsync failed comes back with its deadline") {
  Fixture f;
  f.open();
  auto a = f.create("one");
  REQUIRE(a.ok());
  const std::string t1 = *a.token, id = a.integration->id;
  f.fs->fault = Fault::syncOnly;
  CHECK(f.rotate(id, 1).code == Code::unavailable);
  REQUIRE(f.waitReadOnlyFallback());
  CHECK(f.create("two").code == Code::unavailable);
  f.fs->fault = Fault::none;
  REQUIRE(f.waitWritable());
  CHECK(f.engine->lastSeq() == 2);
  CHECK(f.engine->nextDeadline() == kT0 + 10'000);
  CHECK(memoryDiffersFromLog(*f.engine, {t1}) == std::nullopt);
}

// The systematic check: episodes of every kind (a full disk, a read-only file system, a failed
// fsync) under concurrent commands of every shape, keyed retries included; after each one,
// memory equals a replay of the log for every token ever issued.
TEST_CASE("storage fault: after every episode (ENOSPC, EROFS, fsync EIO) memory equals a replay "
          "of the log") {
  Fixture f;
  f.open();
  std::mutex issuedMu;
  std::vector<std::string> issued;
  auto keep = [&](const cmd::CommandResult& r) {
    if (!r.token) return;
    std::lock_guard lock(issuedMu);
    issued.push_back(*r.token);
  };
  std::atomic<uint64_t> other{0};
  const Fault kinds[] = {Fault::syncOnly, Fault::noSpace, Fault::syncOnly, Fault::readOnly,
                         Fault::syncOnly};
  for (int episode = 0; episode < 5; ++episode) {
    std::atomic<bool> done{false};
    std::vector<std::thread> clients;
    for (int t = 0; t < 3; ++t) {
      clients.emplace_back([&, t] {
        std::string id;
        for (int i = 0; !done; ++i) {
          const std::string key = "e" + std::to_string(episode) + "c" + std::to_string(t) + "i" +
                                  std::to_string(i / 2);  // every command is sent twice
          cmd::Command c;
          if (id.empty()) {
            c = command("acme", adminActor("acme"), createAction("c" + std::to_string(t)));
          } else if (i % 6 < 4) {
            c = command("acme", adminActor("acme"), cmd::RotateToken{id, cmd::ExpireMode::later});
          } else {
            c = command("acme", adminActor("acme"), cmd::DeleteIntegration{id});
          }
          c.idempotency = idemKey(key, key);
          auto r = f.engine->execute(std::move(c));
          keep(r);
          if (r.ok() && r.integration) id = r.integration->deleted ? "" : r.integration->id;
          if (!r.ok() && r.code != Code::unavailable && r.code != Code::conflict &&
              r.code != Code::notFound) {
            ++other;
          }
          f.clock.advance(1);
        }
      });
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(30));
    f.fs->fault = kinds[episode];
    std::this_thread::sleep_for(std::chrono::milliseconds(60));
    f.fs->fault = Fault::none;
    REQUIRE(f.waitWritable());
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    done = true;
    for (auto& c : clients) c.join();
    INFO("episode " << episode);
    CHECK(memoryDiffersFromLog(*f.engine, issued) == std::nullopt);
  }
  CHECK(other == 0);
  CHECK(f.engine->storageHealth().failures == 5);
  f.engine->stop();
  CHECK(storeProblem(f.engine->store()) == std::nullopt);
}

// A retry decided in the same batch as its first request, after a change to the same integration
// in that batch, answers with the view its first request left (none of the batch is in the log).
TEST_CASE("pipeline: a retry in the same batch as its first request and a later change answers "
          "with the view the first request left") {
  Fixture f;
  f.open();
  auto a = f.create("one");
  REQUIRE(a.ok());
  const std::string id = a.integration->id;
  auto keyedEdit = [&] {
    auto c = command("acme", adminActor("acme"),
                     cmd::EditIntegration{id, std::string("keyed"), {}, {}});
    c.idempotency = idemKey("ke", "edit keyed");
    return c;
  };

  f.fs->gate.hold();
  auto busy = std::async(std::launch::async, [&] { return f.create("other"); });
  f.fs->gate.waitEntered();  // a batch in its fsync: the next three gather into one batch
  auto first = f.submitTaken(keyedEdit());
  auto unkeyed = f.submitTaken(command(
      "acme", adminActor("acme"), cmd::EditIntegration{id, std::string("unkeyed"), {}, {}}));
  auto retried = f.submitTaken(keyedEdit());
  f.fs->gate.release();

  REQUIRE(busy.get().ok());
  auto r = first.get();
  REQUIRE(r.ok());
  REQUIRE(r.version == 2);
  REQUIRE(unkeyed.get().version == 3);
  auto again = retried.get();
  REQUIRE(again.ok());
  CHECK(again.replayed);
  CHECK(again.version == 2);
  REQUIRE(again.integration);
  CHECK(again.integration->version == 2);
  CHECK(again.integration->name == "keyed");
  // Once durable, a retry is answered from the log: the same view.
  auto later = f.engine->execute(keyedEdit());
  REQUIRE(later.ok());
  CHECK(later.replayed);
  REQUIRE(later.integration);
  CHECK(later.integration->version == 2);
  CHECK(later.integration->name == "keyed");
}

// Revocation by value must not tell a known token from an unknown one, during a fault either: a
// revocation that appends nothing still needs its synced write (Engine::Decided::revocation), so
// both are answered unavailable, whichever meets the fault first, and both work once it is gone.
TEST_CASE("storage fault: revoking an unknown token is unavailable as revoking a valid one is") {
  const bool unknownFirst = GENERATE(true, false);
  Fixture f;
  f.open();
  auto a = f.create("leaky");
  REQUIRE(a.ok());
  const std::string token = *a.token;
  const std::string unknown = cmd::generateToken().plaintext;
  auto revoke = [&](const std::string& t) {
    cmd::Command c;
    c.actor = cmd::revocationActor();
    c.action = cmd::RevokeTokens{{ev::sha256(t)}, std::nullopt};
    return f.engine->execute(std::move(c));
  };
  const uint64_t seqBefore = f.engine->lastSeq();

  f.fs->fault = Fault::noSpace;
  INFO((unknownFirst ? "the unknown token meets the fault first" : "the valid token first"));
  auto first = revoke(unknownFirst ? unknown : token);
  auto second = revoke(unknownFirst ? token : unknown);
  CHECK(first.code == Code::unavailable);
  CHECK(second.code == Code::unavailable);
  CHECK(f.engine->lastSeq() == seqBefore);
  CHECK(f.engine->verify(token).active);

  f.fs->fault = Fault::none;
  REQUIRE(f.waitWritable());
  CHECK(revoke(unknown).ok());
  CHECK(f.engine->lastSeq() == seqBefore);
  CHECK(revoke(token).ok());
  CHECK(f.engine->lastSeq() == seqBefore + 1);
  CHECK_FALSE(f.engine->verify(token).active);
}
