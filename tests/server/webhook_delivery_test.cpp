// The webhook delivery pieces in-process: which webhook type each log event is, the payload and
// webhook-id (stable, never a token), the next message of a subscription (its account, its types,
// after its cursor), the master key's derivations, and the worker against a test double of the
// transport's Sender: in log order, retried with the same id, given up and moved on, stopped for
// a removed subscription, resumed after a restart.
#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <deque>
#include <fstream>
#include <mutex>
#include <thread>

#include "commands/engine.h"
#include "commands/webhook_types.h"
#include "events/digest.h"
#include "server/webhooks/delivery_worker.h"
#include "server/webhooks/reminders.h"
#include "server/webhooks/webhook_key.h"
#include "server/webhooks/webhook_message.h"
#include "support/temp_dir.h"

namespace cmd = pitlog::commands;
namespace ev = pitlog::events;
namespace wh = pitlog::server::webhooks;
using pitlog::testing::TempDir;
using std::chrono::milliseconds;

namespace {


cmd::CommandResult run(cmd::Engine& e, const std::string& account, cmd::Action action) {
  cmd::Command c;
  c.accountId = account;
  c.actor = {account, "alice", ev::Role::admin};
  c.action = std::move(action);
  return e.execute(std::move(c));
}

cmd::CommandResult subscribe(cmd::Engine& e, const wh::WebhookKey& key, const std::string& id,
                             std::vector<std::string> types,
                             const std::string& account = "acct-1") {
  cmd::SubscribeWebhook s{id, "https://example.com/" + id, std::move(types), key.fingerprint()};
  auto r = run(e, account, std::move(s));
  REQUIRE(r.ok());
  return r;
}

std::string created(cmd::Engine& e, const std::string& account = "acct-1") {
  auto r = run(e, account, cmd::CreateIntegration{"Zapier", "", {"contacts.readonly"}});
  REQUIRE(r.ok());
  return r.integration->id;
}

std::vector<ev::DecodedEvent> events(const cmd::Engine& e) {
  std::vector<ev::DecodedEvent> out;
  for (uint64_t seq = 1; seq <= e.lastSeq(); ++seq) {
    std::string error;
    out.push_back(*ev::DecodedEvent::decode(
        *e.store().get(ev::keys::Family::events, ev::keys::eventKey(seq)), &error));
  }
  return out;
}

// The transport's seam, scripted: answers the next status (200 when the script is used up).
class FakeSender : public pitlog::webhooks::Sender {
 public:
  struct Sent {
    pitlog::webhooks::WebhookMessage message;
    std::string secret;
  };
  kj::Promise<pitlog::webhooks::AttemptResult> send(const pitlog::webhooks::WebhookMessage& m,
                                                    kj::ArrayPtr<const kj::byte> secret) override {
    std::lock_guard<std::mutex> lock(mu);
    sent.push_back({m, std::string(secret.asChars().begin(), secret.size())});
    int status = 200;
    if (!script.empty()) {
      status = script.front();
      script.pop_front();
    }
    pitlog::webhooks::AttemptResult r;
    if (status == 0) {
      r.error = "connection refused";
    } else {
      r.status = status;
    }
    return r;
  }
  std::vector<Sent> snapshot() {
    std::lock_guard<std::mutex> lock(mu);
    return sent;
  }
  std::mutex mu;
  std::deque<int> script;
  std::vector<Sent> sent;
};

std::vector<FakeSender::Sent> waitSent(FakeSender& s, size_t n) {
  for (int i = 0; i < 500; ++i) {
    auto got = s.snapshot();
    if (got.size() >= n) return got;
    std::this_thread::sleep_for(milliseconds(10));
  }
  return s.snapshot();
}

// The worker over an engine, with a fake sender shared with the test (owned by it).
struct WorkerRig {
  wh::LocalDeliveryStateStore state;
  wh::SingleNodeLease lease;
  wh::DeliveryWorker worker;
  WorkerRig(cmd::Engine& engine, const wh::WebhookKey& key, FakeSender& sender,
            uint32_t giveUpAfter)
      : state(engine.operationalStore()), worker(engine, state, lease, key, [&sender, giveUpAfter] {
          wh::DeliveryWorkerOptions o;
          o.poll = milliseconds(10);
          o.retryDelay = [giveUpAfter](uint32_t failed,
                                       milliseconds) -> std::optional<milliseconds> {
            if (failed >= giveUpAfter) return std::nullopt;
            return milliseconds(5);
          };
          o.makeSender = [&sender](kj::AsyncIoProvider&) {
            return kj::Own<pitlog::webhooks::Sender>(&sender, kj::NullDisposer::instance);
          };
          return o;
        }()) {
    worker.start();
  }
};

std::string typeIn(const FakeSender::Sent& s) {
  auto at = s.message.body.find("\"type\":\"") + 8;
  return s.message.body.substr(at, s.message.body.find('"', at) - at);
}

}  // namespace

TEST_CASE("webhook types: each log event maps to its API type - permissions and webhooks to none") {
  TempDir dir;
  cmd::EngineOptions o;
  o.dataDir = dir.str();
  o.sync = false;
  auto e = cmd::Engine::open(o);
  const std::string id = created(*e);
  REQUIRE(run(*e, "acct-1", cmd::EditIntegration{id, "Z2", std::nullopt, std::nullopt}).ok());
  REQUIRE(run(*e, "acct-1", cmd::RotateToken{id, cmd::ExpireMode::later}).ok());
  REQUIRE(run(*e, "acct-1", cmd::CancelRotation{id}).ok());
  REQUIRE(run(*e, "acct-1", cmd::RotateToken{id, cmd::ExpireMode::now}).ok());  // + Expired
  REQUIRE(run(*e, "acct-1", cmd::SetPermission{"bob", true}).ok());
  REQUIRE(run(*e, "acct-1", cmd::DeleteIntegration{id}).ok());
  std::vector<std::string> types;
  for (const auto& ev : events(*e)) {
    auto t = cmd::webhookTypeOf(ev.reader());
    types.push_back(t ? std::string(*t) : "-");
  }
  CHECK(types == std::vector<std::string>{"integration.created", "integration.updated",
                                          "token.rotated", "rotation.cancelled", "token.rotated",
                                          "token.expired", "-", "integration.deleted"});
  for (const auto& t : cmd::webhookEventTypes()) CHECK(cmd::isWebhookEventType(t));
  CHECK_FALSE(cmd::isWebhookEventType("Created"));
}

TEST_CASE(
    "webhook payload and id: the API's shape, tokens by tokenId only - the id is stable per "
    "event and subscription and differs across subscriptions") {
  TempDir dir;
  cmd::EngineOptions o;
  o.dataDir = dir.str();
  o.sync = false;
  auto e = cmd::Engine::open(o);
  auto create = run(*e, "acct-1", cmd::CreateIntegration{"Zapier", "", {"contacts.readonly"}});
  REQUIRE(create.ok());
  auto all = events(*e);
  const std::string body = wh::payloadFor(all[0].reader(), "integration.created");
  const std::string tokenId = ev::tokenIdOf(ev::sha256(*create.token));
  CHECK(body == "{\"type\":\"integration.created\",\"timestamp\":\"" +
                    ev::formatRfc3339(all[0].reader().getAt()) +
                    "\",\"data\":{\"accountId\":\"acct-1\",\"integrationId\":\"" +
                    create.integration->id + "\",\"tokenId\":\"" + tokenId + "\",\"seq\":1}}");
  CHECK(body.find(*create.token) == std::string::npos);

  pitlog::projections::WebhookView a, b;
  a.accountId = b.accountId = "acct-1";
  a.webhookId = "a";
  b.webhookId = "b";
  a.secretEventId = b.secretEventId = std::string(16, '\1');
  const std::string eventId(16, '\2');
  CHECK(wh::messageIdFor(a, eventId) == wh::messageIdFor(a, eventId));
  CHECK(wh::messageIdFor(a, eventId) != wh::messageIdFor(b, eventId));
  CHECK(wh::messageIdFor(a, eventId) != wh::messageIdFor(a, std::string(16, '\3')));
  CHECK(wh::messageIdFor(a, eventId).size() == 4 + 32);
}

TEST_CASE(
    "next message: the subscription's account only, the types it wants, after its cursor, "
    "up to the durable end - the cursor may skip what it does not want") {
  TempDir dir;
  cmd::EngineOptions o;
  o.dataDir = dir.str();
  o.sync = false;
  auto e = cmd::Engine::open(o);
  auto key = wh::WebhookKey::fromBytes(std::string(32, 'k'));
  auto sub = subscribe(*e, key, "hook", {"integration.deleted"});  // seq 1
  const std::string mine = created(*e);                            // 2: not wanted
  created(*e, "acct-2");                                           // 3: another account
  REQUIRE(run(*e, "acct-1", cmd::DeleteIntegration{mine}).ok());   // 4: wanted
  const auto& view = *sub.webhook;

  auto next = wh::nextMessage(e->store(), view, view.createdSeq, e->lastSeq());
  REQUIRE(next.message);
  CHECK(next.message->seq == 4);
  CHECK(next.message->type == "integration.deleted");
  CHECK(next.scannedTo == 3);
  auto none = wh::nextMessage(e->store(), view, 4, e->lastSeq());
  CHECK_FALSE(none.message);
  CHECK(none.scannedTo == 4);
  // Bounded by upTo: an event past it is not seen yet.
  auto early = wh::nextMessage(e->store(), view, 1, 3);
  CHECK_FALSE(early.message);
  CHECK(early.scannedTo == 3);
}

TEST_CASE(
    "webhook key: created 0600 once and read back the same - fingerprints differ per key - "
    "each subscription's secret differs - a damaged file is refused without quoting it") {
  TempDir dir;
  const std::string path = dir.sub("webhook.key");
  bool createdNow = false;
  auto k1 = wh::WebhookKey::loadOrCreate(path, &createdNow);
  CHECK(createdNow);
  struct stat st {};
  REQUIRE(::stat(path.c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
  auto k2 = wh::WebhookKey::loadOrCreate(path, &createdNow);
  CHECK_FALSE(createdNow);
  CHECK(k1.fingerprint() == k2.fingerprint());
  CHECK(k1.secretFor("a", "w", "e") == k2.secretFor("a", "w", "e"));
  CHECK(k1.secretFor("a", "w", "e") != k1.secretFor("a", "w", "f"));
  CHECK(k1.secretFor("a", "w", "e") != k1.secretFor("b", "w", "e"));
  CHECK(k1.secretFor("a", "w", "e") != k1.secretFor("a", "x", "e"));
  CHECK(k1.fingerprint() != wh::WebhookKey::fromBytes(std::string(32, 'x')).fingerprint());

  const std::string bad = dir.sub("bad.key");
  std::ofstream(bad) << "pwk_secretstuff\n";
  try {
    wh::WebhookKey::loadOrCreate(bad, &createdNow);
    FAIL("a damaged key file was accepted");
  } catch (const std::runtime_error& e) {
    CHECK(std::string(e.what()).find("secretstuff") == std::string::npos);
  }
}

TEST_CASE(
    "delivery worker: in log order, one at a time - a failure is retried with the same id "
    "and body - the secret is the key's derivation - a removed subscription gets nothing more") {
  TempDir dir;
  cmd::EngineOptions o;
  o.dataDir = dir.str();
  o.sync = false;
  auto e = cmd::Engine::open(o);
  auto key = wh::WebhookKey::fromBytes(std::string(32, 'k'));
  auto sub = subscribe(*e, key, "hook", {"integration.created", "integration.deleted"});
  FakeSender sender;
  sender.script = {500, 0};  // the first message fails twice
  WorkerRig rig(*e, key, sender, 10);
  const std::string a = created(*e);
  REQUIRE(run(*e, "acct-1", cmd::DeleteIntegration{a}).ok());
  const std::string b = created(*e);
  auto sent = waitSent(sender, 5);
  REQUIRE(sent.size() == 5);
  CHECK(sent[0].message.id == sent[1].message.id);
  CHECK(sent[1].message.id == sent[2].message.id);
  CHECK(sent[0].message.body == sent[2].message.body);
  CHECK(typeIn(sent[2]) == "integration.created");
  CHECK(typeIn(sent[3]) == "integration.deleted");
  CHECK(sent[4].message.body.find(b) != std::string::npos);
  const auto secret = key.secretFor("acct-1", "hook", sub.webhook->secretEventId);
  CHECK(sent[0].secret == std::string(secret.begin(), secret.end()));
  auto attempts = rig.state.attempts({"acct-1", "hook"});
  REQUIRE(attempts.size() == 5);
  CHECK(attempts[0].status == 500);
  CHECK(attempts[0].nextRetryAt != 0);
  CHECK(attempts[1].error == "connection refused");
  CHECK(attempts[2].status == 200);

  REQUIRE(run(*e, "acct-1", cmd::RemoveWebhook{"hook"}).ok());
  created(*e);
  std::this_thread::sleep_for(milliseconds(200));
  CHECK(sender.snapshot().size() == 5);
}

TEST_CASE(
    "delivery worker: a message whose retries run out is given up, recorded, and the next "
    "follows - a subscription under another key is not delivered") {
  TempDir dir;
  cmd::EngineOptions o;
  o.dataDir = dir.str();
  o.sync = false;
  auto e = cmd::Engine::open(o);
  auto key = wh::WebhookKey::fromBytes(std::string(32, 'k'));
  auto other = wh::WebhookKey::fromBytes(std::string(32, 'o'));
  subscribe(*e, key, "hook", {"integration.created"});
  subscribe(*e, other, "elsewhere", {"integration.created"});
  FakeSender sender;
  sender.script = {500, 500};
  WorkerRig rig(*e, key, sender, 2);
  created(*e);
  created(*e);
  auto sent = waitSent(sender, 3);
  std::this_thread::sleep_for(milliseconds(100));
  sent = sender.snapshot();
  REQUIRE(sent.size() == 3);  // two attempts of the first, then the second; none for "elsewhere"
  CHECK(sent[0].message.id == sent[1].message.id);
  CHECK(sent[2].message.id != sent[0].message.id);
  for (const auto& s : sent) CHECK(s.message.url == "https://example.com/hook");
  auto attempts = rig.state.attempts({"acct-1", "hook"});
  REQUIRE(attempts.size() == 3);
  CHECK(attempts[1].gaveUp);
  CHECK(attempts[1].nextRetryAt == 0);
  CHECK(rig.worker.gaveUp() == 1);
}

TEST_CASE(
    "delivery worker: stopped mid-retry, a new worker resumes the same message with the same "
    "id, nothing lost or reordered") {
  TempDir dir;
  cmd::EngineOptions o;
  o.dataDir = dir.str();
  o.sync = false;
  auto e = cmd::Engine::open(o);
  auto key = wh::WebhookKey::fromBytes(std::string(32, 'k'));
  subscribe(*e, key, "hook", {"integration.created"});
  const std::string a = created(*e);
  const std::string b = created(*e);
  std::string firstId;
  {
    FakeSender sender;
    sender.script = {500, 500, 500, 500, 500, 500, 500, 500};
    WorkerRig rig(*e, key, sender, 1000);
    auto sent = waitSent(sender, 2);
    REQUIRE(sent.size() >= 2);
    firstId = sent[0].message.id;
    rig.worker.stop();
  }
  FakeSender sender;
  WorkerRig rig(*e, key, sender, 1000);
  auto sent = waitSent(sender, 2);
  REQUIRE(sent.size() == 2);
  CHECK(sent[0].message.id == firstId);
  CHECK(sent[0].message.body.find(a) != std::string::npos);
  CHECK(sent[1].message.body.find(b) != std::string::npos);
}

TEST_CASE(
    "reminders: rotation.due when a current token reaches its age - window_ending 24 h before "
    "a previous token's deadline (at once for a shorter window), never after it") {
  namespace proj = pitlog::projections;
  proj::TokenEntry current{"int_1", "acct-1", proj::TokenState::current, 1000, std::nullopt, {}};
  CHECK_FALSE(wh::reminderDue(current, 1999, 1000));
  auto due = wh::reminderDue(current, 2000, 1000);
  REQUIRE(due);
  CHECK(due->type == "rotation.due");
  CHECK(due->dueAt == 2000);

  const int64_t day = wh::kWindowEndingNoticeMs;
  proj::TokenEntry previous{"int_1", "acct-1", proj::TokenState::previous, 0, 10 * day, {}};
  CHECK_FALSE(wh::reminderDue(previous, 9 * day - 1, 1000));
  auto ending = wh::reminderDue(previous, 9 * day, 1000);
  REQUIRE(ending);
  CHECK(ending->type == "rotation.window_ending");
  CHECK_FALSE(wh::reminderDue(previous, 10 * day, 1000));  // expired: nothing to warn of
  proj::TokenEntry shortWindow{"int_1", "acct-1", proj::TokenState::previous, 500, 3000, {}};
  CHECK(wh::reminderDue(shortWindow, 600, 1'000'000));  // a 2.5 s window: at once

  const ev::Digest digest = ev::sha256("t");
  const std::string body = wh::reminderPayload(*due, current, digest);
  CHECK(body ==
        "{\"type\":\"rotation.due\",\"timestamp\":\"" + ev::formatRfc3339(2000) +
            "\",\"data\":{\"accountId\":\"acct-1\",\"integrationId\":\"int_1\",\"tokenId\":\"" +
            ev::tokenIdOf(digest) + "\",\"issuedAt\":\"" + ev::formatRfc3339(1000) + "\"}}");
}
