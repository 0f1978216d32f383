// ClusterNode (cluster/cluster_node.h) against a real nats-server: connect's errors and the
// stream's safety, joining the stream with a data dir (migration of a single-node log with the
// same seqs and hashes, its resumption after a crash, refusal of a differing history naming the
// seq, refusal of a store ahead of the stream), an empty node's catch-up with its progress, and
// the node's freshness when its only server is stopped and started again.
#include "cluster/cluster_node.h"

#include <nats/nats.h>

#include <catch2/catch.hpp>
#include <filesystem>
#include <mutex>
#include <thread>

#include "cluster/commit_codec.h"
#include "cluster/commit_reader.h"
#include "cluster/commit_stream.h"
#include "cluster/stream_migration.h"
#include "cluster/stream_position.h"
#include "core_support.h"
#include "support/cluster_engine.h"
#include "support/cluster_fixture.h"
#include "support/nats_cluster.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using namespace std::chrono_literals;
using pitlog::testing::eventually;
using pitlog::testing::NatsCluster;
using pitlog::testing::TempDir;

namespace {

constexpr const char* kStream = "PITLOG_NODE";
constexpr const char* kAcct = "acct-1";

struct Progress {
  std::mutex mu;
  std::vector<std::tuple<std::string, uint64_t, uint64_t>> calls;
  void operator()(const std::string& message, uint64_t done, uint64_t total) {
    std::lock_guard lock(mu);
    calls.emplace_back(message, done, total);
  }
  // The last call with this message, if any.
  std::optional<std::pair<uint64_t, uint64_t>> last(const std::string& message) {
    std::lock_guard lock(mu);
    for (auto it = calls.rbegin(); it != calls.rend(); ++it) {
      if (std::get<0>(*it) == message) return std::make_pair(std::get<1>(*it), std::get<2>(*it));
    }
    return std::nullopt;
  }
};

cluster::ClusterOptions nodeOptions(const NatsCluster& nats, const std::string& name,
                                    const std::string& stream = kStream) {
  return pitlog::testing::clusterOptions(nats, name, stream);
}

struct Node : pitlog::testing::ClusterEngine {
  Node(const cluster::ClusterOptions& options, const std::string& dir, const FakeClock& clock)
      : ClusterEngine(options, engineOptions(dir, clock)) {}
};

commands::Command create(const std::string& name) {
  return command(kAcct, adminActor(kAcct), createAction(name));
}

commands::Command keyedCreate(const std::string& name, const std::string& key) {
  auto c = create(name);
  c.idempotency = idemKey(key, "create " + name);
  return c;
}

// A single-node data dir with `n` commands (every third one keyed), closed.
void singleNodeLog(const std::string& dir, const FakeClock& clock, int n, const std::string& tag) {
  auto engine = commands::Engine::open(engineOptions(dir, clock));
  for (int i = 0; i < n; ++i) {
    const std::string name = tag + std::to_string(i);
    auto r = engine->execute(i % 3 == 0 ? keyedCreate(name, "K-" + name) : create(name));
    REQUIRE(r.ok());
  }
}

struct StreamEvents {
  std::vector<cluster::CommittedEvent> events;
  size_t commits = 0;
  size_t idempotency = 0;
};

// Every commit of the stream, decoded.
StreamEvents readStream(const cluster::NatsConnection& conn, const std::string& stream) {
  const uint64_t last = cluster::streamLastSequence(conn, stream);
  cluster::CommitReader reader(conn, stream, 0);
  StreamEvents out;
  for (const auto& c : pitlog::testing::readUntil(reader, last)) {
    std::string error;
    auto commit = cluster::decodeCommit(c.bytes, &error);
    REQUIRE(commit);
    ++out.commits;
    out.idempotency += commit->idempotency.size();
    for (auto& e : commit->events) out.events.push_back(std::move(e));
  }
  return out;
}

// The stream holds exactly the store's log: the same seqs, hashes and bytes.
void requireStreamHolds(const cluster::NatsConnection& conn, const std::string& stream,
                        const events::Store& store) {
  const auto inStream = readStream(conn, stream).events;
  const auto local = allEvents(store);
  REQUIRE(inStream.size() == local.size());
  for (size_t i = 0; i < local.size(); ++i) {
    CHECK(inStream[i].seq == i + 1);
    CHECK(inStream[i].seq == local[i].reader().getSeq());
    CHECK(inStream[i].hash == local[i].hash());
    CHECK(inStream[i].bytes == local[i].bytes());
  }
}

std::string errorOf(const std::function<void()>& f) {
  try {
    f();
  } catch (const events::StoreError& e) {
    return e.what();
  }
  return "(no error)";
}

std::unique_ptr<cluster::NatsConnection> admin(const NatsCluster& nats) {
  return std::make_unique<cluster::NatsConnection>(pitlog::testing::connectOptions(nats.urls()));
}

}  // namespace

TEST_CASE("ClusterNode::connect names the servers when none answers", "[cluster-node]") {
  TempDir dir("pitlog-node-no-server");
  cluster::ClusterOptions o;
  // A port nothing listens on: a server started and killed.
  std::string url;
  {
    NatsCluster nats(dir.sub("nats"), 1);
    url = nats.url(0);
  }
  o.urls = {url};
  o.replicas = 1;
  const std::string error = errorOf([&] { (void)cluster::ClusterNode::connect(o); });
  CHECK(error.find("--cluster " + url) != std::string::npos);
  CHECK(error.find("cannot connect") != std::string::npos);
}

TEST_CASE(
    "ClusterNode::connect refuses a stream with a limit or deletes allowed, naming the setting",
    "[cluster-node]") {
  TempDir dir("pitlog-node-unsafe");
  NatsCluster nats(dir.sub("nats"), 1);
  auto conn = admin(nats);
  auto addStream = [&](const std::string& name, bool limitAge) {
    const std::string subject = cluster::commitSubject(name);
    const char* subjects[] = {subject.c_str()};
    jsStreamConfig c;
    jsStreamConfig_Init(&c);
    c.Name = name.c_str();
    c.Subjects = subjects;
    c.SubjectsLen = 1;
    c.Storage = js_FileStorage;
    c.DenyPurge = true;
    c.DenyDelete = limitAge;  // the age-limited one is otherwise safe
    if (limitAge) c.MaxAge = int64_t(3600) * 1000 * 1000 * 1000;
    jsStreamInfo* si = nullptr;
    REQUIRE(js_AddStream(&si, conn->jetStream(), &c, nullptr, nullptr) == NATS_OK);
    jsStreamInfo_Destroy(si);
  };
  addStream("AGED", true);
  addStream("DELETABLE", false);

  const std::string aged =
      errorOf([&] { (void)cluster::ClusterNode::connect(nodeOptions(nats, "a", "AGED")); });
  CHECK(aged.find("--cluster-stream AGED") != std::string::npos);
  CHECK(aged.find("max_age") != std::string::npos);
  const std::string deletable =
      errorOf([&] { (void)cluster::ClusterNode::connect(nodeOptions(nats, "a", "DELETABLE")); });
  CHECK(deletable.find("deny_delete") != std::string::npos);
  // Nothing was changed: the streams are as they were (still unsafe, still empty).
  CHECK(cluster::streamLastSequence(*conn, "AGED") == 0);
  CHECK(errorOf([&] {
          (void)cluster::ClusterNode::connect(nodeOptions(nats, "a", "AGED"));
        }).find("max_age") != std::string::npos);
}

TEST_CASE("a single-node data dir is migrated into an empty stream with the same seqs and hashes",
          "[cluster-node]") {
  TempDir dir("pitlog-node-migrate");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  singleNodeLog(dir.sub("a"), clock, 30, "a");

  Progress progress;
  auto options = nodeOptions(nats, "a");
  options.progress = std::ref(progress);
  Node a(options, dir.sub("a"), clock);
  auto conn = admin(nats);
  const uint64_t position = cluster::streamLastSequence(*conn, kStream);
  CHECK(position >= 1);
  CHECK(a.engine->appliedPosition() == position);
  CHECK(cluster::recordedStreamPosition(a.engine->store()) == position);
  const auto published = progress.last("publishing the data dir's log into the stream");
  REQUIRE(published);
  CHECK(published->first == a.engine->lastSeq());
  CHECK(published->second == a.engine->lastSeq());
  // Every keyed command's record travelled with its events.
  CHECK(readStream(*conn, kStream).idempotency == 10);
  REQUIRE(eventually([&] { return a.status().fresh; }));

  // It writes on top, and an empty node catches up with all of it and replays a key of it.
  REQUIRE(a.engine->execute(create("after migration")).ok());
  Node b(nodeOptions(nats, "b"), dir.sub("b"), clock);
  REQUIRE(eventually(
      [&] { return b.engine->appliedPosition() == cluster::streamLastSequence(*conn, kStream); }));
  auto replay = b.engine->execute(keyedCreate("a0", "K-a0"));
  REQUIRE(replay.ok());
  CHECK(replay.replayed);
  a.engine->stop();
  b.engine->stop();
  requireStreamHolds(*conn, kStream, a.engine->store());
  CHECK(a.engine->store().chainHead() == b.engine->store().chainHead());
  CHECK(storeProblem(a.engine->store()) == std::nullopt);
  CHECK(storeProblem(b.engine->store()) == std::nullopt);
}

TEST_CASE("a migration cut off part way is resumed from where the stream ends", "[cluster-node]") {
  TempDir dir("pitlog-node-resume");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  singleNodeLog(dir.sub("a"), clock, 12, "a");
  // What a crash leaves: the stream holds the first part of the log and the data dir recorded
  // nothing. The first part is published by a copy of the data dir as it was then.
  std::filesystem::copy(dir.sub("a"), dir.sub("prefix"), std::filesystem::copy_options::recursive);
  singleNodeLog(dir.sub("a"), clock, 12, "later");
  uint64_t prefixEvents = 0;
  {
    Node prefix(nodeOptions(nats, "prefix"), dir.sub("prefix"), clock);
    prefixEvents = prefix.engine->lastSeq();
  }
  auto conn = admin(nats);
  const uint64_t before = cluster::streamLastSequence(*conn, kStream);
  REQUIRE(readStream(*conn, kStream).events.size() == prefixEvents);

  Node a(nodeOptions(nats, "a"), dir.sub("a"), clock);
  CHECK(a.engine->lastSeq() > prefixEvents);
  CHECK(cluster::streamLastSequence(*conn, kStream) > before);
  CHECK(a.engine->appliedPosition() == cluster::streamLastSequence(*conn, kStream));
  a.engine->stop();
  requireStreamHolds(*conn, kStream, a.engine->store());
}

TEST_CASE("a data dir whose history differs from the stream's is refused, naming the first seq",
          "[cluster-node]") {
  TempDir dir("pitlog-node-differs");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  singleNodeLog(dir.sub("a"), clock, 5, "common");
  std::filesystem::copy(dir.sub("a"), dir.sub("b"), std::filesystem::copy_options::recursive);
  uint64_t forkSeq = 0;
  {
    auto b = commands::Engine::open(engineOptions(dir.sub("b"), clock));
    forkSeq = b->lastSeq() + 1;
  }
  singleNodeLog(dir.sub("a"), clock, 3, "on a");
  singleNodeLog(dir.sub("b"), clock, 3, "on b");
  { Node a(nodeOptions(nats, "a"), dir.sub("a"), clock); }
  auto conn = admin(nats);
  const uint64_t last = cluster::streamLastSequence(*conn, kStream);

  const std::string error = errorOf([&] { Node b(nodeOptions(nats, "b"), dir.sub("b"), clock); });
  CHECK(error.find("differs from this data dir's log at seq " + std::to_string(forkSeq) + " ") !=
        std::string::npos);
  // Nothing changed: the stream, and the data dir (still a single-node log).
  CHECK(cluster::streamLastSequence(*conn, kStream) == last);
  auto b = commands::Engine::open(engineOptions(dir.sub("b"), clock));
  CHECK(cluster::recordedStreamPosition(b->store()) == std::nullopt);
}

TEST_CASE("a data dir that has applied more of the stream than the stream holds is refused",
          "[cluster-node]") {
  TempDir dir("pitlog-node-ahead");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  {
    Node a(nodeOptions(nats, "a"), dir.sub("a"), clock);
    for (int i = 0; i < 3; ++i) REQUIRE(a.engine->execute(create("n" + std::to_string(i))).ok());
  }
  // The same data dir on a stream that lost that history (here: another, empty one).
  const std::string error =
      errorOf([&] { Node again(nodeOptions(nats, "a", "PITLOG_NEW"), dir.sub("a"), clock); });
  CHECK(error.find("has applied stream position 3 but stream PITLOG_NEW ends at 0") !=
        std::string::npos);
}

TEST_CASE("an empty node catches up from the stream and reports its progress", "[cluster-node]") {
  TempDir dir("pitlog-node-catch-up");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  Node a(nodeOptions(nats, "a"), dir.sub("a"), clock);
  // More commits than the follower's progress threshold (one per command, one at a time).
  constexpr int kCommands = 300;
  for (int i = 0; i < kCommands; ++i) {
    REQUIRE(a.engine->execute(create("n" + std::to_string(i))).ok());
  }
  const uint64_t last = a.engine->appliedPosition();

  Progress progress;
  auto options = nodeOptions(nats, "fresh");
  options.progress = std::ref(progress);
  Node fresh(options, dir.sub("fresh"), clock);
  CHECK_FALSE(fresh.status().fresh);  // nothing applied yet: it must not answer
  REQUIRE(eventually([&] { return fresh.engine->appliedPosition() == last; }));
  CHECK(fresh.engine->tokenCount() == kCommands);
  REQUIRE(eventually([&] { return fresh.status().fresh; }));
  REQUIRE(eventually([&] { return bool(progress.last("caught up with the stream")); }));
  CHECK(progress.last("caught up with the stream") == std::make_pair(last, last));
  CHECK(progress.last("catching up with the stream"));
}

TEST_CASE(
    "a node whose only server stops turns stale after max-staleness, and fresh once back and "
    "caught up",
    "[cluster-node]") {
  TempDir dir("pitlog-node-staleness");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  auto options = nodeOptions(nats, "a");
  options.maxStaleness = 1000ms;
  Node a(options, dir.sub("a"), clock);
  REQUIRE(a.engine->execute(create("before")).ok());
  REQUIRE(eventually([&] { return a.status().fresh; }));
  CHECK(a.status().connected);
  CHECK(a.status().streamPosition == 1);

  nats.kill(0);
  REQUIRE(eventually([&] { return !a.status().fresh; }));
  auto stale = a.status();
  CHECK(stale.lagMs > 1000);
  CHECK_FALSE(stale.connected);
  CHECK(stale.reason.find("not connected to the stream") != std::string::npos);

  nats.restart(0);
  REQUIRE(eventually([&] { return a.status().fresh; }));
  CHECK(a.status().connected);
  CHECK(a.status().lagMs <= 1000);
}

TEST_CASE("a single-node data dir whose log is a prefix of the stream joins it where its log ends",
          "[cluster-node]") {
  TempDir dir("pitlog-node-prefix");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  singleNodeLog(dir.sub("a"), clock, 6, "a");
  // A copy of the single-node dir as it was when it became the cluster's first node.
  std::filesystem::copy(dir.sub("a"), dir.sub("copy"), std::filesystem::copy_options::recursive);
  uint64_t joinedAt = 0;
  {
    Node a(nodeOptions(nats, "a"), dir.sub("a"), clock);
    joinedAt = a.engine->appliedPosition();
    for (int i = 0; i < 4; ++i) REQUIRE(a.engine->execute(create("b" + std::to_string(i))).ok());
  }
  auto conn = admin(nats);
  const uint64_t last = cluster::streamLastSequence(*conn, kStream);

  Node copy(nodeOptions(nats, "copy"), dir.sub("copy"), clock);
  // Joined at the commit holding its last event, then it applies the rest from the stream.
  REQUIRE(eventually([&] { return copy.engine->appliedPosition() == last; }));
  copy.engine->stop();
  CHECK(cluster::recordedStreamPosition(copy.engine->store()) == last);
  CHECK(joinedAt < last);
  CHECK(cluster::streamLastSequence(*conn, kStream) == last);  // it published nothing
  requireStreamHolds(*conn, kStream, copy.engine->store());
  CHECK(storeProblem(copy.engine->store()) == std::nullopt);
}

TEST_CASE("a single-node log that ends inside one of the stream's commits is refused",
          "[cluster-node]") {
  TempDir dir("pitlog-node-inside");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  singleNodeLog(dir.sub("a"), clock, 3, "a");
  std::filesystem::copy(dir.sub("a"), dir.sub("short"), std::filesystem::copy_options::recursive);
  uint64_t shortEnd = 0;
  {
    auto e = commands::Engine::open(engineOptions(dir.sub("short"), clock));
    shortEnd = e->lastSeq();
  }
  singleNodeLog(dir.sub("a"), clock, 3, "more");
  // The whole log migrates as one commit: the shorter copy ends inside it.
  { Node a(nodeOptions(nats, "a"), dir.sub("a"), clock); }
  auto conn = admin(nats);
  REQUIRE(readStream(*conn, kStream).commits == 1);

  const std::string error =
      errorOf([&] { Node s(nodeOptions(nats, "short"), dir.sub("short"), clock); });
  CHECK(error.find("log ends at event " + std::to_string(shortEnd) + ", inside a commit") !=
        std::string::npos);
}

TEST_CASE("a migration cuts the log into commits under the limit, each with its records",
          "[cluster-node]") {
  TempDir dir("pitlog-node-migrate-limit");
  NatsCluster nats(dir.sub("nats"), 1);
  FakeClock clock;
  singleNodeLog(dir.sub("a"), clock, 40, "a");
  auto conn = admin(nats);
  REQUIRE(cluster::ensureStream(*conn, {kStream, 1}) == cluster::StreamState::created);
  events::Store::Options so;
  so.path = dir.sub("a");
  auto store = events::Store::open(so);

  cluster::MigrationOptions m;
  m.stream = kStream;
  m.nodeName = "a";
  m.maxCommitBytes = 4096;
  const uint64_t position = cluster::publishLocalLog(*conn, *store, 1, 0, m);
  const auto read = readStream(*conn, kStream);
  CHECK(position == read.commits);
  CHECK(read.commits >= 3);
  CHECK(read.idempotency == 14);  // every third of 40 commands was keyed
  cluster::CommitReader reader(*conn, kStream, 0);
  for (const auto& c : pitlog::testing::readUntil(reader, position)) CHECK(c.bytes.size() <= 4096);
  requireStreamHolds(*conn, kStream, *store);
}
