// Tokens' last use in cluster mode (API.md "Token hygiene": `lastUsedAt` is the latest any node
// saw): two engines on one stream and one key-value bucket, wired as pitd wires them
// (ClusterNode::lastUseStore). A use recorded on one node is shown by the other after their
// flushes, the later of two uses wins on both, a value never goes backwards, and a flush while
// NATS is down loses nothing and never stops verification.
#include <catch2/catch.hpp>

#include "core_support.h"
#include "events/keys.h"
#include "support/cluster_engine.h"
#include "support/nats_cluster.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::coretest;
using pitlog::testing::ClusterEngine;
using pitlog::testing::eventually;
using pitlog::testing::NatsCluster;
using pitlog::testing::TempDir;

namespace {

constexpr const char* kStream = "PITLOG_LAST_USE_TEST";

struct TwoNodes {
  TempDir dir;
  NatsCluster nats{dir.sub("nats"), 1};
  FakeClock clockA, clockB;
  std::unique_ptr<ClusterEngine> a, b;

  TwoNodes() {
    a = open("node-a", "a", clockA);
    b = open("node-b", "b", clockB);
  }
  std::unique_ptr<ClusterEngine> open(const std::string& name, const std::string& sub,
                                      const FakeClock& clock) {
    auto o = engineOptions(dir.sub(sub), clock);
    o.lastUseFlushMs = 50;
    o.storageRetryMs = 20;  // the writer looks at the flush's due time at least this often
    return std::make_unique<ClusterEngine>(
        pitlog::testing::clusterOptions(nats, name, kStream), std::move(o));
  }
  // A token issued on node A, once node B has applied its issue too.
  std::string issue() {
    auto r = a->engine->execute(command("acct-1", adminActor("acct-1"), createAction()));
    REQUIRE(r.ok());
    const std::string token = *r.token;
    const uint64_t issued = a->engine->appliedPosition();
    REQUIRE(eventually([&] { return b->engine->appliedPosition() >= issued; }));
    return token;
  }
};

// A node's last-use store over the bucket alone (no engine), loaded: for the store's own rules.
struct KvStoreNode {
  std::unique_ptr<cluster::ClusterNode> node;
  std::unique_ptr<events::Store> db;
  std::unique_ptr<commands::LastUseStore> store;

  KvStoreNode(const NatsCluster& nats, const std::string& name, const std::string& dataDir) {
    node = cluster::ClusterNode::connect(pitlog::testing::clusterOptions(nats, name, kStream));
    events::Store::Options so;
    so.path = dataDir;
    db = events::Store::open(so);
    store = node->lastUseStore(*db, false);
    store->load([](const events::Digest&, events::UnixMillis) {});
  }
};

std::optional<events::UnixMillis> lastUsed(const ClusterEngine& node, const std::string& token) {
  return node.engine->lastUsed(events::sha256(token));
}

// The node's own copy, in its last_use family.
std::optional<events::UnixMillis> storedLocally(const ClusterEngine& node,
                                                const std::string& token) {
  const auto v = node.engine->store().get(events::keys::Family::lastUse,
                                          events::keys::lastUseKey(events::sha256(token)));
  if (!v) return std::nullopt;
  return static_cast<events::UnixMillis>(*events::keys::readFixed64(*v));
}

}  // namespace

TEST_CASE("cluster last use: a use recorded only on node A is shown by node B after the flushes",
          "[cluster][last-use]") {
  TwoNodes n;
  const std::string token = n.issue();
  CHECK_FALSE(lastUsed(*n.b, token));
  n.clockA.advance(1000);
  REQUIRE(n.a->engine->verify(token).active);
  const events::UnixMillis usedAt = n.clockA.now();
  CHECK(eventually([&] { return lastUsed(*n.b, token) == usedAt; }));
  CHECK(lastUsed(*n.a, token) == usedAt);
}

TEST_CASE("cluster last use: when both nodes record a use, the later one wins on both",
          "[cluster][last-use]") {
  TwoNodes n;
  const std::string token = n.issue();
  n.clockA.advance(5000);
  n.clockB.advance(2000);
  const events::UnixMillis later = n.clockA.now();
  REQUIRE(n.b->engine->verify(token).active);  // the earlier use
  REQUIRE(n.a->engine->verify(token).active);  // the later one
  CHECK(eventually(
      [&] { return lastUsed(*n.a, token) == later && lastUsed(*n.b, token) == later; }));
  // Restarted, node B shows the bucket's value, not an older one.
  n.b.reset();
  n.b = n.open("node-b", "b", n.clockB);
  CHECK(eventually([&] { return lastUsed(*n.b, token) == later; }));
}

TEST_CASE("cluster last use: a flush of an earlier time leaves the bucket's later one",
          "[cluster][last-use]") {
  TempDir dir;
  NatsCluster nats(dir.sub("nats"), 1);
  KvStoreNode n(nats, "n", dir.sub("data"));
  auto& store = n.store;
  events::Digest d{};
  d[0] = 0xab;
  std::string error;
  commands::LastUseTable::Changes later, earlier;
  later.used.push_back({d, kT0 + 5000});
  earlier.used.push_back({d, kT0 + 1000});
  REQUIRE(store->flush(later, &error));
  REQUIRE(store->flush(earlier, &error));

  // What the bucket holds, as a fresh node reads it.
  KvStoreNode other(nats, "m", dir.sub("other"));
  auto& otherStore = other.store;
  std::optional<events::UnixMillis> seen;
  REQUIRE(eventually([&] {
    otherStore->merge([&](const events::Digest& got, events::UnixMillis at) {
      if (got == d) seen = at;
      return true;
    });
    return seen.has_value();
  }));
  CHECK(*seen == kT0 + 5000);
}

TEST_CASE("cluster last use: a flush while NATS is down loses nothing, and verification goes on",
          "[cluster][last-use]") {
  TwoNodes n;
  const std::string token = n.issue();
  const uint64_t flushesA = n.a->engine->lastUseFlushes();
  n.nats.kill(0);
  n.clockA.advance(3000);
  // Verification answers from memory while the flushes fail.
  REQUIRE(n.a->engine->verify(token).active);
  const events::UnixMillis usedAt = n.clockA.now();
  CHECK(lastUsed(*n.a, token) == usedAt);
  // A flush ran meanwhile (it writes the node's own copy first) and failed: nothing counted.
  REQUIRE(eventually([&] { return storedLocally(*n.a, token) == usedAt; }));
  CHECK(n.a->engine->lastUseFlushes() == flushesA);
  n.nats.restart(0);
  // Written by a later flush once NATS is back, and shown by node B.
  CHECK(eventually([&] { return n.a->engine->lastUseFlushes() > flushesA; }));
  CHECK(eventually([&] { return lastUsed(*n.b, token) == usedAt; }, std::chrono::seconds(60)));
}

TEST_CASE("cluster last use: a stored value whose token this node does not track yet is offered "
          "again at later merges",
          "[cluster][last-use]") {
  TempDir dir;
  NatsCluster nats(dir.sub("nats"), 1);
  KvStoreNode n(nats, "n", dir.sub("data"));
  auto& store = n.store;
  events::Digest d{};
  d[0] = 0xcd;
  commands::LastUseTable::Changes used;
  used.used.push_back({d, kT0 + 7000});
  std::string error;
  REQUIRE(store->flush(used, &error));

  // The first offer is refused (not tracked yet); the value comes again, without a new write.
  int offers = 0;
  REQUIRE(eventually([&] {
    store->merge(
        [&](const events::Digest& got, events::UnixMillis) { return got == d && ++offers > 1; });
    return offers > 1;
  }));
  int after = 0;  // once taken, it is not offered again
  store->merge(
      [&](const events::Digest& got, events::UnixMillis) { return got != d || ++after > 0; });
  CHECK(after == 0);
}
