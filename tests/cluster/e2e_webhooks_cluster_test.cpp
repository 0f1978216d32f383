// Webhooks in cluster mode (API.md "Token hygiene", issue 11 item 3): three pitd nodes on a
// three-server NATS cluster, sharing one webhook key, and a receiver on loopback. Exactly one node
// delivers the subscription (the lease's holder); every event reaches the receiver signed,
// once and in log order, with repeats only as retries of the same webhook-id; the delivering node
// killed with SIGKILL mid-stream is taken over by another with nothing lost or reordered; and
// every node's deliveries route shows the same shared attempts.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <thread>

#include "support/json.h"
#include "support/nats_cluster.h"
#include "support/pitd_cluster.h"
#include "support/temp_dir.h"
#include "support/webhook_receiver.h"
#include "webhooks/signature.h"

using pitlog::testing::Json;
using pitlog::testing::NatsCluster;
using pitlog::testing::NodeOptions;
using pitlog::testing::PitdCluster;
using pitlog::testing::TempDir;
using pitlog::testing::WebhookDelivery;
using pitlog::testing::WebhookReceiver;
namespace wh = pitlog::webhooks;
using std::chrono::milliseconds;
using std::chrono::seconds;

namespace {

const std::string kHook = "/v1/accounts/acme/webhooks/hook";

std::vector<WebhookDelivery> delivered(const WebhookReceiver& r) {
  std::vector<WebhookDelivery> out;
  for (const auto& d : r.received()) {
    if (d.answered >= 200 && d.answered < 300) out.push_back(d);
  }
  return out;
}

// Distinct webhook-ids answered 2xx.
size_t distinctDelivered(const WebhookReceiver& r) {
  std::set<std::string> ids;
  for (const auto& d : delivered(r)) ids.insert(d.id);
  return ids.size();
}

bool waitUntil(const std::function<bool()>& done, seconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > until) return false;
    std::this_thread::sleep_for(milliseconds(20));
  }
  return true;
}

// The node that acquired the subscription's lease last (the highest term any node's log names)
// and that term; -1 when none did yet. A lease may move under load (a renewal stalled past the
// lease): the term says who holds it now.
std::pair<int, uint64_t> leaseHolder(const PitdCluster& nodes) {
  const std::string line = "webhook delivery lease acquired";
  std::pair<int, uint64_t> best{-1, 0};
  for (int i = 0; i < nodes.size(); ++i) {
    const std::string log = nodes.log(i);
    for (size_t at = log.find(line); at != std::string::npos; at = log.find(line, at + 1)) {
      const size_t term = log.find("term=", at);
      if (term == std::string::npos) continue;
      const uint64_t t = std::stoull(log.substr(term + 5));
      if (t > best.second) best = {i, t};
    }
  }
  return best;
}

}  // namespace

TEST_CASE(
    "webhooks in cluster mode: one node delivers, and killed with SIGKILL mid-stream, "
    "another takes over with nothing lost or reordered, duplicates only as retries of one "
    "webhook-id") {
  TempDir dir("pitlog-cluster-webhooks");
  NatsCluster nats(dir.sub("nats"), 3);
  const std::string keyFile = dir.sub("webhook.key");
  std::vector<NodeOptions> options(3);
  for (auto& o : options) {
    // Scale 0.3: a 3 s lease (renewed every second), long enough that a busy machine's stalls do
    // not move it between nodes before the kill; the receiver never fails, so no retry waits.
    o.extraArgs = {"--webhooks-allow-private", "--webhook-retry-scale-for-tests", "0.3",
                   "--webhook-key", keyFile};
  }
  PitdCluster nodes(dir.path(), nats, 3, options);
  WebhookReceiver receiver;

  auto put = nodes.send(0, "PUT", kHook,
                        R"({"url":")" + receiver.url() + R"(","events":["integration.created"]})");
  REQUIRE(put.status == 201);
  auto secret = wh::parseSecret(Json::parse(put.body)["secret"].str());
  REQUIRE(secret.ok());

  // The integrations' ids in log order (the seq of each one's creation).
  std::map<uint64_t, std::string> created;
  auto createOn = [&](int node, int n) {
    const auto r = nodes.create(node, "acme", "Zapier " + std::to_string(n));
    REQUIRE(r.status == 201);
    created[std::stoull(r.header("x-pitlog-position"))] =
        Json::parse(r.body)["integration"]["id"].str();
  };
  int n = 0;
  for (; n < 15; ++n) createOn(n % 3, n);
  REQUIRE(waitUntil([&] { return distinctDelivered(receiver) >= 5; }, seconds(60)));

  const auto [holder, term] = leaseHolder(nodes);
  REQUIRE(holder >= 0);
  nodes.kill(holder);  // mid-stream: its attempts and its lease die with it
  const int other = (holder + 1) % 3;
  for (; n < 30; ++n) createOn(n % 3 == holder ? other : n % 3, n);

  REQUIRE(waitUntil([&] { return distinctDelivered(receiver) >= created.size(); }, seconds(90)));
  std::this_thread::sleep_for(milliseconds(500));  // nothing more may follow
  const auto [successor, laterTerm] = leaseHolder(nodes);
  CHECK(successor != holder);  // another node took the lease over, with a higher term
  CHECK(laterTerm > term);

  // Every delivery answered 2xx: signed; in arrival order, each webhook-id's first arrival
  // follows the log order; a repeat is the same message (a retry), never another.
  const auto got = delivered(receiver);
  const int64_t now =
      std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  std::map<std::string, std::string> bodyOf;
  std::vector<std::string> firstArrivals;
  size_t duplicates = 0;
  for (const auto& d : got) {
    auto v = wh::verifyMessage(
        kj::arrayPtr(reinterpret_cast<const kj::byte*>(secret.key.data()), secret.key.size()), d.id,
        d.timestamp, d.body, d.signature, now);
    CHECK(v.valid);
    auto [it, fresh] = bodyOf.emplace(d.id, d.body);
    if (fresh) {
      firstArrivals.push_back(d.id);
    } else {
      ++duplicates;
      CHECK(it->second == d.body);
    }
  }
  std::vector<std::string> expected, arrived;
  for (const auto& [seq, id] : created) expected.push_back(id);
  std::vector<uint64_t> seqs;
  for (const auto& id : firstArrivals) {
    const Json body = Json::parse(bodyOf[id]);
    CHECK(body["type"].str() == "integration.created");
    arrived.push_back(body["data"]["integrationId"].str());
    seqs.push_back(static_cast<uint64_t>(body["data"]["seq"].num()));
  }
  CHECK(arrived == expected);  // nothing lost, nothing reordered
  for (size_t i = 1; i < seqs.size(); ++i) CHECK(seqs[i - 1] < seqs[i]);
  size_t lost = 0;
  for (const auto& id : expected) {
    if (std::find(arrived.begin(), arrived.end(), id) == arrived.end()) ++lost;
  }
  std::printf(
      "cluster e2e: webhooks, delivering node killed mid-stream: %zu events, %zu "
      "delivered, lost %zu, duplicates %zu (all retries with the same webhook-id)\n",
      expected.size(), firstArrivals.size(), lost, duplicates);

  // The deliveries route answers from the shared state on every running node, alike.
  std::string first;
  for (int i = 0; i < 3; ++i) {
    if (i == holder) continue;
    const std::string shown = nodes.get(i, kHook + "/deliveries").body;
    const Json d = Json::parse(shown);
    REQUIRE(d["deliveries"].size() >= 1);
    const auto last = d["deliveries"][d["deliveries"].size() - 1];
    CHECK(last["status"].num() == 200);
    CHECK(last["webhookId"].str() == firstArrivals.back());
    if (first.empty()) first = shown;
    CHECK(shown == first);
  }

  nodes.start(holder);  // restarted, it delivers nothing again: the cursor is shared
  std::this_thread::sleep_for(milliseconds(1500));
  CHECK(distinctDelivered(receiver) == expected.size());
  CHECK(delivered(receiver).size() == got.size());
  nodes.stopAndVerifyAll();
}
