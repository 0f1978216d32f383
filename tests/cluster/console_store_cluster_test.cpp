// The console's sign-in links and sessions in cluster mode (API.md "Admin console": sessions hold
// in a cluster on any node): two nodes' stores on one real nats-server and its key-value bucket
// "<stream>_CONSOLE", wired as pitd wires them (ClusterNode::consoleSessionStore) under the rules
// of ConsoleSessions. A link issued on one node signs in on the other, sign-out ends the session on
// both, two nodes racing on one code open exactly one session, nothing in the bucket names a
// secret, and while NATS is down or stopped every call answers unavailable rather than yes or no.
#include <catch2/catch.hpp>

#include <nats/nats.h>

#include <signal.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <functional>
#include <thread>

#include "server/http/console_sessions.h"
#include "support/cluster_engine.h"
#include "support/nats_cluster.h"
#include "support/temp_dir.h"

using namespace pitlog;
using pitlog::testing::eventually;
using pitlog::testing::NatsCluster;
using pitlog::testing::TempDir;
using server::http::ConsoleEntry;
using server::http::ConsoleKey;
using server::http::ConsoleSessions;
using server::http::ConsoleSessionStore;

namespace {

constexpr const char* kStream = "PITLOG_CONSOLE_TEST";
constexpr int64_t kMinute = 60 * 1000;

int64_t wallClock() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(
             std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// One node: its connection (ClusterNode) and its ConsoleSessions over the shared bucket.
struct Node {
  std::unique_ptr<cluster::ClusterNode> cluster;
  std::unique_ptr<ConsoleSessions> sessions;

  Node(const NatsCluster& nats, const std::string& name) {
    cluster = cluster::ClusterNode::connect(pitlog::testing::clusterOptions(nats, name, kStream));
    sessions = std::make_unique<ConsoleSessions>(wallClock, cluster->consoleSessionStore());
  }
  ~Node() { sessions.reset(); }  // the store before the connection it uses
};

struct TwoNodes {
  TempDir dir;
  NatsCluster nats{dir.sub("nats"), 1};
  Node a{nats, "node-a"}, b{nats, "node-b"};
  events::Actor alice{"acme", "alice", events::Role::admin};

  ConsoleSessions::Link issue(Node& node) {
    auto link = node.sessions->issueLink(alice);
    REQUIRE_FALSE(link.unavailable);
    REQUIRE(link.value);
    return *link.value;
  }
};

std::optional<ConsoleSessions::Session> redeem(Node& node, std::string_view code) {
  auto r = node.sessions->redeem(code);
  REQUIRE_FALSE(r.unavailable);
  return r.value;
}

std::optional<events::Actor> authenticate(Node& node, std::string_view id) {
  auto r = node.sessions->authenticate(id);
  REQUIRE_FALSE(r.unavailable);
  return r.value;
}

// Every key and value in the bucket, "key=value" per line (the bucket read directly).
std::string bucketContents(const NatsCluster& nats) {
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, nats.url(0).c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  kvStore* kv = nullptr;
  REQUIRE(js_KeyValue(&kv, js, (std::string(kStream) + "_CONSOLE").c_str()) == NATS_OK);
  kvKeysList keys;
  std::string out;
  if (kvStore_Keys(&keys, kv, nullptr) == NATS_OK) {
    for (int i = 0; i < keys.Count; ++i) {
      kvEntry* e = nullptr;
      if (kvStore_Get(&e, kv, keys.Keys[i]) != NATS_OK) continue;
      out += std::string(keys.Keys[i]) + "=" +
             std::string(static_cast<const char*>(kvEntry_Value(e)), kvEntry_ValueLen(e)) + "\n";
      kvEntry_Destroy(e);
    }
    kvKeysList_Destroy(&keys);
  }
  kvStore_Destroy(kv);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
  return out;
}

// Every thread of `pid` has taken its SIGSTOP (state T in /proc): a thread that was running when
// the signal came may still answer a request until then.
bool allThreadsStopped(pid_t pid) {
  const std::filesystem::path tasks = "/proc/" + std::to_string(pid) + "/task";
  for (const auto& task : std::filesystem::directory_iterator(tasks)) {
    std::ifstream stat(task.path() / "stat");
    std::string line;
    std::getline(stat, line);
    const size_t close = line.rfind(')');  // "pid (comm) state ...": comm may hold spaces
    if (close == std::string::npos || close + 2 >= line.size() || line[close + 2] != 'T') {
      return false;
    }
  }
  return true;
}

// A node's store that runs `afterRead` once, right after its next read: another node acting
// between this node's read and its write, forced rather than hoped for.
class InterleavingStore : public ConsoleSessionStore {
 public:
  explicit InterleavingStore(std::unique_ptr<ConsoleSessionStore> inner)
      : inner_(std::move(inner)) {}
  Status create(const ConsoleKey& k, const ConsoleEntry& e, std::string* error) override {
    return inner_->create(k, e, error);
  }
  Read get(const ConsoleKey& k, std::string* error) override {
    Read r = inner_->get(k, error);
    if (afterRead) std::exchange(afterRead, nullptr)();
    return r;
  }
  Status update(const ConsoleKey& k, const ConsoleEntry& e, uint64_t rev,
                std::string* error) override {
    return inner_->update(k, e, rev, error);
  }
  Status remove(const ConsoleKey& k, std::string* error) override {
    return inner_->remove(k, error);
  }
  std::function<void()> afterRead;

 private:
  std::unique_ptr<ConsoleSessionStore> inner_;
};

}  // namespace

TEST_CASE("cluster console: a link issued on one node signs in on another, sign-out ends it on "
          "both, a used code fails on both") {
  TwoNodes t;
  auto link = t.issue(t.a);
  auto session = redeem(t.b, link.code);
  REQUIRE(session);
  CHECK(session->actor.userId == "alice");
  auto onA = authenticate(t.a, session->id);
  REQUIRE(onA);
  CHECK(onA->accountId == "acme");
  CHECK(onA->role == events::Role::admin);
  CHECK_FALSE(redeem(t.a, link.code));
  CHECK_FALSE(redeem(t.b, link.code));
  CHECK_FALSE(t.a.sessions->end(session->id));
  CHECK_FALSE(authenticate(t.b, session->id));
  CHECK_FALSE(authenticate(t.a, session->id));
}

TEST_CASE("cluster console: the bucket holds digests only, never a code or a session id") {
  TwoNodes t;
  auto link = t.issue(t.a);
  auto unused = t.issue(t.a);
  auto session = redeem(t.b, link.code);
  REQUIRE(session);
  const std::string contents = bucketContents(t.nats);
  CHECK(contents.find(link.code) == std::string::npos);
  CHECK(contents.find(unused.code) == std::string::npos);
  CHECK(contents.find(session->id) == std::string::npos);
  const std::string sessionKey = "session." + events::toHex(events::sha256(session->id));
  CHECK(contents.find(sessionKey + "=acme alice admin ") != std::string::npos);
  CHECK(contents.find("link." + events::toHex(events::sha256(link.code)) + "=acme alice admin ") !=
        std::string::npos);
}

TEST_CASE("cluster console: two stores updating one link over the same revision: one wins") {
  TwoNodes t;
  auto storeA = t.a.cluster->consoleSessionStore();
  auto storeB = t.b.cluster->consoleSessionStore();
  ConsoleKey key{ConsoleKey::Kind::link, events::sha256("a code")};
  ConsoleEntry entry;
  entry.actor = t.alice;
  entry.endsAt = wallClock() + 2 * kMinute;
  std::string error;
  REQUIRE(storeA->create(key, entry, &error) == ConsoleSessionStore::Status::ok);
  CHECK(storeB->create(key, entry, &error) == ConsoleSessionStore::Status::conflict);
  auto readA = storeA->get(key, &error);
  auto readB = storeB->get(key, &error);
  REQUIRE(readA.status == ConsoleSessionStore::Status::ok);
  REQUIRE(readB.status == ConsoleSessionStore::Status::ok);
  CHECK(readA.revision == readB.revision);
  entry.spent = true;
  CHECK(storeB->update(key, entry, readB.revision, &error) == ConsoleSessionStore::Status::ok);
  CHECK(storeA->update(key, entry, readA.revision, &error) ==
        ConsoleSessionStore::Status::conflict);
  auto after = storeA->get(key, &error);
  REQUIRE(after.status == ConsoleSessionStore::Status::ok);
  CHECK(after.entry.spent);
  // A deleted key is missing, and an update over its last revision conflicts.
  CHECK(storeA->remove(key, &error) == ConsoleSessionStore::Status::ok);
  CHECK(storeB->get(key, &error).status == ConsoleSessionStore::Status::missing);
  CHECK(storeB->update(key, entry, after.revision, &error) ==
        ConsoleSessionStore::Status::conflict);
}

TEST_CASE("cluster console: a node that read a code unspent loses to the node that spent it "
          "meanwhile, and a refresh never undoes a sign-out made meanwhile") {
  TwoNodes t;
  // Node B, with another node acting right after each of its reads; its clock 5 minutes ahead,
  // so that a session it reads is due for a refresh.
  auto store = std::make_unique<InterleavingStore>(t.b.cluster->consoleSessionStore());
  InterleavingStore& interleaved = *store;
  ConsoleSessions nodeB([] { return wallClock() + 5 * kMinute; }, std::move(store));

  auto link = t.issue(t.a);
  std::optional<ConsoleSessions::Session> onA;
  interleaved.afterRead = [&] { onA = redeem(t.a, link.code); };
  auto onB = nodeB.redeem(link.code);
  CHECK_FALSE(onB.unavailable);
  CHECK_FALSE(onB.value);
  REQUIRE(onA);
  CHECK(authenticate(t.b, onA->id));

  interleaved.afterRead = [&] { CHECK_FALSE(t.a.sessions->end(onA->id)); };
  auto refreshed = nodeB.authenticate(onA->id);
  CHECK_FALSE(refreshed.unavailable);
  CHECK_FALSE(refreshed.value);
  CHECK_FALSE(authenticate(t.a, onA->id));
  CHECK_FALSE(authenticate(t.b, onA->id));
}

TEST_CASE("cluster console: two nodes racing to redeem one code open exactly one session") {
  TwoNodes t;
  for (int round = 0; round < 20; ++round) {
    auto link = t.issue(round % 2 == 0 ? t.a : t.b);
    std::atomic<bool> go{false};
    std::optional<ConsoleSessions::Session> fromA, fromB;
    bool downA = false, downB = false;
    auto race = [&go, &link](Node& node, std::optional<ConsoleSessions::Session>& out, bool& down) {
      while (!go.load()) std::this_thread::yield();
      auto r = node.sessions->redeem(link.code);
      out = r.value;
      down = r.unavailable.has_value();
    };
    std::thread ta(race, std::ref(t.a), std::ref(fromA), std::ref(downA));
    std::thread tb(race, std::ref(t.b), std::ref(fromB), std::ref(downB));
    go = true;
    ta.join();
    tb.join();
    INFO("round " << round);
    CHECK_FALSE(downA);
    CHECK_FALSE(downB);
    CHECK(int(fromA.has_value()) + int(fromB.has_value()) == 1);
  }
}

TEST_CASE("cluster console: the bucket's TTL is the sessions' 12-hour cap") {
  TwoNodes t;
  (void)t.issue(t.a);  // creates the bucket
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, t.nats.url(0).c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  jsStreamInfo* info = nullptr;
  REQUIRE(js_GetStreamInfo(&info, js, (std::string("KV_") + kStream + "_CONSOLE").c_str(), nullptr,
                           nullptr) == NATS_OK);
  CHECK(info->Config->MaxAge == int64_t(ConsoleSessions::kMaxLifetimeMs) * 1'000'000);
  CHECK(info->Config->MaxMsgsPerSubject == 1);
  jsStreamInfo_Destroy(info);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

TEST_CASE("cluster console: with NATS down every call is unavailable, and once it is back nothing "
          "was lost or spent") {
  TwoNodes t;
  auto link = t.issue(t.a);
  auto session = redeem(t.a, t.issue(t.a).code);
  REQUIRE(session);
  t.nats.kill(0);
  REQUIRE(
      eventually([&] { return t.a.sessions->authenticate(session->id).unavailable.has_value(); }));
  auto known = t.a.sessions->authenticate(session->id);
  CHECK_FALSE(known.value);
  CHECK(known.unavailable);
  auto redeemed = t.b.sessions->redeem(link.code);
  CHECK_FALSE(redeemed.value);
  CHECK(redeemed.unavailable);
  auto issued = t.b.sessions->issueLink(t.alice);
  CHECK_FALSE(issued.value);
  CHECK(issued.unavailable);
  CHECK(t.b.sessions->end(session->id));
  t.nats.restart(0);
  REQUIRE(eventually([&] { return t.b.sessions->authenticate(session->id).value.has_value(); }));
  CHECK(redeem(t.b, link.code));
}

TEST_CASE("cluster console: a value pitd never writes grants nothing") {
  TwoNodes t;
  auto store = t.a.cluster->consoleSessionStore();
  (void)t.issue(t.a);  // creates the bucket
  natsConnection* nc = nullptr;
  REQUIRE(natsConnection_ConnectTo(&nc, t.nats.url(0).c_str()) == NATS_OK);
  jsCtx* js = nullptr;
  REQUIRE(natsConnection_JetStream(&js, nc, nullptr) == NATS_OK);
  kvStore* kv = nullptr;
  REQUIRE(js_KeyValue(&kv, js, (std::string(kStream) + "_CONSOLE").c_str()) == NATS_OK);
  const std::string id = "forged-session-id";
  const std::string key = "session." + events::toHex(events::sha256(id));
  for (const char* value : {"acme alice system 9999999999999 9999999999999 0", "acme alice admin",
                            "acme alice admin x 9999999999999 0", ""}) {
    uint64_t rev = 0;
    REQUIRE(kvStore_PutString(&rev, kv, key.c_str(), value) == NATS_OK);
    INFO(value);
    CHECK_FALSE(authenticate(t.a, id));
  }
  kvStore_Destroy(kv);
  jsCtx_Destroy(js);
  natsConnection_Destroy(nc);
}

TEST_CASE("cluster console: a NATS server that stops answering makes calls unavailable, "
          "not stuck") {
  TwoNodes t;
  auto session = redeem(t.a, t.issue(t.a).code);
  REQUIRE(session);
  // Stopped with its connections open, as behind a partition: the client still thinks it is
  // connected, so each request waits for its bounded answer (kRequestWait) and then gives up.
  ::kill(t.nats.pid(0), SIGSTOP);
  REQUIRE(eventually([&] { return allThreadsStopped(t.nats.pid(0)); }));
  auto known = t.a.sessions->authenticate(session->id);
  auto issued = t.b.sessions->issueLink(t.alice);
  ::kill(t.nats.pid(0), SIGCONT);
  CHECK_FALSE(known.value);
  CHECK(known.unavailable);
  CHECK_FALSE(issued.value);
  CHECK(issued.unavailable);
  REQUIRE(eventually([&] { return t.a.sessions->authenticate(session->id).value.has_value(); }));
}
