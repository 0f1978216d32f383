// Tenancy across many accounts and actors: every account's integrations, events, audit entries,
// permissions and tokens are reached only through that account. Each account gets a history
// (creates, edits, a rotation, a delete, permission grants) by different actors; then every
// actor of every account tries every route on every other account's resources.
#include <catch2/catch.hpp>

#include <map>
#include <set>
#include <string>
#include <vector>

#include "support/test_server.h"

using namespace pitlog::testing;

namespace {

struct Tenant {
  std::string account;
  std::vector<std::string> ids;      // live integrations
  std::string deletedId;             // one deleted integration
  std::vector<std::string> tokens;   // valid tokens (never printed)
  Actor admin;
  Actor granted;  // a user an admin granted
};

std::set<std::string> idsIn(const Json& list) {
  std::set<std::string> out;
  for (size_t i = 0; i < list.size(); ++i) out.insert(list[i]["id"].str());
  return out;
}

// Every event the account's audit lists, all pages.
std::vector<Json> auditOf(TestServer& s, const Tenant& t) {
  std::vector<Json> events;
  std::string after;
  for (int page = 0; page < 100; ++page) {
    auto r = s.get("/v1/accounts/" + t.account + "/audit?limit=7" +
                       (after.empty() ? "" : "&after=" + after),
                   t.admin);
    REQUIRE(r.status == 200);
    auto j = Json::parse(r.body);
    for (size_t i = 0; i < j["events"].size(); ++i) events.push_back(j["events"][i]);
    if (j["next"].isNull()) return events;
    after = std::to_string(static_cast<uint64_t>(j["next"].num()));
  }
  FAIL("audit did not end");
  return events;
}

}  // namespace

TEST_CASE("tenancy: no route lets one of many accounts see or change another's data",
          "[tenancy]") {
  // A window longer than the test: the rotated tokens' predecessors must stay valid to the end
  // (with the suite's 2 s window, a slow run under ASan saw the scheduler expire them meanwhile).
  TestServer s({"--rotation-window", "1h"});
  std::vector<Tenant> tenants;
  for (int a = 0; a < 5; ++a) {
    Tenant t;
    t.account = "tenant-" + std::to_string(a);
    t.admin = {"admin-" + std::to_string(a), "admin"};
    // The same user id in every account: grants must not cross accounts.
    t.granted = {"shared-user", "user"};
    REQUIRE(s.send("PUT", "/v1/accounts/" + t.account + "/users/shared-user/permission",
                   R"({"allowed":true})", t.admin)
                .status == 200);
    for (int i = 0; i < 3; ++i) {
      auto c = s.create(t.account, "app " + std::to_string(i), {"contacts.readonly"},
                        i == 0 ? t.granted : t.admin);
      t.ids.push_back(c.id);
      t.tokens.push_back(c.token);
    }
    REQUIRE(s.send("PATCH", integrationsPath(t.account, t.ids[0]), R"({"name":"edited"})",
                   t.granted)
                .status == 200);
    auto rotated = s.send("POST", integrationsPath(t.account, t.ids[1], "/rotate"),
                          R"({"expire":"later"})", t.admin);
    REQUIRE(rotated.status == 200);
    t.tokens.push_back(Json::parse(rotated.body)["token"].str());
    auto doomed = s.create(t.account, "doomed", {"contacts.write"}, t.admin);
    REQUIRE(s.send("DELETE", integrationsPath(t.account, doomed.id), {}, t.admin).status == 204);
    t.deletedId = doomed.id;
    tenants.push_back(t);
  }
  // One account withdraws the shared user: only that account's answer changes.
  REQUIRE(s.send("PUT", "/v1/accounts/tenant-4/users/shared-user/permission",
                 R"({"allowed":false})", tenants[4].admin)
              .status == 200);
  CHECK(s.get(integrationsPath("tenant-4"), tenants[4].granted).status == 403);
  CHECK(s.get(integrationsPath("tenant-3"), tenants[3].granted).status == 200);

  std::set<std::string> allEventIds;
  size_t auditTotal = 0;
  for (const auto& me : tenants) {
    INFO("account " << me.account);
    // My list holds exactly my live integrations.
    auto list = s.get(integrationsPath(me.account), me.admin);
    REQUIRE(list.status == 200);
    CHECK(idsIn(Json::parse(list.body)["integrations"]) ==
          std::set<std::string>(me.ids.begin(), me.ids.end()));
    auto withDeleted = s.get(integrationsPath(me.account) + "?includeDeleted=true", me.admin);
    auto all = idsIn(Json::parse(withDeleted.body)["integrations"]);
    CHECK(all.size() == me.ids.size() + 1);
    CHECK(all.count(me.deletedId) == 1);

    // My audit holds only events of my integrations and my permission changes, each once.
    std::set<std::string> mine(me.ids.begin(), me.ids.end());
    mine.insert(me.deletedId);
    auto audit = auditOf(s, me);
    for (const auto& e : audit) {
      const std::string type = e["type"].str();
      if (type == "PermissionChanged") {
        CHECK(e["actor"]["accountId"].str() == me.account);
      } else {
        CHECK(mine.count(e["streamId"].str()) == 1);
        if (e["actor"]["role"].str() != "system") CHECK(e["actor"]["accountId"].str() == me.account);
      }
      CHECK(allEventIds.insert(e["eventId"].str()).second);
    }
    auditTotal += audit.size();

    // My tokens introspect as mine.
    for (const auto& token : me.tokens) {
      auto j = s.introspect(token);
      CHECK(j["active"].boolean());
      CHECK(j["account_id"].str() == me.account);
    }

    for (const auto& other : tenants) {
      if (other.account == me.account) continue;
      INFO("reaching into " << other.account);
      // Another account's ids under my account: not found, whatever the route.
      std::vector<std::string> theirs = other.ids;
      theirs.push_back(other.deletedId);
      for (const auto& id : theirs) {
        const std::string path = integrationsPath(me.account, id);
        for (const auto& actor : {me.admin, me.granted}) {
          if (me.account == "tenant-4" && actor.user == "shared-user") continue;  // withdrawn
          CHECK(s.get(path, actor).status == 404);
          CHECK(s.get(path + "/events", actor).status == 404);
          CHECK(s.get(path + "?asOf=2999-01-01T00:00:00.000Z", actor).status == 404);
          CHECK(s.send("PATCH", path, R"({"name":"taken"})", actor).status == 404);
          CHECK(s.send("POST", path + "/rotate", R"({"expire":"now"})", actor).status == 404);
          CHECK(s.send("POST", path + "/rotation/cancel", {}, actor).status == 404);
          CHECK(s.send("POST", path + "/rotation/expire-now", {}, actor).status == 404);
          CHECK(s.send("DELETE", path, {}, actor).status == 404);
        }
      }
    }
    // Permission reads are per account: the same user id shows this account's record.
    auto perm = s.get("/v1/accounts/" + me.account + "/users/shared-user/permission", me.admin);
    REQUIRE(perm.status == 200);
    CHECK(Json::parse(perm.body)["allowed"].boolean() == (me.account != "tenant-4"));
    CHECK(Json::parse(perm.body)["source"].str() ==
          (me.account == "tenant-4" ? "withdrawal" : "grant"));
  }
  // Nothing was changed by any of the attempts: every account's views are as they were, and
  // every event of the log is in exactly one account's audit.
  CHECK(auditTotal == s.lastSeq());
  for (const auto& t : tenants) {
    INFO("account " << t.account);
    for (const auto& id : t.ids) {
      auto r = s.get(integrationsPath(t.account, id), t.admin);
      REQUIRE(r.status == 200);
      auto v = Json::parse(r.body)["integration"];
      CHECK(v["accountId"].str() == t.account);
      CHECK(v["name"].str() != "taken");
    }
    for (const auto& token : t.tokens) CHECK(s.introspect(token)["active"].boolean());
  }
}
