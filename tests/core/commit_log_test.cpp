// The engine's log seam (commit_log.h) with a fake replicated log: a vector of commits and a
// position, shared by two engines on their own data dirs, as two nodes share a stream. A node
// whose commit loses the race for the log's next position catches up with the other node's
// commits (their events and idempotency records) and decides the same commands again, so that
// exactly one of two conflicting commands wins, a key replays across nodes, and both logs are one.
#include <catch2/catch.hpp>

#include <mutex>

#include "commands/commit_log.h"
#include "core_support.h"
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
