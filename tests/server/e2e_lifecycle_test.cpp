// The lifecycle of API.md and DESIGN.md through the real pitd, introspecting every token issued
// at every step; the scheduler's expiry of an elapsed window; authorization and tenancy.
#include <catch2/catch.hpp>

#include <chrono>
#include <map>
#include <thread>

#include "events/digest.h"
#include "support/test_server.h"

using namespace pitlog::testing;

namespace {

const Actor kPlainUser{"bob", "user"};

// The tokens issued so far and whether each should be active now.
class TokenLedger {
 public:
  explicit TokenLedger(TestServer& s) : s_(s) {}
  void issue(const std::string& name, const std::string& token) { tokens_[name] = {token, true}; }
  void expect(const std::string& name, bool active) { tokens_.at(name).second = active; }
  // Introspects every token ever issued; names (never tokens) appear in failure messages.
  void check(const std::string& step, const std::string& scope = {}) {
    for (const auto& [name, entry] : tokens_) {
      INFO("step: " << step << ", token: " << name);
      auto j = s_.introspect(entry.first);
      CHECK(j["active"].boolean() == entry.second);
      if (!entry.second) {
        CHECK(j.keys() == std::vector<std::string>{"active"});
      } else if (!scope.empty()) {
        CHECK(j["scope"].str() == scope);
      }
    }
  }

 private:
  TestServer& s_;
  std::map<std::string, std::pair<std::string, bool>> tokens_;
};

std::string tokenOf(const HttpResponse& r) { return Json::parse(r.body)["token"].str(); }

std::vector<std::string> eventTypes(TestServer& s, const std::string& account, const std::string& id) {
  auto r = s.get(integrationsPath(account, id, "/events"));
  REQUIRE(r.status == 200);
  std::vector<std::string> types;
  auto events = Json::parse(r.body)["events"];
  for (size_t i = 0; i < events.size(); ++i) types.push_back(events[i]["type"].str());
  return types;
}

// Waits (polling, never asserting a duration) until the integration's history has a scheduler
// Expired event; false if none came in 30 s.
bool awaitSchedulerExpiry(TestServer& s, const std::string& account, const std::string& id) {
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (std::chrono::steady_clock::now() < deadline) {
    auto events = Json::parse(s.get(integrationsPath(account, id, "/events")).body)["events"];
    for (size_t i = 0; i < events.size(); ++i) {
      if (events[i]["type"].str() == "Expired" && events[i]["actor"]["userId"].str() == "system") {
        return true;
      }
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(100));
  }
  return false;
}

}  // namespace

TEST_CASE("lifecycle: every command / every token introspected at every step") {
  // A long window, so that only the commands end rotations here.
  TestServer s({"--rotation-window", "1h"});
  TokenLedger ledger(s);
  auto created = s.create("acme", "Sync", {"contacts.readonly"});
  const std::string path = integrationsPath("acme", created.id);
  ledger.issue("T1", created.token);
  ledger.check("create", "contacts.readonly");

  auto edit = s.send("PATCH", path, R"({"scopes":["contacts.readonly","contacts.write"]})");
  REQUIRE(edit.status == 200);
  ledger.check("edit", "contacts.readonly contacts.write");
  CHECK(s.introspect(created.token, "contacts.write")["allowed"].boolean());
  CHECK_FALSE(s.introspect(created.token, "calendars.write")["allowed"].boolean());

  auto r2 = s.send("POST", path + "/rotate", R"({"expire":"later"})");
  REQUIRE(r2.status == 200);
  ledger.issue("T2", tokenOf(r2));
  ledger.check("rotate later");
  CHECK(s.introspect(created.token)["exp"].isNumber());
  CHECK_FALSE(s.introspect(tokenOf(r2))["exp"].exists());

  REQUIRE(s.send("POST", path + "/rotation/cancel").status == 200);
  ledger.expect("T2", false);
  ledger.check("cancel");
  CHECK_FALSE(s.introspect(created.token)["exp"].exists());

  auto r3 = s.send("POST", path + "/rotate", R"({"expire":"later"})");
  REQUIRE(r3.status == 200);
  ledger.issue("T3", tokenOf(r3));
  ledger.check("rotate later again");

  REQUIRE(s.send("POST", path + "/rotation/expire-now").status == 200);
  ledger.expect("T1", false);
  ledger.check("expire now");

  auto r4 = s.send("POST", path + "/rotate", R"({"expire":"later"})");
  REQUIRE(r4.status == 200);
  ledger.issue("T4", tokenOf(r4));
  ledger.check("rotate later a third time");

  // Rotate with `now` inside a window: both valid tokens (T4 current, T3 previous) expire.
  auto r5 = s.send("POST", path + "/rotate", R"({"expire":"now"})");
  REQUIRE(r5.status == 200);
  ledger.issue("T5", tokenOf(r5));
  ledger.expect("T3", false);
  ledger.expect("T4", false);
  ledger.check("rotate now");
  auto view = Json::parse(r5.body)["integration"];
  CHECK(view["tokens"].size() == 1);
  CHECK(view["rotation"].isNull());

  REQUIRE(s.send("DELETE", path).status == 204);
  ledger.expect("T5", false);
  ledger.check("delete");

  CHECK(eventTypes(s, "acme", created.id) ==
        std::vector<std::string>{"Created", "ScopesUpdated", "RotationStarted", "RotationCancelled",
                                 "RotationStarted", "Expired", "RotationStarted", "RotationStarted",
                                 "Expired", "Expired", "Deleted"});
  auto events = Json::parse(s.get(path + "/events").body)["events"];
  CHECK(events[5]["data"]["reason"].str() == "manual");
  CHECK(events[8]["data"]["reason"].str() == "rotated_now");
  CHECK(events[9]["data"]["reason"].str() == "rotated_now");
  // Version counts every event of the stream.
  CHECK(events[10]["streamVersion"].num() == 11);
}

TEST_CASE("the window elapses: the scheduler writes Expired as system and the old token dies") {
  TestServer s;  // --rotation-window 2s
  auto created = s.create("acme");
  const std::string path = integrationsPath("acme", created.id);
  auto rotated = s.send("POST", path + "/rotate", R"({"expire":"later"})");
  REQUIRE(rotated.status == 200);
  const std::string t2 = tokenOf(rotated);

  REQUIRE(awaitSchedulerExpiry(s, "acme", created.id));
  CHECK_FALSE(s.active(created.token));
  CHECK(s.active(t2));

  auto events = Json::parse(s.get(path + "/events").body)["events"];
  REQUIRE(events.size() == 3);
  auto expired = events[2];
  CHECK(expired["type"].str() == "Expired");
  CHECK(expired["data"]["reason"].str() == "window_elapsed");
  CHECK(expired["actor"]["userId"].str() == "system");
  CHECK(expired["actor"]["role"].str() == "system");
  const bool namesOld =
      expired["data"]["tokenId"].str() ==
      pitlog::events::tokenIdOf(pitlog::events::sha256(created.token));
  CHECK(namesOld);

  auto view = s.get(path);
  CHECK(view.header("etag") == "\"3\"");
  auto i = Json::parse(view.body)["integration"];
  CHECK(i["version"].num() == 3);
  CHECK(i["tokens"].size() == 1);
  CHECK(i["rotation"].isNull());
  // The scheduler's event is in the account's audit too.
  bool audited = false;
  auto audit = Json::parse(s.get("/v1/accounts/acme/audit").body)["events"];
  for (size_t k = 0; k < audit.size(); ++k) {
    audited = audited || audit[k]["actor"]["role"].str() == "system";
  }
  CHECK(audited);
}

TEST_CASE("the scheduler writes nothing for a window cancelled / cut short or deleted") {
  TestServer s;
  auto cancelled = s.create("acme", "Cancelled");
  auto cut = s.create("acme", "Cut");
  auto deleted = s.create("acme", "Deleted");
  for (const auto* c : {&cancelled, &cut, &deleted}) {
    REQUIRE(s.send("POST", integrationsPath("acme", c->id, "/rotate"), R"({"expire":"later"})")
                .status == 200);
  }
  REQUIRE(s.send("POST", integrationsPath("acme", cancelled.id, "/rotation/cancel")).status == 200);
  REQUIRE(s.send("POST", integrationsPath("acme", cut.id, "/rotation/expire-now")).status == 200);
  REQUIRE(s.send("DELETE", integrationsPath("acme", deleted.id)).status == 204);
  // A sentinel whose window ends after the others': once the scheduler has expired it, it has
  // been past every other deadline too.
  auto sentinel = s.create("acme", "Sentinel");
  REQUIRE(s.send("POST", integrationsPath("acme", sentinel.id, "/rotate"), R"({"expire":"later"})")
              .status == 200);
  REQUIRE(awaitSchedulerExpiry(s, "acme", sentinel.id));

  CHECK(eventTypes(s, "acme", cancelled.id) ==
        std::vector<std::string>{"Created", "RotationStarted", "RotationCancelled"});
  CHECK(eventTypes(s, "acme", cut.id) ==
        std::vector<std::string>{"Created", "RotationStarted", "Expired"});
  CHECK(eventTypes(s, "acme", deleted.id) ==
        std::vector<std::string>{"Created", "RotationStarted", "Deleted"});
  CHECK(s.active(cancelled.token));
}

TEST_CASE("authorization: grants / withdrawals and the role default") {
  TestServer s;
  const Actor carol{"carol", "admin"};
  auto created = s.create("acme");
  const std::string body = R"({"name":"x","scopes":["contacts.readonly"]})";

  CHECK(s.send("POST", integrationsPath("acme"), body, kPlainUser).status == 403);
  REQUIRE(s.send("PUT", "/v1/accounts/acme/users/bob/permission", R"({"allowed":true})").status ==
          200);
  auto byBob = s.send("POST", integrationsPath("acme"), body, kPlainUser);
  REQUIRE(byBob.status == 201);
  CHECK(Json::parse(byBob.body)["integration"]["createdBy"].str() == "bob");
  CHECK(s.get(integrationsPath("acme", created.id), kPlainUser).status == 200);
  // A grant lets bob manage integrations, not permissions: those need the admin role.
  CHECK(s.send("PUT", "/v1/accounts/acme/users/bob/permission", R"({"allowed":true})", kPlainUser)
            .status == 403);

  CHECK(s.get(integrationsPath("acme"), carol).status == 200);
  REQUIRE(s.send("PUT", "/v1/accounts/acme/users/carol/permission", R"({"allowed":false})").status ==
          200);
  CHECK(s.get(integrationsPath("acme"), carol).status == 403);
  CHECK(s.send("DELETE", integrationsPath("acme", created.id), {}, carol).status == 403);
  // Grants are per account.
  CHECK(s.get(integrationsPath("globex"), kPlainUser).status == 403);
  CHECK(s.get(integrationsPath("globex"), carol).status == 200);
}

TEST_CASE("tenancy: another account's integration is not found / never visible") {
  TestServer s;
  auto acme = s.create("acme", "Acme's");
  const std::string foreign = integrationsPath("globex", acme.id);
  CHECK(s.get(foreign).status == 404);
  CHECK(s.get(foreign + "/events").status == 404);
  CHECK(s.get(foreign + "?asOf=2999-01-01T00:00:00Z").status == 404);
  CHECK(s.send("PATCH", foreign, R"({"name":"mine"})").status == 404);
  CHECK(s.send("POST", foreign + "/rotate", R"({"expire":"now"})").status == 404);
  CHECK(s.send("POST", foreign + "/rotation/cancel").status == 404);
  CHECK(s.send("POST", foreign + "/rotation/expire-now").status == 404);
  CHECK(s.send("DELETE", foreign).status == 404);
  CHECK(Json::parse(s.get(integrationsPath("globex")).body)["integrations"].size() == 0);
  CHECK(Json::parse(s.get("/v1/accounts/globex/audit").body)["events"].size() == 0);
  // Untouched, and its token still answers for acme.
  auto j = s.introspect(acme.token);
  CHECK(j["active"].boolean());
  CHECK(j["account_id"].str() == "acme");
  CHECK(Json::parse(s.get(integrationsPath("acme", acme.id)).body)["integration"]["version"].num() ==
        1);
}
