// The engine's writer on a JetStream log where every node runs the scheduler and commands come
// in bursts: the stream's fence makes a lost race harmless (the loser decides again and finds
// nothing to expire, so no Expired is written twice), and a burst of large commands is cut into
// commits the stream takes (never one over kMaxCommitBytes, which the publisher refuses).
#include <atomic>
#include <catch2/catch.hpp>
#include <future>
#include <map>
#include <thread>

#include "cluster/commit_codec.h"
#include "cluster/commit_reader.h"
#include "cluster/commit_stream.h"
#include "core_support.h"
#include "support/cluster_engine.h"
#include "support/cluster_fixture.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using pitlog::testing::ClusterEngine;
using pitlog::testing::eventually;
using pitlog::testing::NatsCluster;
using pitlog::testing::TempDir;

namespace {

constexpr const char* kStream = "PITLOG_SCHED";
constexpr const char* kAcct = "acct-1";
constexpr int64_t kWindowMs = 10'000;

ClusterEngine node(const NatsCluster& nats, const std::string& name, const std::string& dir,
                   const FakeClock& clock) {
  return ClusterEngine(pitlog::testing::clusterOptions(nats, name, kStream),
                       engineOptions(dir, clock, kWindowMs));
}

commands::Command admin(commands::Action action) {
  return command(kAcct, adminActor(kAcct), std::move(action));
}

uint64_t streamLast(const NatsCluster& nats) {
  cluster::NatsConnection conn(pitlog::testing::connectOptions(nats.urls()));
  return cluster::streamLastSequence(conn, kStream);
}

}  // namespace

TEST_CASE("the scheduler runs on two nodes at once and no Expired is written twice",
          "[cluster-scheduler]") {
  TempDir dir("pitlog-cluster-scheduler");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  ClusterEngine a = node(nats, "a", dir.sub("a"), clock);
  ClusterEngine b = node(nats, "b", dir.sub("b"), clock);

  // Rotations whose windows end together, some started on each node.
  constexpr int kIntegrations = 6;
  std::vector<std::string> ids;
  for (int i = 0; i < kIntegrations; ++i) {
    auto& on = i % 2 == 0 ? a : b;
    auto created = on.engine->execute(admin(createAction("n" + std::to_string(i))));
    REQUIRE(created.ok());
    ids.push_back(created.integration->id);
    REQUIRE(
        on.engine->execute(admin(commands::RotateToken{ids.back(), commands::ExpireMode::later}))
            .ok());
  }
  auto caughtUp = [&](const ClusterEngine& n) {
    return eventually([&] { return n.engine->appliedPosition() == streamLast(nats); });
  };
  REQUIRE(caughtUp(a));
  REQUIRE(caughtUp(b));

  // Past the window: both schedulers find every expiry due at the same position and race.
  clock.advance(kWindowMs + 1);
  size_t dueA = 0, dueB = 0;
  std::atomic<int> ready{0};
  auto together = [&] {
    ++ready;
    while (ready < 2) std::this_thread::yield();
  };
  std::thread ta([&] { together(), dueA = a.engine->scheduleDueExpiries(); });
  std::thread tb([&] { together(), dueB = b.engine->scheduleDueExpiries(); });
  ta.join();
  tb.join();
  // The first to look finds all of them due; the other too, unless the first one's Expired
  // events reached it already.
  CHECK(std::max(dueA, dueB) == size_t(kIntegrations));
  // A command queued after the expiries is answered after them (a lost race goes first).
  REQUIRE(a.engine->execute(admin(createAction("marker a"))).ok());
  REQUIRE(b.engine->execute(admin(createAction("marker b"))).ok());
  REQUIRE(caughtUp(a));
  REQUIRE(caughtUp(b));
  CHECK(a.engine->scheduleDueExpiries() == 0);
  CHECK(b.engine->scheduleDueExpiries() == 0);
  a.engine->stop();
  b.engine->stop();

  std::map<std::string, int> expired;  // stream id -> Expired events
  for (const auto& e : allEvents(a.engine->store())) {
    if (e.reader().getBody().isExpired()) ++expired[std::string(e.reader().getStreamId().cStr())];
  }
  REQUIRE(expired.size() == size_t(kIntegrations));
  for (const auto& id : ids) {
    INFO("integration " << id);
    CHECK(expired[id] == 1);
  }
  CHECK(a.engine->store().chainHead() == b.engine->store().chainHead());
  CHECK(storeProblem(a.engine->store()) == std::nullopt);
  CHECK(storeProblem(b.engine->store()) == std::nullopt);
}

TEST_CASE("a burst of large commands on a JetStream node is written in commits the stream takes",
          "[cluster-scheduler]") {
  TempDir dir("pitlog-cluster-burst");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  ClusterEngine a = node(nats, "a", dir.sub("a"), clock);

  // 800 creates of about 1.4 KB of events each: over four times kMaxCommitBytes at once.
  constexpr int kCommands = 800;
  const std::string description(1000, 'd');
  std::vector<std::future<commands::CommandResult>> answers;
  for (int i = 0; i < kCommands; ++i) {
    auto promise = std::make_shared<std::promise<commands::CommandResult>>();
    answers.push_back(promise->get_future());
    a.engine->submit(
        admin(createAction("n" + std::to_string(i), {"contacts.readonly"}, description)),
        [promise](commands::CommandResult r) { promise->set_value(std::move(r)); });
  }
  int ok = 0;
  for (auto& answer : answers) ok += answer.get().ok() ? 1 : 0;
  CHECK(ok == kCommands);
  a.engine->stop();

  // Every commit decodes (decodeCommit refuses one over kMaxCommitBytes) and they hold the log.
  cluster::NatsConnection conn(pitlog::testing::connectOptions(nats.urls()));
  const uint64_t last = cluster::streamLastSequence(conn, kStream);
  cluster::CommitReader reader(conn, kStream, 0);
  uint64_t events = 0;
  for (const auto& c : pitlog::testing::readUntil(reader, last)) {
    std::string error;
    auto commit = cluster::decodeCommit(c.bytes, &error);
    INFO("commit " << c.seq << ": " << error);
    REQUIRE(commit);
    events += commit->events.size();
  }
  CHECK(events == a.engine->lastSeq());
  CHECK(a.engine->appliedPosition() == last);
  CHECK(storeProblem(a.engine->store()) == std::nullopt);
}
