// Webhook delivery in cluster mode (issue 11 item 3: exactly one node delivers each subscription
// at a time; a lost lease is taken over without losing or reordering deliveries): the lease in
// the bucket <stream>_WEBHOOK_LEASES (server/webhooks/kv_delivery_lease.h) and the fenced shared
// state in <stream>_WEBHOOK_DELIVERY (kv_delivery_state.h), on a real nats-server. Each node has
// its own connection and its own clock, moved by hand, and its lease is ticked by hand: no test
// waits for a lease to run out in real time.
#include <atomic>
#include <catch2/catch.hpp>
#include <set>
#include <thread>

#include "cluster/nats_connection.h"
#include "events/digest.h"
#include "server/webhooks/kv_delivery_state.h"
#include "support/cluster_engine.h"
#include "support/nats_cluster.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::server::webhooks;
using pitlog::testing::eventually;
using pitlog::testing::NatsCluster;
using pitlog::testing::TempDir;

namespace {

constexpr int64_t kLeaseMs = 9000;  // margin: a third, 3000
constexpr int64_t kStart = 1'000'000'000'000;

struct Node {
  std::atomic<int64_t> clock{kStart};
  cluster::NatsConnection conn;
  KvDeliveryLease lease;
  KvDeliveryStateStore state;

  Node(const NatsCluster& nats, const std::string& name)
      : conn(connectOptions(nats, name)),
        lease(conn, leaseSettings(name, clock)),
        state(conn, lease, {"WHTEST_WEBHOOK_DELIVERY", 1, name}) {}

  static cluster::ConnectOptions connectOptions(const NatsCluster& nats, const std::string& name) {
    cluster::ConnectOptions o;
    o.urls = nats.urls();
    o.name = name;
    o.requestTimeout = std::chrono::milliseconds(2000);
    return o;
  }
  static KvLeaseSettings leaseSettings(const std::string& name, std::atomic<int64_t>& clock) {
    KvLeaseSettings s;
    s.bucket = "WHTEST_WEBHOOK_LEASES";
    s.nodeName = name;
    s.lease = std::chrono::milliseconds(kLeaseMs);
    s.now = [&clock] { return clock.load(); };
    return s;
  }
  // Asks for the subscription (as the worker's scan does) and runs one round of the lease.
  bool take(const SubscriptionId& s) {
    (void)lease.mayDeliver(s);
    lease.tick();
    return lease.mayDeliver(s);
  }
};

SubscriptionId subscription(int i = 0) {
  return {"acct-" + std::to_string(i), "hook.one_" + std::to_string(i)};
}

DeliveryCursor cursorAt(uint64_t delivered) {
  DeliveryCursor c;
  c.secretEventId = "event-1";
  c.deliveredSeq = delivered;
  return c;
}

struct TwoNodes {
  TempDir dir;
  NatsCluster nats{dir.sub("nats"), 1};
  Node a{nats, "node-a"}, b{nats, "node-b"};
};

}  // namespace

TEST_CASE(
    "Two nodes racing for the leases of twenty subscriptions: exactly one holds each, and "
    "keeps it through its renewals",
    "[webhook-lease]") {
  TwoNodes t;
  for (int i = 0; i < 20; ++i) {
    (void)t.a.lease.mayDeliver(subscription(i));
    (void)t.b.lease.mayDeliver(subscription(i));
  }
  std::thread racer([&] { t.b.lease.tick(); });
  t.a.lease.tick();
  racer.join();
  std::vector<bool> heldByA;
  for (int i = 0; i < 20; ++i) {
    const bool a = t.a.lease.mayDeliver(subscription(i));
    const bool b = t.b.lease.mayDeliver(subscription(i));
    INFO("subscription " << i);
    CHECK(a != b);
    heldByA.push_back(a);
  }
  // Three renewals each (a third of the lease apart), then no one has lost or gained any.
  for (int round = 0; round < 3; ++round) {
    t.a.clock += kLeaseMs / 3;
    t.b.clock += kLeaseMs / 3;
    t.a.lease.tick();
    t.b.lease.tick();
  }
  for (int i = 0; i < 20; ++i) {
    INFO("subscription " << i);
    CHECK(t.a.lease.mayDeliver(subscription(i)) == heldByA[i]);
    CHECK(t.b.lease.mayDeliver(subscription(i)) == !heldByA[i]);
  }
}

TEST_CASE(
    "A lease whose holder stopped renewing is taken over once it expires, with a higher "
    "term, and the old holder learns it lost it",
    "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  REQUIRE(t.a.take(s));
  const auto termA = *t.a.lease.heldTerm(s);
  // B's clock just before A's expiry: A's lease is still A's.
  t.b.clock = kStart + kLeaseMs - 1;
  CHECK_FALSE(t.b.take(s));
  // Past it: B takes over.
  t.b.clock = kStart + kLeaseMs + 1;
  REQUIRE(t.b.take(s));
  CHECK(*t.b.lease.heldTerm(s) == termA + 1);
  // A, whose clock says its lease still runs, renews and finds B's: it no longer delivers.
  t.a.clock = kStart + kLeaseMs / 3;
  CHECK(t.a.lease.mayDeliver(s));  // until it looks
  t.a.lease.tick();
  CHECK_FALSE(t.a.lease.mayDeliver(s));
  CHECK(t.b.lease.mayDeliver(s));
}

TEST_CASE("mayDeliver turns false a margin before the lease expires", "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  REQUIRE(t.a.take(s));
  t.a.clock = kStart + kLeaseMs - kLeaseMs / 3 - 1;
  CHECK(t.a.lease.mayDeliver(s));
  t.a.clock = kStart + kLeaseMs - kLeaseMs / 3;
  CHECK_FALSE(t.a.lease.mayDeliver(s));
}

TEST_CASE("A lease given up on stop is taken over at once by another node", "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  REQUIRE(t.a.take(s));
  CHECK_FALSE(t.b.take(s));
  t.a.lease.stop();
  CHECK_FALSE(t.a.lease.mayDeliver(s));
  REQUIRE(t.b.take(s));  // same clock: no expiry waited for
  CHECK(*t.b.lease.heldTerm(s) == 2);
}

TEST_CASE("A renewal that cannot reach NATS makes mayDeliver false", "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  REQUIRE(t.a.take(s));
  t.nats.kill(0);
  REQUIRE(eventually([&] { return !t.a.conn.connected(); }));
  t.a.clock += kLeaseMs / 3;
  t.a.lease.tick();
  CHECK_FALSE(t.a.lease.mayDeliver(s));
}

TEST_CASE(
    "Delivery state saved by the lease holder is read by every node, with the last 100 "
    "attempts",
    "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  REQUIRE(t.a.take(s));
  CHECK_FALSE(t.a.state.cursor(s).has_value());
  for (uint64_t i = 1; i <= 105; ++i) {
    DeliveryAttempt attempt;
    attempt.at = int64_t(i);
    attempt.type = "token.rotated";
    attempt.messageId = "msg_" + std::to_string(i);
    attempt.seq = i;
    attempt.status = 200;
    auto c = cursorAt(i);
    c.attemptsRecorded = i;
    t.a.state.save(s, c, &attempt);
  }
  const auto seen = t.b.state.cursor(s);
  REQUIRE(seen);
  CHECK(*seen == [] {
    auto c = cursorAt(105);
    c.attemptsRecorded = 105;
    return c;
  }());
  const auto attempts = t.b.state.attempts(s);
  REQUIRE(attempts.size() == kAttemptsKept);
  CHECK(attempts.front().messageId == "msg_6");
  CHECK(attempts.back().messageId == "msg_105");
  CHECK(attempts.back().status == 200);
}

TEST_CASE("A save by a node that does not hold the lease is refused and changes nothing",
          "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  REQUIRE(t.a.take(s));
  (void)t.a.state.cursor(s);
  t.a.state.save(s, cursorAt(5), nullptr);
  (void)t.b.state.cursor(s);
  CHECK_THROWS_AS(t.b.state.save(s, cursorAt(1), nullptr), DeliveryFenced);
  CHECK(t.a.state.cursor(s)->deliveredSeq == 5);
}

TEST_CASE(
    "A fenced save: the old holder cannot move the cursor back or record over the new "
    "holder, and its lease counts as lost at once",
    "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  REQUIRE(t.a.take(s));
  (void)t.a.state.cursor(s);
  t.a.state.save(s, cursorAt(5), nullptr);
  // A's lease runs out by B's clock; B takes over, reads and delivers further.
  t.b.clock = kStart + kLeaseMs + 1;
  REQUIRE(t.b.take(s));
  REQUIRE(t.b.state.cursor(s)->deliveredSeq == 5);
  t.b.state.save(s, cursorAt(7), nullptr);
  // A's clock lags: it still believes it holds the lease, and saves what it had.
  REQUIRE(t.a.lease.mayDeliver(s));
  CHECK_THROWS_AS(t.a.state.save(s, cursorAt(6), nullptr), DeliveryFenced);
  CHECK_FALSE(t.a.lease.mayDeliver(s));
  // Even after reading afresh, A writes nothing: the lease is B's.
  (void)t.a.state.cursor(s);
  CHECK_THROWS_AS(t.a.state.save(s, cursorAt(4), nullptr), DeliveryFenced);
  CHECK(t.b.state.cursor(s)->deliveredSeq == 7);
  t.b.state.save(s, cursorAt(8), nullptr);  // B goes on undisturbed
  CHECK(t.a.state.cursor(s)->deliveredSeq == 8);
}

TEST_CASE(
    "The new holder's save after a late write of the old holder fails without losing its "
    "lease, and succeeds once it has read again",
    "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  REQUIRE(t.a.take(s));
  (void)t.a.state.cursor(s);
  t.a.state.save(s, cursorAt(5), nullptr);
  t.b.clock = kStart + kLeaseMs + 1;
  REQUIRE(t.b.take(s));
  REQUIRE(t.b.state.cursor(s)->deliveredSeq == 5);
  // A's attempt in flight ends and A records it before B wrote anything.
  t.a.state.save(s, cursorAt(6), nullptr);
  CHECK_THROWS_AS(t.b.state.save(s, cursorAt(6), nullptr), DeliveryFenced);
  CHECK(t.b.lease.mayDeliver(s));
  REQUIRE(t.b.state.cursor(s)->deliveredSeq == 6);
  t.b.state.save(s, cursorAt(7), nullptr);
  CHECK(t.b.state.cursor(s)->deliveredSeq == 7);
}

TEST_CASE(
    "A lease nobody on its node asked about for three lease periods (the subscription was "
    "removed) is given up for another node",
    "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  REQUIRE(t.a.take(s));
  CHECK_FALSE(t.b.take(s));
  // A keeps renewing while nobody asks, until three lease periods have passed.
  for (int round = 0; round < 9; ++round) {
    t.a.clock += kLeaseMs / 3;
    t.a.lease.tick();
  }
  CHECK_FALSE(t.b.take(s));  // B's clock has not moved: A's renewals are still valid
  t.a.clock += kLeaseMs / 3 + 1;
  t.a.lease.tick();
  REQUIRE(t.b.take(s));  // given up: no expiry waited for
}

namespace {

events::Digest tokenDigest(int i) { return events::sha256("token-" + std::to_string(i)); }

QueuedReminder reminder(const std::string& id) { return {"rotation.due", id, "{\"type\":1}"}; }

}  // namespace

TEST_CASE(
    "A reminder fired by two nodes at once is queued once, and reminders fired on both "
    "nodes take distinct slots of the subscription's queue",
    "[webhook-lease]") {
  TwoNodes t;
  const auto s = subscription();
  SECTION("the same reminder") {
    const auto token = tokenDigest(0);
    CHECK_FALSE(t.a.state.reminderFired('d', token));
    std::thread other([&] {
      t.b.state.fireReminder('d', token, kStart, {{s, reminder("msg_b")}});
    });
    t.a.state.fireReminder('d', token, kStart, {{s, reminder("msg_a")}});
    other.join();
    CHECK(t.a.state.reminderFired('d', token));
    CHECK(t.b.state.reminderFired('d', token));
    CHECK_FALSE(t.a.state.reminderFired('w', token));
    CHECK(t.a.state.remindersQueued(s) == 1);
    REQUIRE(t.b.state.queuedReminder(s, 0));
    CHECK_FALSE(t.b.state.queuedReminder(s, 1));
  }
  SECTION("different reminders at once") {
    std::thread other([&] {
      for (int i = 0; i < 10; ++i) {
        t.b.state.fireReminder('d', tokenDigest(100 + i), kStart,
                               {{s, reminder("msg_b" + std::to_string(i))}});
      }
    });
    for (int i = 0; i < 10; ++i) {
      t.a.state.fireReminder('d', tokenDigest(i), kStart,
                             {{s, reminder("msg_a" + std::to_string(i))}});
    }
    other.join();
    CHECK(t.a.state.remindersQueued(s) == 20);
    std::set<std::string> ids;
    for (uint64_t n = 0; n < 20; ++n) {
      auto r = t.b.state.queuedReminder(s, n);
      REQUIRE(r);
      ids.insert(r->messageId);
    }
    CHECK(ids.size() == 20);
  }
}
