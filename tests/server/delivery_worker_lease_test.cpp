// The delivery worker asks its DeliveryLease before every message, not only when it starts a
// subscription's loop: in a cluster the lease can move to another node while the loop runs
// (server/webhooks/kv_delivery_lease.h), and from then on this node must send nothing for that
// subscription until it holds the lease again. And a delivery state that throws when a loop starts
// (the cluster's, while NATS is unreachable) costs that subscription one poll, never the worker.
// In-process: a real engine, the single node's delivery state, a lease the test switches, and a
// sender that records instead of sending.
#include <atomic>
#include <catch2/catch.hpp>
#include <mutex>
#include <set>
#include <thread>

#include "commands/engine.h"
#include "server/webhooks/delivery_worker.h"
#include "support/temp_dir.h"

using namespace pitlog;
using namespace pitlog::server::webhooks;
using pitlog::testing::TempDir;

namespace {

class SwitchedLease : public DeliveryLease {
 public:
  bool mayDeliver(const SubscriptionId& s) override {
    ++asked;
    std::lock_guard<std::mutex> lock(mu);
    askedFor.insert(s.webhookId);
    return allowed.load();
  }
  bool wasAskedFor(const std::string& webhookId) {
    std::lock_guard<std::mutex> lock(mu);
    return askedFor.count(webhookId) != 0;
  }
  std::mutex mu;
  std::set<std::string> askedFor;
  std::atomic<bool> allowed{true};
  std::atomic<int> asked{0};
};

// Answers every attempt 200 and records its webhook-id, in order.
struct Recorded {
  std::mutex mu;
  std::vector<std::string> ids;
  size_t size() {
    std::lock_guard<std::mutex> lock(mu);
    return ids.size();
  }
};
class RecordingSender : public ::pitlog::webhooks::Sender {
 public:
  explicit RecordingSender(Recorded& out) : out_(out) {}
  kj::Promise<::pitlog::webhooks::AttemptResult> send(const ::pitlog::webhooks::WebhookMessage& m,
                                                      kj::ArrayPtr<const kj::byte>) override {
    std::lock_guard<std::mutex> lock(out_.mu);
    out_.ids.push_back(m.id);
    return ::pitlog::webhooks::AttemptResult{200, {}};
  }

 private:
  Recorded& out_;
};

template <typename Condition>
bool eventually(Condition c) {
  const auto until = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (!c()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return true;
}

commands::Command command(commands::Action action) {
  commands::Command c;
  c.accountId = "acct-1";
  c.actor = {"acct-1", "alice", events::Role::admin};
  c.requestId = "req-test";
  c.action = std::move(action);
  return c;
}

void createIntegration(commands::Engine& engine, const std::string& name) {
  REQUIRE(
      engine.execute(command(commands::CreateIntegration{name, "", {"contacts.readonly"}})).ok());
}

}  // namespace

TEST_CASE(
    "webhook worker: a lease taken away while the subscription's loop runs stops its "
    "deliveries, and they resume in order once the lease is back",
    "[webhook-worker]") {
  TempDir dir;
  commands::EngineOptions options;
  options.dataDir = dir.sub("data");
  auto engine = commands::Engine::open(std::move(options));
  const auto key = WebhookKey::fromBytes(std::string(32, 'k'));
  REQUIRE(engine
              ->execute(command(commands::SubscribeWebhook{
                  "hook", "http://127.0.0.1:9/h", {"integration.created"}, key.fingerprint()}))
              .ok());

  LocalDeliveryStateStore state(engine->operationalStore());
  SwitchedLease lease;
  Recorded sent;
  DeliveryWorkerOptions o;
  o.poll = std::chrono::milliseconds(5);
  o.retryDelay = [](uint32_t, std::chrono::milliseconds) {
    return std::optional<std::chrono::milliseconds>(std::chrono::milliseconds(5));
  };
  o.makeSender = [&sent](kj::AsyncIoProvider&) -> kj::Own<::pitlog::webhooks::Sender> {
    return kj::heap<RecordingSender>(sent);
  };
  DeliveryWorker worker(*engine, state, lease, key, std::move(o));
  worker.start();

  createIntegration(*engine, "one");
  REQUIRE(eventually([&] { return sent.size() == 1; }));

  lease.allowed = false;
  const int askedBefore = lease.asked.load();
  createIntegration(*engine, "two");
  createIntegration(*engine, "three");
  // The worker keeps asking (at every poll) and, refused, sends nothing.
  CHECK(eventually([&] { return lease.asked.load() >= askedBefore + 20; }));
  CHECK(sent.size() == 1);

  lease.allowed = true;
  REQUIRE(eventually([&] { return sent.size() == 3; }));
  worker.stop();
  std::lock_guard<std::mutex> lock(sent.mu);
  CHECK(sent.ids[0] != sent.ids[1]);
  CHECK(sent.ids[1] != sent.ids[2]);
  CHECK(state.cursor({"acct-1", "hook"})->deliveredSeq == engine->lastSeq());
}

namespace {

// The single node's store, whose first cursor read fails as a NATS blip makes the cluster's fail.
class FailingOnceState : public DeliveryStateStore {
 public:
  explicit FailingOnceState(events::Store& store) : local_(store) {}
  std::optional<DeliveryCursor> cursor(const SubscriptionId& s) override {
    if (!failed_.exchange(true)) throw events::StoreError("not connected to a NATS server");
    return local_.cursor(s);
  }
  void save(const SubscriptionId& s, const DeliveryCursor& c, const DeliveryAttempt* a) override {
    local_.save(s, c, a);
  }
  std::vector<DeliveryAttempt> attempts(const SubscriptionId& s) override {
    return local_.attempts(s);
  }
  bool reminderFired(char type, const events::Digest& token) override {
    return local_.reminderFired(type, token);
  }
  void fireReminder(char type, const events::Digest& token, int64_t at,
                    const std::vector<std::pair<SubscriptionId, QueuedReminder>>& q) override {
    local_.fireReminder(type, token, at, q);
  }
  std::optional<QueuedReminder> queuedReminder(const SubscriptionId& s, uint64_t n) override {
    return local_.queuedReminder(s, n);
  }
  uint64_t remindersQueued(const SubscriptionId& s) override { return local_.remindersQueued(s); }

 private:
  LocalDeliveryStateStore local_;
  std::atomic<bool> failed_{false};
};

}  // namespace

TEST_CASE(
    "webhook worker: a delivery state that fails when a subscription's loop starts costs "
    "one poll, not the worker",
    "[webhook-worker]") {
  TempDir dir;
  commands::EngineOptions options;
  options.dataDir = dir.sub("data");
  auto engine = commands::Engine::open(std::move(options));
  const auto key = WebhookKey::fromBytes(std::string(32, 'k'));
  createIntegration(*engine, "before");  // not delivered: it precedes the subscription
  REQUIRE(engine
              ->execute(command(commands::SubscribeWebhook{
                  "hook", "http://127.0.0.1:9/h", {"integration.created"}, key.fingerprint()}))
              .ok());
  createIntegration(*engine, "one");

  FailingOnceState state(engine->operationalStore());
  SingleNodeLease lease;
  Recorded sent;
  DeliveryWorkerOptions o;
  o.poll = std::chrono::milliseconds(5);
  o.retryDelay = [](uint32_t, std::chrono::milliseconds) {
    return std::optional<std::chrono::milliseconds>(std::chrono::milliseconds(5));
  };
  o.makeSender = [&sent](kj::AsyncIoProvider&) -> kj::Own<::pitlog::webhooks::Sender> {
    return kj::heap<RecordingSender>(sent);
  };
  DeliveryWorker worker(*engine, state, lease, key, std::move(o));
  worker.start();
  CHECK(eventually([&] { return sent.size() == 1; }));
  worker.stop();
}

TEST_CASE(
    "webhook worker: a subscription made under another webhook key never takes the lease, "
    "so a node with the wrong key holds up no other node",
    "[webhook-worker]") {
  TempDir dir;
  commands::EngineOptions options;
  options.dataDir = dir.sub("data");
  auto engine = commands::Engine::open(std::move(options));
  const auto key = WebhookKey::fromBytes(std::string(32, 'k'));
  const auto otherKey = WebhookKey::fromBytes(std::string(32, 'x'));
  for (const auto& [id, fingerprint] :
       {std::pair{"theirs", otherKey.fingerprint()}, std::pair{"ours", key.fingerprint()}}) {
    REQUIRE(engine
                ->execute(command(commands::SubscribeWebhook{
                    id, "http://127.0.0.1:9/h", {"integration.created"}, fingerprint}))
                .ok());
  }
  LocalDeliveryStateStore state(engine->operationalStore());
  SwitchedLease lease;
  Recorded sent;
  DeliveryWorkerOptions o;
  o.poll = std::chrono::milliseconds(5);
  o.retryDelay = [](uint32_t, std::chrono::milliseconds) {
    return std::optional<std::chrono::milliseconds>(std::chrono::milliseconds(5));
  };
  o.makeSender = [&sent](kj::AsyncIoProvider&) -> kj::Own<::pitlog::webhooks::Sender> {
    return kj::heap<RecordingSender>(sent);
  };
  DeliveryWorker worker(*engine, state, lease, key, std::move(o));
  worker.start();
  createIntegration(*engine, "one");
  REQUIRE(eventually([&] { return sent.size() == 1; }));
  const int asked = lease.asked.load();
  CHECK(eventually([&] { return lease.asked.load() >= asked + 20; }));
  worker.stop();
  CHECK(lease.wasAskedFor("ours"));
  CHECK_FALSE(lease.wasAskedFor("theirs"));
}
