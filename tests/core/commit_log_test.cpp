// The engine's log seam (commit_log.h) with a fake replicated log: a vector of commits and a
// position, shared by two engines on their own data dirs, as two nodes share a stream. A node
// whose commit loses the race for the log's next position catches up with the other node's
// commits (their events and idempotency records) and decides the same commands again, so that
// exactly one of two conflicting commands wins, a key replays across nodes, and both logs are one.
#include <catch2/catch.hpp>

#include <chrono>
#include <mutex>
#include <thread>

#include "commands/commit_log.h"
#include "core_support.h"
#include "events/merkle_store.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::Code;
using pitlog::testing::TempDir;

namespace {

constexpr std::string_view kPositionKey = "fake_log_position";

// The log both nodes append to: commits in order, position = their count.
struct FakeLogState {
  std::mutex mu;
  std::vector<commands::Commit> commits;
  std::vector<std::string> msgIds;
  int conflicts = 0;
  int unavailableNext = 0;  // the next appends answer LogUnavailable (after storing, if `stores`)
};

class FakeLog : public commands::CommitLog {
 public:
  explicit FakeLog(std::shared_ptr<FakeLogState> state) : state_(std::move(state)) {}
  uint64_t appliedPosition(const events::Store& store) const override {
    auto v = store.get(events::keys::Family::meta, kPositionKey);
    return v ? events::keys::readFixed64(*v).value_or(0) : 0;
  }
  void recordPosition(const events::Store& store, rocksdb::WriteBatch& batch,
                      uint64_t position) const override {
    batch.Put(store.family(events::keys::Family::meta),
              rocksdb::Slice(kPositionKey.data(), kPositionKey.size()),
              events::keys::fixed64(position));
  }
  uint64_t positionAfter(uint64_t expected, const commands::Commit&) const override {
    return expected + 1;
  }
  commands::AppendOutcome append(const commands::Commit& commit, uint64_t expected,
                                 const std::string& msgId) override {
    std::lock_guard lock(state_->mu);
    for (size_t i = 0; i < state_->msgIds.size(); ++i) {
      if (state_->msgIds[i] == msgId) return commands::Appended{i + 1};  // a retry
    }
    if (state_->unavailableNext > 0) {
      --state_->unavailableNext;
      return commands::LogUnavailable{"no answer from the fake log"};
    }
    if (expected != state_->commits.size()) {
      ++state_->conflicts;
      return commands::Conflict{"wrong last sequence: " + std::to_string(state_->commits.size())};
    }
    state_->commits.push_back(commit);
    state_->msgIds.push_back(msgId);
    return commands::Appended{state_->commits.size()};
  }
  std::vector<commands::PositionedCommit> readAfter(uint64_t position, size_t max) override {
    std::lock_guard lock(state_->mu);
    std::vector<commands::PositionedCommit> out;
    for (uint64_t p = position + 1; p <= state_->commits.size() && out.size() < max; ++p) {
      out.push_back({p, state_->commits[p - 1]});
    }
    return out;
  }

 private:
  std::shared_ptr<FakeLogState> state_;
};

struct Node {
  std::unique_ptr<commands::Engine> engine;
  Node(const std::string& dir, const FakeClock& clock, std::shared_ptr<FakeLogState> log,
       const std::string& name) {
    auto options = engineOptions(dir, clock);
    options.nodeName = name;
    options.log = [log](const events::Store&) { return std::make_unique<FakeLog>(log); };
    engine = commands::Engine::open(std::move(options));
  }
};

constexpr const char* kAcct = "acct-1";

commands::Command keyed(commands::Command c, const std::string& key) {
  c.idempotency = idemKey(key, "the same request");
  return c;
}

}  // namespace

TEST_CASE("fake log: a node that lost the race catches up and decides again - one log and one chain",
          "[commit_log]") {
  TempDir dir("pitlog-core-commit-log");
  FakeClock clock;
  auto log = std::make_shared<FakeLogState>();
  Node a(dir.sub("a"), clock, log, "a"), b(dir.sub("b"), clock, log, "b");

  auto created = a.engine->execute(command(kAcct, adminActor(kAcct), createAction("first")));
  REQUIRE(created.ok());
  const std::string id = created.integration->id;

  // B decided at position 0, the log is at 1: conflict, catch-up, decided again, appended at 2.
  auto second = b.engine->execute(command(kAcct, adminActor(kAcct), createAction("second")));
  REQUIRE(second.ok());
  CHECK(log->conflicts == 1);
  CHECK(second.firstSeq == 2);
  CHECK(b.engine->appliedPosition() == 2);
  CHECK(b.engine->integration(kAcct, id));  // A's commit is applied on B
  CHECK(b.engine->tokenCount() == 2);       // and its token is in B's memory

  // The same If-Match on both nodes: A (a commit behind) loses the race, catches up with B's
  // create, still matches version 1 and wins; B, which decided on version 1 too, loses, and
  // deciding again on version 2 answers versionMismatch (412).
  auto edit = [&](const std::string& name) {
    commands::EditIntegration e;
    e.integrationId = id;
    e.name = name;
    auto c = command(kAcct, adminActor(kAcct), e);
    c.ifMatch = commands::IfMatch{false, {1}};
    return c;
  };
  auto onA = a.engine->execute(edit("edited on a"));
  REQUIRE(onA.ok());
  CHECK(onA.version == 2);
  auto onB = b.engine->execute(edit("edited on b"));
  CHECK(onB.code == Code::versionMismatch);
  CHECK(b.engine->integration(kAcct, id)->name == "edited on a");

  // rotate later on both nodes: one issues a token, the other (deciding again after the first)
  // finds the rotation pending (409).
  auto rotateA = a.engine->execute(command(kAcct, adminActor(kAcct), commands::RotateToken{id}));
  REQUIRE(rotateA.ok());
  REQUIRE(rotateA.token);
  auto rotateB = b.engine->execute(command(kAcct, adminActor(kAcct), commands::RotateToken{id}));
  CHECK(rotateB.code == Code::conflict);
  CHECK_FALSE(rotateB.token);

  // The same Idempotency-Key on both nodes: one outcome, the other a replay of it.
  auto first = a.engine->execute(keyed(command(kAcct, adminActor(kAcct), createAction("k")), "K1"));
  REQUIRE(first.ok());
  auto replay = b.engine->execute(keyed(command(kAcct, adminActor(kAcct), createAction("k")), "K1"));
  REQUIRE(replay.ok());
  CHECK(replay.replayed);
  CHECK(replay.integration->id == first.integration->id);
  CHECK_FALSE(replay.token);

  // One log: both nodes at the same position hold the same events and chain head, and each
  // node's views equal a replay of its log.
  auto bump = a.engine->execute(command(kAcct, adminActor(kAcct), createAction("last")));
  REQUIRE(bump.ok());
  a.engine->stop();
  REQUIRE(b.engine->execute(command(kAcct, adminActor(kAcct), commands::CancelRotation{id})).ok());
  b.engine->stop();
  // B's cancel came last (decided again after applying A's last create): A is one commit behind.
  CHECK(b.engine->lastSeq() == a.engine->lastSeq() + 1);
  const auto eventsA = allEvents(a.engine->store()), eventsB = allEvents(b.engine->store());
  REQUIRE(eventsA.size() + 1 == eventsB.size());
  for (size_t i = 0; i < eventsA.size(); ++i) CHECK(eventsA[i].bytes() == eventsB[i].bytes());
  CHECK(storeProblem(a.engine->store()) == std::nullopt);
  CHECK(storeProblem(b.engine->store()) == std::nullopt);
}

TEST_CASE("fake log: an unreachable log answers unavailable and writes nothing", "[commit_log]") {
  TempDir dir("pitlog-core-commit-log-down");
  FakeClock clock;
  auto log = std::make_shared<FakeLogState>();
  Node a(dir.sub("a"), clock, log, "a");
  log->unavailableNext = 1;
  auto r = a.engine->execute(command(kAcct, adminActor(kAcct), createAction("lost")));
  CHECK(r.code == Code::unavailable);
  CHECK(a.engine->lastSeq() == 0);
  CHECK(log->commits.empty());
  // The log back: the next command is written at the position it was decided at.
  auto ok = a.engine->execute(command(kAcct, adminActor(kAcct), createAction("kept")));
  REQUIRE(ok.ok());
  CHECK(ok.firstSeq == 1);
  CHECK(a.engine->appliedPosition() == 1);
}

namespace {

// A fake log that also follows: the test hands commits to the engine's follower callback, as the
// JetStream follower does from its own thread.
class FollowedFakeLog : public FakeLog {
 public:
  FollowedFakeLog(std::shared_ptr<FakeLogState> state, commands::CommitLog::Deliver* deliver)
      : FakeLog(std::move(state)), deliver_(deliver) {}
  void follow(uint64_t, Deliver deliver) override { *deliver_ = std::move(deliver); }
  void stopFollowing() override { *deliver_ = nullptr; }

 private:
  commands::CommitLog::Deliver* deliver_;
};

// Every complete node of the first `size` leaves, and every tree head up to `size`, from two
// stores' merkle families: equal, and equal to the tree rebuilt from the first store's events.
void requireSameTree(const ev::Store& a, const ev::Store& b, uint64_t size) {
  namespace merkle = ev::merkle;
  merkle::MemoryTree rebuilt;
  for (const auto& e : allEvents(a)) {
    if (rebuilt.size() == size) break;
    rebuilt.append(merkle::eventLeafHash(e.hash()));
  }
  REQUIRE(rebuilt.size() == size);
  ev::StoreNodeSource nodesA(a), nodesB(b);
  for (uint32_t level = 0; (size >> level) > 0; ++level) {
    for (uint64_t index = 0; index < (size >> level); ++index) {
      INFO("node " << level << "/" << index);
      REQUIRE(nodesA.node(level, index) == rebuilt.node(level, index));
      REQUIRE(nodesB.node(level, index) == rebuilt.node(level, index));
    }
  }
  for (uint64_t n = 1; n <= size; ++n) {
    REQUIRE(merkle::treeHead(nodesB, n) == merkle::treeHead(rebuilt, n));
  }
}

}  // namespace

TEST_CASE("fake log: commits applied from the log extend the Merkle tree as the writer's own do",
          "[commit_log][merkle]") {
  TempDir dir("pitlog-core-commit-log-merkle");
  FakeClock clock;
  auto log = std::make_shared<FakeLogState>();
  commands::CommitLog::Deliver deliverToC;
  Node a(dir.sub("a"), clock, log, "a"), b(dir.sub("b"), clock, log, "b");
  // C only follows: every event it holds came through applyCommit.
  auto optionsC = engineOptions(dir.sub("c"), clock);
  optionsC.nodeName = "c";
  optionsC.log = [log, &deliverToC](const events::Store&) {
    return std::make_unique<FollowedFakeLog>(log, &deliverToC);
  };
  auto c = commands::Engine::open(std::move(optionsC));

  // A writes commits of one and of several events (a rotation with expire now writes two or more).
  std::vector<std::string> ids;
  for (int i = 0; i < 7; ++i) {
    auto r = a.engine->execute(command(kAcct, adminActor(kAcct), createAction("app " + std::to_string(i))));
    REQUIRE(r.ok());
    ids.push_back(r.integration->id);
  }
  for (int i = 0; i < 3; ++i) {
    auto r = a.engine->execute(
        command(kAcct, adminActor(kAcct), commands::RotateToken{ids[i], commands::ExpireMode::later}));
    REQUIRE(r.ok());
    r = a.engine->execute(
        command(kAcct, adminActor(kAcct), commands::RotateToken{ids[i], commands::ExpireMode::now}));
    REQUIRE(r.ok());
  }
  const uint64_t writtenByA = a.engine->lastSeq();
  REQUIRE(writtenByA > log->commits.size());  // some commits hold several events

  // B, behind, loses the race: it applies A's commits through applyCommit, then writes its own.
  REQUIRE(b.engine->execute(command(kAcct, adminActor(kAcct), createAction("on b"))).ok());
  CHECK(log->conflicts >= 1);
  REQUIRE(b.engine->lastSeq() > writtenByA);
  // A applies B's commit the same way, then writes on top of it.
  REQUIRE(a.engine->execute(command(kAcct, adminActor(kAcct), createAction("on a again"))).ok());

  // C is handed every commit by its follower, in two deliveries.
  REQUIRE(deliverToC);
  std::vector<commands::PositionedCommit> all = FakeLog(log).readAfter(0, 1000);
  deliverToC({all.begin(), all.begin() + 3});
  deliverToC({all.begin() + 3, all.end()});
  for (int i = 0; i < 500 && c->appliedPosition() < all.size(); ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  REQUIRE(c->appliedPosition() == all.size());

  a.engine->stop();
  b.engine->stop();
  c->stop();
  REQUIRE(c->lastSeq() == a.engine->lastSeq());
  requireSameTree(a.engine->store(), b.engine->store(), b.engine->lastSeq());
  requireSameTree(a.engine->store(), c->store(), c->lastSeq());
  CHECK(storeProblem(c->store()) == std::nullopt);
}
