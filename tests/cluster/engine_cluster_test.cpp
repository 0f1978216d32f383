// Two (or three) engines on their own data dirs sharing one JetStream stream through
// JetStreamCommitLog, as pitd nodes do in cluster mode: the fence makes exactly one of two
// conflicting commands win, an Idempotency-Key replays across nodes, the follower applies the
// other node's commits, and a node started on an empty data dir catches up from the stream.
#include <catch2/catch.hpp>

#include <chrono>
#include <thread>

#include "cluster/commit_stream.h"
#include "cluster/jetstream_commit_log.h"
#include "core_support.h"
#include "events/merkle_store.h"
#include "support/cluster_fixture.h"
#include "support/nats_cluster.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using commands::Code;
using pitlog::testing::NatsCluster;
using pitlog::testing::TempDir;

namespace {

constexpr const char* kStream = "PITLOG_ENGINE";
constexpr const char* kAcct = "acct-1";

struct Node {
  std::unique_ptr<cluster::NatsConnection> conn;
  std::unique_ptr<commands::Engine> engine;
  Node(const NatsCluster& nats, const std::string& dir, const FakeClock& clock,
       const std::string& name,
       std::chrono::milliseconds appendRetryFor = std::chrono::milliseconds(5000)) {
    conn = std::make_unique<cluster::NatsConnection>(
        pitlog::testing::connectOptions(nats.urls(), name));
    auto options = engineOptions(dir, clock);
    options.nodeName = name;
    options.log = [c = conn.get(), appendRetryFor](const events::Store&) {
      cluster::JetStreamLogOptions o;
      o.stream = kStream;
      o.followWait = std::chrono::milliseconds(50);
      o.appendRetryFor = appendRetryFor;
      return std::make_unique<cluster::JetStreamCommitLog>(*c, o);
    };
    engine = commands::Engine::open(std::move(options));
  }
  ~Node() { engine.reset(); }  // the engine (and its follower) before the connection
};

struct Stream {
  NatsCluster nats;
  std::unique_ptr<cluster::NatsConnection> conn;
  explicit Stream(const std::filesystem::path& dir) : nats(dir, 1) {
    conn = std::make_unique<cluster::NatsConnection>(pitlog::testing::connectOptions(nats.urls()));
    cluster::StreamSettings s;
    s.name = kStream;
    s.replicas = 1;
    (void)cluster::ensureStream(*conn, s);
  }
  uint64_t last() const { return cluster::streamLastSequence(*conn, kStream); }
};

// Waits (bounded) until the node has applied the stream's last commit; false if it never does.
bool caughtUp(const Node& node, const Stream& stream) {
  const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < giveUp) {
    if (node.engine->appliedPosition() == stream.last()) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

commands::Command create(const std::string& name) {
  return command(kAcct, adminActor(kAcct), createAction(name));
}

// Both logs hold the same events, gap-free from 1, and each node's views equal a replay.
void requireOneLog(const Node& a, const Node& b) {
  const auto eventsA = allEvents(a.engine->store()), eventsB = allEvents(b.engine->store());
  REQUIRE(eventsA.size() == eventsB.size());
  for (size_t i = 0; i < eventsA.size(); ++i) {
    CHECK(eventsA[i].reader().getSeq() == i + 1);
    CHECK(eventsA[i].bytes() == eventsB[i].bytes());
  }
  CHECK(a.engine->store().chainHead() == b.engine->store().chainHead());
  // The same Merkle tree, whichever node wrote an event and which one applied it from the stream
  // (storeProblem below also compares each node's stored nodes with a rebuild from its events).
  const events::StoreNodeSource treeA(a.engine->store()), treeB(b.engine->store());
  for (uint64_t n = 1; n <= eventsA.size(); ++n) {
    CHECK(events::merkle::treeHead(treeA, n) == events::merkle::treeHead(treeB, n));
  }
  CHECK(storeProblem(a.engine->store()) == std::nullopt);
  CHECK(storeProblem(b.engine->store()) == std::nullopt);
}

}  // namespace

TEST_CASE("two engines on one stream: interleaved creates make one gap-free log and equal chains",
          "[engine-cluster]") {
  TempDir dir("pitlog-cluster-engine-interleaved");
  Stream stream(dir.sub("nats"));
  FakeClock clock;
  Node a(stream.nats, dir.sub("a"), clock, "a"), b(stream.nats, dir.sub("b"), clock, "b");

  constexpr int kEach = 40;
  std::atomic<int> failed{0};
  auto run = [&](Node& node, const std::string& prefix) {
    for (int i = 0; i < kEach; ++i) {
      if (!node.engine->execute(create(prefix + std::to_string(i))).ok()) ++failed;
    }
  };
  std::thread ta([&] { run(a, "a"); }), tb([&] { run(b, "b"); });
  ta.join();
  tb.join();
  CHECK(failed == 0);
  CHECK(stream.last() > 0);
  REQUIRE(caughtUp(a, stream));
  REQUIRE(caughtUp(b, stream));
  CHECK(a.engine->tokenCount() == 2 * kEach);
  CHECK(b.engine->tokenCount() == 2 * kEach);
  a.engine->stop();
  b.engine->stop();
  requireOneLog(a, b);
}

TEST_CASE("two engines on one stream: If-Match on both - one wins and the other gets 412, a key replays",
          "[engine-cluster]") {
  TempDir dir("pitlog-cluster-engine-conflicts");
  Stream stream(dir.sub("nats"));
  FakeClock clock;
  Node a(stream.nats, dir.sub("a"), clock, "a"), b(stream.nats, dir.sub("b"), clock, "b");

  auto created = a.engine->execute(create("first"));
  REQUIRE(created.ok());
  const std::string id = created.integration->id;
  // A rejection is decided on the node's own views, unfenced: B must know the integration first
  // (what a client asks for with X-Pitlog-Min-Position).
  REQUIRE(caughtUp(b, stream));

  auto edit = [&](const std::string& name) {
    commands::EditIntegration e;
    e.integrationId = id;
    e.name = name;
    auto c = command(kAcct, adminActor(kAcct), e);
    c.ifMatch = commands::IfMatch{false, {1}};
    return c;
  };
  // Both decided against version 1 at once: the stream takes one, the other node catches up
  // (through the fence or its follower) and finds version 2.
  commands::CommandResult onA, onB;
  std::thread ta([&] { onA = a.engine->execute(edit("edited on a")); });
  std::thread tb([&] { onB = b.engine->execute(edit("edited on b")); });
  ta.join();
  tb.join();
  CHECK(onA.ok() != onB.ok());
  const auto& loser = onA.ok() ? onB : onA;
  CHECK(loser.code == Code::versionMismatch);

  // The same Idempotency-Key on both: one outcome, the other a replay of it.
  auto keyed = [&] {
    auto c = create("keyed");
    c.idempotency = idemKey("K1", "the same request");
    return c;
  };
  auto first = a.engine->execute(keyed());
  REQUIRE(first.ok());
  auto replay = b.engine->execute(keyed());
  REQUIRE(replay.ok());
  CHECK(replay.replayed);
  CHECK(replay.integration->id == first.integration->id);
  CHECK_FALSE(replay.token);

  REQUIRE(caughtUp(a, stream));
  REQUIRE(caughtUp(b, stream));
  CHECK(a.engine->integration(kAcct, id)->name == b.engine->integration(kAcct, id)->name);
  a.engine->stop();
  b.engine->stop();
  requireOneLog(a, b);
}

TEST_CASE("a node started on an empty data dir catches up from the stream", "[engine-cluster]") {
  TempDir dir("pitlog-cluster-engine-catch-up");
  Stream stream(dir.sub("nats"));
  FakeClock clock;
  Node a(stream.nats, dir.sub("a"), clock, "a");
  for (int i = 0; i < 20; ++i) REQUIRE(a.engine->execute(create("n" + std::to_string(i))).ok());

  Node fresh(stream.nats, dir.sub("fresh"), clock, "fresh");
  REQUIRE(caughtUp(fresh, stream));
  CHECK(fresh.engine->tokenCount() == 20);
  // It writes on top of what it caught up with.
  REQUIRE(fresh.engine->execute(create("on fresh")).ok());
  REQUIRE(caughtUp(a, stream));
  a.engine->stop();
  fresh.engine->stop();
  requireOneLog(a, fresh);
}

TEST_CASE("an engine whose stream is unreachable answers unavailable and writes nothing",
          "[engine-cluster]") {
  TempDir dir("pitlog-cluster-engine-unreachable");
  Stream stream(dir.sub("nats"));
  FakeClock clock;
  Node a(stream.nats, dir.sub("a"), clock, "a", std::chrono::milliseconds(300));
  REQUIRE(a.engine->execute(create("before")).ok());
  const uint64_t seq = a.engine->lastSeq();

  stream.nats.kill(0);
  auto lost = a.engine->execute(create("while down"));
  CHECK(lost.code == Code::unavailable);
  CHECK(lost.message.find("the log is unavailable") != std::string::npos);
  CHECK(a.engine->lastSeq() == seq);
  CHECK(a.engine->appliedPosition() == 1);

  // The server back (same store): the next command is written at the next position.
  stream.nats.restart(0);
  commands::CommandResult kept;
  const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  do {
    kept = a.engine->execute(create("after"));
  } while (!kept.ok() && std::chrono::steady_clock::now() < giveUp);
  REQUIRE(kept.ok());
  CHECK(a.engine->appliedPosition() == stream.last());
  CHECK(storeProblem(a.engine->store()) == std::nullopt);
}

TEST_CASE("a commit in the stream that does not continue the node's chain is refused, not applied",
          "[engine-cluster]") {
  TempDir dir("pitlog-cluster-engine-forged");
  Stream stream(dir.sub("nats"));
  FakeClock clock;
  Node a(stream.nats, dir.sub("a"), clock, "a");
  REQUIRE(a.engine->execute(create("first")).ok());

  // Commit 1 again, as the stream's commit 2: its event is seq 1 again, chained on nothing.
  cluster::CommitReader reader(*stream.conn, kStream, 0);
  auto read = pitlog::testing::readUntil(reader, 1);
  REQUIRE(read.size() == 1);
  cluster::CommitPublisher publisher(*stream.conn, kStream);
  REQUIRE(pitlog::testing::storedSeq(publisher.publish(read[0].bytes, 1, "forged")) == 2);

  const auto giveUp = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (a.engine->storageHealth().writable && std::chrono::steady_clock::now() < giveUp) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  const auto health = a.engine->storageHealth();
  REQUIRE_FALSE(health.writable);
  CHECK(health.error.find("position 2 cannot be applied") != std::string::npos);
  CHECK(a.engine->appliedPosition() == 1);
  CHECK(a.engine->lastSeq() == 1);
  CHECK(storeProblem(a.engine->store()) == std::nullopt);
}
