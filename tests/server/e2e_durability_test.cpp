// What survives pitd: restarts keep views, tokens and idempotency keys; SIGTERM during writes
// loses no acknowledged command; no plaintext token reaches the log or the data directory.
#include <catch2/catch.hpp>

#include <atomic>
#include <csignal>
#include <chrono>
#include <mutex>
#include <thread>

#include "support/test_server.h"

using namespace pitlog::testing;

namespace {

std::string tokenOf(const HttpResponse& r) { return Json::parse(r.body)["token"].str(); }

}  // namespace

TEST_CASE("restart: views / tokens and idempotency keys persist") {
  TestServer s({"--rotation-window", "1h"});
  const std::string body = R"({"name":"Durable","scopes":["contacts.readonly"]})";
  const Headers key1{{"Idempotency-Key", "create-1"}};
  auto first = s.send("POST", integrationsPath("acme"), body, kAdmin, key1);
  INFO(redacted(first.body));
  REQUIRE(first.status == 201);
  const auto created = Json::parse(first.body);
  const std::string id = created["integration"]["id"].str();
  const std::string t1 = created["token"].str();
  const uint64_t seqAfterCreate = s.lastSeq();

  // A replay before the restart: same answer, token null, nothing appended.
  auto replay = s.send("POST", integrationsPath("acme"), body, kAdmin, key1);
  INFO(redacted(replay.body));
  REQUIRE(replay.status == 201);
  CHECK(replay.header("idempotent-replayed") == "true");
  CHECK(replay.header("etag") == "\"1\"");
  auto rj = Json::parse(replay.body);
  CHECK(rj["token"].isNull());
  CHECK(rj["integration"]["id"].str() == id);
  CHECK(s.lastSeq() == seqAfterCreate);

  const Headers key2{{"Idempotency-Key", "rotate-1"}};
  auto rotated = s.send("POST", integrationsPath("acme", id, "/rotate"), R"({"expire":"later"})",
                        kAdmin, key2);
  REQUIRE(rotated.status == 200);
  const std::string t2 = tokenOf(rotated);
  REQUIRE(s.send("PUT", "/v1/accounts/acme/users/bob/permission", R"({"allowed":true})").status ==
          200);
  const std::string viewBefore = s.get(integrationsPath("acme", id)).body;
  const std::string eventsBefore = s.get(integrationsPath("acme", id, "/events")).body;
  const uint64_t seqBefore = s.lastSeq();

  CHECK(s.stop() == 0);
  s.start();

  CHECK(s.lastSeq() == seqBefore);
  CHECK(s.get(integrationsPath("acme", id)).body == viewBefore);
  CHECK(s.get(integrationsPath("acme", id, "/events")).body == eventsBefore);
  CHECK(s.active(t1));
  CHECK(s.active(t2));
  CHECK(Json::parse(s.get("/v1/accounts/acme/users/bob/permission").body)["source"].str() ==
        "grant");

  auto again = s.send("POST", integrationsPath("acme"), body, kAdmin, key1);
  REQUIRE(again.status == 201);
  CHECK(again.header("idempotent-replayed") == "true");
  CHECK(Json::parse(again.body)["token"].isNull());
  CHECK(Json::parse(again.body)["integration"]["id"].str() == id);
  // As the first request left it: version 1, one token.
  CHECK(Json::parse(again.body)["integration"]["version"].num() == 1);
  auto rotateAgain = s.send("POST", integrationsPath("acme", id, "/rotate"), R"({"expire":"later"})",
                            kAdmin, key2);
  REQUIRE(rotateAgain.status == 200);
  CHECK(rotateAgain.header("idempotent-replayed") == "true");
  CHECK(Json::parse(rotateAgain.body)["token"].isNull());
  auto conflict = s.send("POST", integrationsPath("acme"), R"({"name":"Other","scopes":["contacts.readonly"]})",
                         kAdmin, key1);
  CHECK(conflict.status == 409);
  CHECK(Json::parse(conflict.body)["error"]["code"].str() == "conflict");
  CHECK(s.lastSeq() == seqBefore);
}

TEST_CASE("restart: a window that elapsed while pitd was down is expired at start") {
  TestServer s;  // --rotation-window 2s
  auto created = s.create("acme");
  auto rotated = s.send("POST", integrationsPath("acme", created.id, "/rotate"), R"({"expire":"later"})");
  REQUIRE(rotated.status == 200);
  CHECK(s.stop() == 0);
  // Let the deadline pass while nothing runs (a lower bound, not a measured duration).
  std::this_thread::sleep_for(std::chrono::milliseconds(2500));
  s.start();
  CHECK_FALSE(s.active(created.token));
  CHECK(s.active(tokenOf(rotated)));
  bool expired = false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!expired && std::chrono::steady_clock::now() < deadline) {
    auto events = Json::parse(s.get(integrationsPath("acme", created.id, "/events")).body)["events"];
    expired = events.size() == 3 && events[2]["data"]["reason"].str() == "window_elapsed";
    if (!expired) std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  CHECK(expired);
}

TEST_CASE("SIGTERM during concurrent writes loses no acknowledged command") {
  TestServer s;
  std::mutex mu;
  std::vector<std::string> acknowledged;
  std::atomic<bool> stopping{false};
  std::atomic<int> started{0};
  auto writer = [&](int w) {
    for (int n = 0;; ++n) {
      HttpResponse r;
      try {
        r = s.send("POST", integrationsPath("acme"),
                   "{\"name\":\"w" + std::to_string(w) + "-" + std::to_string(n) +
                       "\",\"scopes\":[\"contacts.readonly\"]}");
      } catch (const std::exception&) {
        if (stopping) return;  // refused or cut off: not acknowledged
        continue;
      }
      if (r.status == 201) {
        std::lock_guard lock(mu);
        acknowledged.push_back(Json::parse(r.body)["integration"]["id"].str());
        ++started;
      } else if (stopping) {
        return;
      }
    }
  };
  std::vector<std::thread> writers;
  for (int w = 0; w < 4; ++w) writers.emplace_back(writer, w);
  // Stop once writes are flowing, whatever the machine's speed.
  while (started.load() < 20) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  stopping = true;
  s.process().signal(SIGTERM);
  const int status = s.process().wait();
  for (auto& t : writers) t.join();
  CHECK(status == 0);
  REQUIRE(acknowledged.size() >= 20);

  s.start();
  size_t missing = 0;
  for (const auto& id : acknowledged) {
    if (s.get(integrationsPath("acme", id)).status != 200) ++missing;
  }
  CHECK(missing == 0);
  CHECK(Json::parse(s.get(integrationsPath("acme")).body)["integrations"].size() >=
        acknowledged.size());
}

TEST_CASE("no plaintext token in pitd's log, metrics or data directory") {
  TestServer s({"--log-level", "trace"});
  std::vector<std::string> tokens;
  for (int i = 0; i < 3; ++i) {
    auto c = s.create("acme", "Leak" + std::to_string(i), {"contacts.readonly"}, kAdmin,
                      {{"Idempotency-Key", "leak-" + std::to_string(i)}});
    tokens.push_back(c.token);
    auto later = s.send("POST", integrationsPath("acme", c.id, "/rotate"), R"({"expire":"later"})");
    REQUIRE(later.status == 200);
    tokens.push_back(tokenOf(later));
    auto now = s.send("POST", integrationsPath("acme", c.id, "/rotate"), R"({"expire":"now"})");
    REQUIRE(now.status == 200);
    tokens.push_back(tokenOf(now));
  }
  for (const auto& t : tokens) {
    s.introspect(t, "contacts.readonly");
    httpRequest(s.port(), "POST", "/v1/introspect",
                s.headers(std::nullopt, {{"Content-Type", "application/x-www-form-urlencoded"}}),
                "token=" + t);
    // Misuse that must not be echoed anywhere either: a token as the service key.
    httpRequest(s.port(), "GET", "/v1/scopes", {{"Authorization", "Bearer " + t}});
  }
  // Metrics label requests by route, never by what a request carried.
  const std::string metrics = httpRequest(s.port(), "GET", "/metrics").body;
  REQUIRE_FALSE(metrics.empty());
  CHECK(s.stop() == 0);
  s.start();  // a restart logs what it loads
  CHECK(s.stop() == 0);

  const std::string log = s.log();
  REQUIRE_FALSE(log.empty());
  size_t inLog = 0, inData = 0, inMetrics = 0;
  for (const auto& t : tokens) {
    if (log.find(t) != std::string::npos) ++inLog;
    if (treeContains(s.dataDir(), t)) ++inData;
    if (metrics.find(t) != std::string::npos) ++inMetrics;
  }
  CHECK(inLog == 0);
  CHECK(inData == 0);
  CHECK(inMetrics == 0);
  // Nor the service key in the log: the log names the key's file.
  const bool keyLogged = log.find(s.key()) != std::string::npos;
  CHECK_FALSE(keyLogged);
  CHECK(log.find(s.dataDir() + "/service.key") != std::string::npos);
}
