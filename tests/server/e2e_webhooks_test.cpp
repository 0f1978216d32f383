// Webhooks (API.md "Token hygiene") against the real pitd and a receiver on loopback that the
// test starts: every signature is checked with the transport's verifyMessage() and the secret the
// subscription's creation showed; every event type arrives once per subscription, in log order;
// a receiver that is down, answers 500 or hangs gets the same message (same webhook-id) again
// until it takes it; a pitd stopped mid-retry resumes the same message after its restart; the
// SSRF guard refuses a loopback target without --webhooks-allow-private; a removed subscription
// gets nothing more; another account neither sees nor removes it; the secret is shown once and
// is nowhere on disk or in the log.
#include <catch2/catch.hpp>

#include <algorithm>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <thread>

#include "support/test_server.h"
#include "support/webhook_receiver.h"
#include "pit_dump.h"
#include "pit_replay.h"
#include "webhooks/signature.h"

using namespace pitlog::testing;
namespace wh = pitlog::webhooks;

namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;

const std::vector<std::string> kFast = {"--webhooks-allow-private",
                                        "--webhook-retry-scale-for-tests", "0.001"};

std::string webhookPath(const std::string& account, const std::string& id = {},
                        const std::string& suffix = {}) {
  std::string p = "/v1/accounts/" + account + "/webhooks";
  if (!id.empty()) p += "/" + id + suffix;
  return p;
}

std::string subscription(const std::string& url, const std::vector<std::string>& types) {
  std::string events;
  for (const auto& t : types) events += (events.empty() ? "\"" : ",\"") + t + "\"";
  return R"({"url":")" + url + R"(","events":[)" + events + "]}";
}

const std::vector<std::string> kAllTypes = {
    "integration.created", "integration.updated", "token.rotated",      "rotation.cancelled",
    "token.expired",       "token.revoked",       "integration.deleted"};

// PUTs a new subscription; REQUIREs 201 and returns its secret's key bytes.
std::string subscribe(TestServer& s, const std::string& account, const std::string& id,
                      const std::string& url, const std::vector<std::string>& types) {
  HttpResponse r = s.send("PUT", webhookPath(account, id), subscription(url, types));
  REQUIRE(r.status == 201);
  CHECK(r.header("cache-control") == "no-store");
  auto parsed = wh::parseSecret(Json::parse(r.body)["secret"].str());
  REQUIRE(parsed.ok());
  return parsed.key;
}

std::string typeOf(const WebhookDelivery& d) { return Json::parse(d.body)["type"].str(); }

// Every delivery is signed with `key` per Standard Webhooks.
void checkSigned(const std::vector<WebhookDelivery>& got, const std::string& key) {
  const int64_t now =
      std::chrono::duration_cast<seconds>(std::chrono::system_clock::now().time_since_epoch())
          .count();
  for (const auto& d : got) {
    auto v =
        wh::verifyMessage(kj::arrayPtr(reinterpret_cast<const kj::byte*>(key.data()), key.size()),
                          d.id, d.timestamp, d.body, d.signature, now);
    INFO(d.id << " " << v.reason);
    CHECK(v.valid);
  }
}

// The deliveries that were answered 2xx, in arrival order.
std::vector<WebhookDelivery> delivered(const std::vector<WebhookDelivery>& got) {
  std::vector<WebhookDelivery> out;
  for (const auto& d : got) {
    if (d.answered >= 200 && d.answered < 300) out.push_back(d);
  }
  return out;
}

std::vector<WebhookDelivery> waitDelivered(WebhookReceiver& r, size_t n, milliseconds bound) {
  const auto until = std::chrono::steady_clock::now() + bound;
  for (;;) {
    auto got = delivered(r.received());
    if (got.size() >= n || std::chrono::steady_clock::now() > until) return got;
    std::this_thread::sleep_for(milliseconds(20));
  }
}

std::string readAll(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return std::string(std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>());
}

}  // namespace

TEST_CASE(
    "webhooks: every event type arrives once per subscription, in log order, signed with "
    "the secret shown at creation - a subscription gets only the types it asked for") {
  WebhookReceiver all, rotations;
  TestServer s(kFast);
  const std::string keyAll = subscribe(s, "acct-1", "all", all.url(), kAllTypes);
  const std::string keyRot = subscribe(s, "acct-1", "rot", rotations.url(), {"token.rotated"});
  CHECK(keyAll != keyRot);

  const Created a = s.create("acct-1");
  const Created other = s.create("acct-2");  // another account's: never delivered here
  REQUIRE(s.send("PATCH", integrationsPath("acct-1", a.id), R"({"name":"Zapier 2"})").status ==
          200);
  REQUIRE(
      s.send("POST", integrationsPath("acct-1", a.id, "/rotate"), R"({"expire":"later"})").status ==
      200);
  REQUIRE(s.send("POST", integrationsPath("acct-1", a.id, "/rotation/cancel")).status == 200);
  HttpResponse rotated =
      s.send("POST", integrationsPath("acct-1", a.id, "/rotate"), R"({"expire":"later"})");
  REQUIRE(rotated.status == 200);
  REQUIRE(s.send("POST", integrationsPath("acct-1", a.id, "/rotation/expire-now")).status == 200);
  const std::string current = Json::parse(rotated.body)["token"].str();
  REQUIRE(s.send("POST", "/v1/revoke", R"({"token":")" + current + R"("})", std::nullopt).status ==
          200);
  REQUIRE(s.send("DELETE", integrationsPath("acct-1", a.id)).status == 204);

  const std::vector<std::string> expected = {
      "integration.created", "integration.updated", "token.rotated", "rotation.cancelled",
      "token.rotated",       "token.expired",       "token.revoked", "integration.deleted"};
  auto got = waitDelivered(all, expected.size(), seconds(20));
  std::this_thread::sleep_for(milliseconds(300));  // nothing more may follow
  got = delivered(all.received());
  std::vector<std::string> types;
  uint64_t lastSeq = 0;
  for (const auto& d : got) {
    types.push_back(typeOf(d));
    const Json body = Json::parse(d.body);
    CHECK(body["data"]["accountId"].str() == "acct-1");
    CHECK(body["data"]["integrationId"].str() == a.id);
    const auto seq = static_cast<uint64_t>(body["data"]["seq"].num());
    CHECK(seq > lastSeq);  // log order
    lastSeq = seq;
    CHECK(d.body.find("pit_") == std::string::npos);  // never a token
    CHECK(d.id.rfind("msg_", 0) == 0);
  }
  CHECK(types == expected);
  checkSigned(all.received(), keyAll);

  auto rot = waitDelivered(rotations, 2, seconds(20));
  std::this_thread::sleep_for(milliseconds(300));
  rot = delivered(rotations.received());
  REQUIRE(rot.size() == 2);
  for (const auto& d : rot) CHECK(typeOf(d) == "token.rotated");
  checkSigned(rot, keyRot);
  // The same event to two subscriptions: two different webhook-ids.
  CHECK(rot[0].id != got[2].id);
  CHECK(Json::parse(rot[0].body)["data"]["seq"].num() ==
        Json::parse(got[2].body)["data"]["seq"].num());
}

TEST_CASE(
    "webhooks: a receiver that answers 500, is down, or hangs gets the same message again "
    "(same webhook-id) until it takes it, and the deliveries route shows the attempts") {
  WebhookReceiver r;
  TestServer s(kFast);
  const std::string key = subscribe(s, "acct-1", "hook", r.url(), {"integration.created"});

  SECTION("500, then 200") {
    r.script({500, 500});
    s.create("acct-1");
    auto ok = waitDelivered(r, 1, seconds(20));
    REQUIRE(ok.size() == 1);
    auto all = r.received();
    REQUIRE(all.size() == 3);
    CHECK(all[0].answered == 500);
    CHECK(all[0].id == all[1].id);
    CHECK(all[1].id == all[2].id);
    CHECK(all[0].body == all[2].body);
    checkSigned(all, key);
    // The receiver has the third attempt before the worker has recorded its answer (on a cluster
    // node, in the bucket beside the stream): wait for the route to show it.
    const auto until = std::chrono::steady_clock::now() + seconds(10);
    Json d = Json::parse(s.get(webhookPath("acct-1", "hook", "/deliveries")).body);
    while (d["deliveries"].size() < 3 && std::chrono::steady_clock::now() < until) {
      std::this_thread::sleep_for(milliseconds(50));
      d = Json::parse(s.get(webhookPath("acct-1", "hook", "/deliveries")).body);
    }
    CHECK(d["state"].str() == "delivering");
    REQUIRE(d["deliveries"].size() == 3);
    CHECK(d["deliveries"][0]["status"].num() == 500);
    CHECK(d["deliveries"][0]["nextRetryAt"].isString());
    CHECK(d["deliveries"][0]["type"].str() == "integration.created");
    CHECK(d["deliveries"][0]["webhookId"].str() == all[0].id);
    CHECK(d["deliveries"][2]["status"].num() == 200);
    CHECK(d["deliveries"][2]["nextRetryAt"].isNull());
    const std::string metrics = s.get("/metrics", std::nullopt).body;
    CHECK(metrics.find("pitlog_webhook_attempts_total{outcome=\"failed\"} 2\n") !=
          std::string::npos);
    CHECK(metrics.find("pitlog_webhook_attempts_total{outcome=\"delivered\"} 1\n") !=
          std::string::npos);
  }
  SECTION("down, then up") {
    r.down();
    s.create("acct-1");
    // Wait for failed attempts on record (connection refused), then bring the receiver back.
    const auto until = std::chrono::steady_clock::now() + seconds(20);
    Json d;
    do {
      std::this_thread::sleep_for(milliseconds(50));
      d = Json::parse(s.get(webhookPath("acct-1", "hook", "/deliveries")).body);
    } while (d["deliveries"].size() < 2 && std::chrono::steady_clock::now() < until);
    REQUIRE(d["deliveries"].size() >= 2);
    CHECK(d["deliveries"][0]["status"].isNull());
    CHECK(d["deliveries"][0]["error"].isString());
    const std::string id = d["deliveries"][0]["webhookId"].str();
    r.up();
    auto ok = waitDelivered(r, 1, seconds(20));
    REQUIRE(ok.size() == 1);
    CHECK(ok[0].id == id);
    checkSigned(ok, key);
  }
  SECTION("hangs, then answers") {
    r.setHang(true);
    s.create("acct-1");
    REQUIRE(r.waitFor(1, seconds(20)).size() >= 1);
    // The sender cuts the hung attempt at its timeout and retries.
    REQUIRE(r.waitFor(2, seconds(30)).size() >= 2);
    r.setHang(false);
    auto ok = waitDelivered(r, 1, seconds(30));
    REQUIRE(ok.size() == 1);
    CHECK(ok[0].id == r.received()[0].id);
    const Json d = Json::parse(s.get(webhookPath("acct-1", "hook", "/deliveries")).body);
    CHECK(d["deliveries"][0]["error"].str().find("timed out") != std::string::npos);
  }
}

TEST_CASE(
    "webhooks: pitd stopped mid-retry resumes the same message after its restart, nothing "
    "lost or reordered") {
  WebhookReceiver r;
  TestServer s(kFast);
  subscribe(s, "acct-1", "hook", r.url(), {"integration.created", "integration.deleted"});
  r.down();
  const Created a = s.create("acct-1");
  REQUIRE(s.send("DELETE", integrationsPath("acct-1", a.id)).status == 204);
  const Created b = s.create("acct-1");
  const auto until = std::chrono::steady_clock::now() + seconds(20);
  Json d;
  do {
    std::this_thread::sleep_for(milliseconds(50));
    d = Json::parse(s.get(webhookPath("acct-1", "hook", "/deliveries")).body);
  } while (d["deliveries"].size() < 1 && std::chrono::steady_clock::now() < until);
  REQUIRE(d["deliveries"].size() >= 1);
  const std::string firstId = d["deliveries"][0]["webhookId"].str();
  REQUIRE(s.stop() == 0);
  r.up();
  s.start();
  auto ok = waitDelivered(r, 3, seconds(20));
  std::this_thread::sleep_for(milliseconds(300));
  ok = delivered(r.received());
  REQUIRE(ok.size() == 3);
  CHECK(ok[0].id == firstId);
  CHECK(typeOf(ok[0]) == "integration.created");
  CHECK(Json::parse(ok[0].body)["data"]["integrationId"].str() == a.id);
  CHECK(typeOf(ok[1]) == "integration.deleted");
  CHECK(Json::parse(ok[2].body)["data"]["integrationId"].str() == b.id);
}

TEST_CASE(
    "webhooks: a loopback target is refused without --webhooks-allow-private (400 url, "
    "nothing appended) - bad event lists are 400 events") {
  TestServer s;
  const uint64_t before = s.lastSeq();
  HttpResponse r = s.send("PUT", webhookPath("acct-1", "hook"),
                          subscription("https://127.0.0.1/hook", {"integration.created"}));
  CHECK(r.status == 400);
  CHECK(Json::parse(r.body)["error"]["field"].str() == "url");
  CHECK(Json::parse(r.body)["error"]["code"].str() == "invalid_argument");
  for (const auto& [name, body] : std::vector<std::pair<std::string, std::string>>{
           {"none", subscription("https://example.com/h", {})},
           {"unknown", subscription("https://example.com/h", {"token.stolen"})},
           {"twice", subscription("https://example.com/h", {"token.rotated", "token.rotated"})}}) {
    INFO(name);
    HttpResponse e = s.send("PUT", webhookPath("acct-1", "hook"), body);
    CHECK(e.status == 400);
    CHECK(Json::parse(e.body)["error"]["field"].str() == "events");
  }
  CHECK(s.lastSeq() == before);
  CHECK(s.get(webhookPath("acct-1", "hook")).status == 404);
}

TEST_CASE(
    "webhooks: a replace keeps the secret and shows none - a removed subscription gets "
    "nothing more - another account neither sees nor removes it - the secret is nowhere on "
    "disk or in the log") {
  WebhookReceiver r;
  TestServer s(kFast);
  HttpResponse created =
      s.send("PUT", webhookPath("acct-1", "hook"), subscription(r.url(), {"integration.created"}));
  REQUIRE(created.status == 201);
  const std::string secretText = Json::parse(created.body)["secret"].str();
  REQUIRE(secretText.rfind("whsec_", 0) == 0);
  const std::string key = wh::parseSecret(secretText).key;

  HttpResponse replaced =
      s.send("PUT", webhookPath("acct-1", "hook"),
             subscription(r.url("/other"), {"integration.created", "integration.updated"}));
  CHECK(replaced.status == 200);
  CHECK_FALSE(Json::parse(replaced.body)["secret"].exists());
  CHECK(Json::parse(replaced.body)["webhook"]["url"].str() == r.url("/other"));

  CHECK(s.get(webhookPath("acct-2", "hook")).status == 404);
  CHECK(s.send("DELETE", webhookPath("acct-2", "hook")).status == 404);
  CHECK(Json::parse(s.get(webhookPath("acct-2")).body)["webhooks"].size() == 0);
  CHECK(Json::parse(s.get(webhookPath("acct-1")).body)["webhooks"].size() == 1);

  s.create("acct-1");
  auto ok = waitDelivered(r, 1, seconds(20));
  REQUIRE(ok.size() == 1);
  checkSigned(ok, key);  // the replace kept the secret

  REQUIRE(s.send("DELETE", webhookPath("acct-1", "hook")).status == 204);
  s.create("acct-1");
  std::this_thread::sleep_for(milliseconds(500));
  CHECK(delivered(r.received()).size() == 1);
  CHECK(s.get(webhookPath("acct-1", "hook")).status == 404);

  // Deleted and created again: a new secret.
  HttpResponse again =
      s.send("PUT", webhookPath("acct-1", "hook"), subscription(r.url(), {"integration.created"}));
  REQUIRE(again.status == 201);
  CHECK(Json::parse(again.body)["secret"].str() != secretText);

  REQUIRE(s.stop() == 0);
  const std::string b64 = secretText.substr(6);
  for (const auto& entry : std::filesystem::recursive_directory_iterator(s.dataDir())) {
    if (!entry.is_regular_file()) continue;
    const std::string bytes = readAll(entry.path());
    INFO(entry.path().string());
    CHECK(bytes.find(b64) == std::string::npos);
    CHECK(bytes.find(key) == std::string::npos);
  }
  CHECK(s.log().find(b64) == std::string::npos);
  // Nor in what the tools print of the log; and the webhooks view rebuilds as stored.
  for (const std::string format : {"text", "json"}) {
    std::ostringstream out, err;
    pitlog::tools::ToolContext ctx{.out = out, .err = err};
    REQUIRE(pitlog::tools::runPitDump({"pit-dump", "--data", s.dataDir(), "--format", format},
                                      ctx) == 0);
    CHECK(out.str().find("WebhookSubscribed") != std::string::npos);
    CHECK(out.str().find("WebhookRemoved") != std::string::npos);
    CHECK(out.str().find(b64) == std::string::npos);
  }
  std::ostringstream out, err;
  pitlog::tools::ToolContext ctx{.out = out, .err = err};
  CHECK(pitlog::tools::runPitReplay({"pit-replay", "--data", s.dataDir(), "verify"}, ctx) == 0);
}

TEST_CASE(
    "webhooks: the reminders fire once each with a short --rotation-due and rotation window, "
    "also across a restart") {
  WebhookReceiver r;
  std::vector<std::string> args = kFast;
  args.insert(args.end(), {"--rotation-due", "1s", "--rotation-window", "3s"});
  TestServer s(args);
  const std::string key =
      subscribe(s, "acct-1", "hook", r.url(), {"rotation.due", "rotation.window_ending"});
  const Created a = s.create("acct-1");
  const std::string firstTokenId =
      Json::parse(a.response.body)["integration"]["tokens"][0]["tokenId"].str();
  // The first token turns 1 s old: rotation.due, once.
  auto got = waitDelivered(r, 1, seconds(20));
  REQUIRE(got.size() == 1);
  CHECK(typeOf(got[0]) == "rotation.due");
  CHECK(Json::parse(got[0].body)["data"]["tokenId"].str() == firstTokenId);
  // A rotation with a 3 s window (shorter than 24 h): rotation.window_ending at once for the
  // previous token, and later rotation.due for the new one.
  REQUIRE(
      s.send("POST", integrationsPath("acct-1", a.id, "/rotate"), R"({"expire":"later"})").status ==
      200);
  got = waitDelivered(r, 3, seconds(20));
  REQUIRE(got.size() == 3);
  std::vector<std::string> types{typeOf(got[1]), typeOf(got[2])};
  std::sort(types.begin(), types.end());
  CHECK(types == std::vector<std::string>{"rotation.due", "rotation.window_ending"});
  for (const auto& d : got) {
    if (typeOf(d) == "rotation.window_ending") {
      CHECK(Json::parse(d.body)["data"]["tokenId"].str() == firstTokenId);
      CHECK(Json::parse(d.body)["data"]["expiresAt"].isString());
    }
  }
  checkSigned(got, key);
  // Once each: a restart fires none of them again.
  REQUIRE(s.stop() == 0);
  s.start();
  std::this_thread::sleep_for(milliseconds(1500));
  CHECK(delivered(r.received()).size() == 3);
}

TEST_CASE(
    "webhooks: the deliveries route says this node delivers, a single node and a cluster node "
    "alike (in a cluster the lease picks the node that sends)") {
  TestServer s;
  REQUIRE(s.send("PUT", webhookPath("acct-1", "hook"),
                 subscription("https://example.com/hook", {"integration.created"}))
              .status == 201);
  const Json d = Json::parse(s.get(webhookPath("acct-1", "hook", "/deliveries")).body);
  CHECK(d["deliveries"].size() == 0);
  CHECK(d["state"].str() == "delivering");
  CHECK(s.get(webhookPath("acct-2", "hook", "/deliveries")).status == 404);
}

TEST_CASE(
    "webhooks: a repeated Idempotency-Key replays the creation (201) without the secret and "
    "appends nothing - If-Match guards a replace") {
  TestServer s;
  const std::string body = subscription("https://example.com/hook", {"integration.created"});
  HttpResponse first =
      s.send("PUT", webhookPath("acct-1", "hook"), body, kAdmin, {{"Idempotency-Key", "k-1"}});
  REQUIRE(first.status == 201);
  CHECK(Json::parse(first.body)["secret"].isString());
  const uint64_t after = s.lastSeq();
  HttpResponse again =
      s.send("PUT", webhookPath("acct-1", "hook"), body, kAdmin, {{"Idempotency-Key", "k-1"}});
  CHECK(again.status == 201);
  CHECK(again.header("idempotent-replayed") == "true");
  CHECK_FALSE(Json::parse(again.body)["secret"].exists());
  CHECK(s.lastSeq() == after);
  HttpResponse other = s.send("PUT", webhookPath("acct-1", "hook"),
                              subscription("https://example.com/x", {"integration.created"}),
                              kAdmin, {{"Idempotency-Key", "k-1"}});
  CHECK(other.status == 409);
  HttpResponse stale =
      s.send("PUT", webhookPath("acct-1", "hook"), body, kAdmin, {{"If-Match", "\"7\""}});
  CHECK(stale.status == 412);
  HttpResponse fresh =
      s.send("PUT", webhookPath("acct-1", "hook"), body, kAdmin, {{"If-Match", "\"1\""}});
  CHECK(fresh.status == 200);
  CHECK(fresh.header("etag") == "\"2\"");
}

TEST_CASE(
    "webhooks: a node started with another webhook key does not deliver the subscriptions "
    "made under the first: one log line, and the deliveries route says key_mismatch") {
  WebhookReceiver r;
  TestServer s(kFast);
  subscribe(s, "acct-1", "hook", r.url(), {"integration.created"});
  REQUIRE(s.stop() == 0);
  const auto keyFile = std::filesystem::path(s.dataDir()) / "webhook.key";
  std::filesystem::remove(keyFile);  // the next start makes another key
  s.start();
  s.create("acct-1");
  std::this_thread::sleep_for(milliseconds(1000));
  CHECK(r.received().empty());
  const Json d = Json::parse(s.get(webhookPath("acct-1", "hook", "/deliveries")).body);
  CHECK(d["state"].str() == "key_mismatch");
  CHECK(s.log().find("webhook not delivered: it was subscribed under another webhook key") !=
        std::string::npos);
  // A replace would sign with a secret its subscriber never saw: 409. Deleted and created again,
  // it has a new secret and is delivered.
  HttpResponse replace =
      s.send("PUT", webhookPath("acct-1", "hook"), subscription(r.url(), {"integration.created"}));
  CHECK(replace.status == 409);
  REQUIRE(s.send("DELETE", webhookPath("acct-1", "hook")).status == 204);
  const std::string key = subscribe(s, "acct-1", "hook", r.url(), {"integration.created"});
  s.create("acct-1");
  auto got = waitDelivered(r, 1, seconds(20));
  REQUIRE(got.size() == 1);
  checkSigned(got, key);
}
