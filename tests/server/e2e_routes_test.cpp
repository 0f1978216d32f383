// Every route of API.md against the real pitd: the success status, headers and JSON shape.
#include <catch2/catch.hpp>

#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <regex>

#include "commands/token.h"
#include "events/digest.h"
#include "support/test_server.h"

using namespace pitlog::testing;

namespace {

const std::regex kTime(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");
const std::regex kHex16("^[0-9a-f]{16}$");
const std::regex kHex32("^[0-9a-f]{32}$");
const std::regex kHex64("^[0-9a-f]{64}$");

bool isTime(const Json& j) { return j.isString() && std::regex_match(j.str(), kTime); }

// API.md's `integration` members, in its order.
const std::vector<std::string> kIntegrationKeys = {
    "id",        "accountId", "name",      "description", "scopes", "status",
    "version",   "createdAt", "createdBy", "updatedAt",   "tokens", "rotation"};

void checkIntegrationShape(const Json& i) {
  REQUIRE(i.isObject());
  CHECK(i.keys() == kIntegrationKeys);
  CHECK(i["id"].isString());
  CHECK(i["version"].isNumber());
  CHECK(isTime(i["createdAt"]));
  CHECK(isTime(i["updatedAt"]));
  REQUIRE(i["tokens"].isArray());
  for (size_t k = 0; k < i["tokens"].size(); ++k) {
    const Json t = i["tokens"][k];
    CHECK(t.keys() == std::vector<std::string>{"tokenId", "hint", "state", "issuedAt", "expiresAt",
                                               "lastUsedAt"});
    CHECK((t["lastUsedAt"].isNull() || isTime(t["lastUsedAt"])));
    CHECK(std::regex_match(t["tokenId"].str(), kHex16));
    CHECK(t["hint"].str().rfind("pit_\u2026", 0) == 0);
    CHECK(t["hint"].str().size() == 4 + 3 + 4);
    CHECK(isTime(t["issuedAt"]));
    CHECK((t["expiresAt"].isNull() || isTime(t["expiresAt"])));
  }
  CHECK((i["rotation"].isNull() || i["rotation"].isObject()));
}

// The token's tokenId and hint as API.md defines them, for comparing with a view.
std::string tokenIdOf(const std::string& token) {
  return pitlog::events::tokenIdOf(pitlog::events::sha256(token));
}
std::string hintOf(const std::string& token) { return "pit_\u2026" + token.substr(token.size() - 4); }

}  // namespace

TEST_CASE("healthz / metrics and scopes") {
  TestServer s;
  auto health = httpRequest(s.port(), "GET", "/healthz");
  CHECK(health.status == 200);
  CHECK(health.header("content-type") == "application/json");
  checkHealthyBody(health.body);

  // Probes may add cache busters; only API routes are strict about their query.
  CHECK(httpRequest(s.port(), "GET", "/healthz?probe=1").status == 200);

  s.create("acme");
  s.introspect("pit_unknown");
  auto metrics = httpRequest(s.port(), "GET", "/metrics");
  CHECK(metrics.status == 200);
  CHECK(metrics.header("content-type").rfind("text/plain", 0) == 0);
  for (const char* family :
       {"pitlog_http_requests_total", "pitlog_http_request_duration_seconds",
        "pitlog_events_appended_total", "pitlog_commit_batch_commands",
        "pitlog_commit_write_seconds", "pitlog_introspections_total", "pitlog_tokens_in_memory"}) {
    INFO(family);
    CHECK(metrics.body.find(std::string("# TYPE ") + family + " ") != std::string::npos);
    CHECK(metrics.body.find(std::string("# HELP ") + family + " ") != std::string::npos);
  }

  // `promtool check metrics`, where Prometheus' tools are installed.
  if (::access("/usr/bin/promtool", X_OK) == 0) {
    TempDir dir("pitd-metrics");
    std::ofstream(dir.sub("page.txt")) << metrics.body;
    const std::string command = "/usr/bin/promtool check metrics < " + dir.sub("page.txt") +
                                " > " + dir.sub("promtool.out") + " 2>&1";
    const int status = std::system(command.c_str());
    INFO(readFile(dir.sub("promtool.out")));
    CHECK(status == 0);
  }

  auto scopes = s.get("/v1/scopes", std::nullopt);
  CHECK(scopes.status == 200);
  auto list = Json::parse(scopes.body)["scopes"].strings();
  CHECK(std::is_sorted(list.begin(), list.end()));
  CHECK(std::adjacent_find(list.begin(), list.end()) == list.end());
  CHECK(std::find(list.begin(), list.end(), "contacts.readonly") != list.end());
}

TEST_CASE("create: 201 with the integration and its token / shown once") {
  TestServer s;
  auto r = s.send("POST", integrationsPath("acme"),
                  R"({"name":"  Zapier \u00e9  ","description":"syncs\ncontacts",)"
                  R"("scopes":["contacts.write","contacts.readonly","contacts.write"]})",
                  kAdmin, {{"X-Request-Id", "req-create-1"}});
  INFO(redacted(r.body));
  REQUIRE(r.status == 201);
  CHECK(r.header("content-type") == "application/json");
  CHECK(r.header("etag") == "\"1\"");
  CHECK(r.header("cache-control") == "no-store");
  CHECK(r.header("x-request-id") == "req-create-1");
  CHECK_FALSE(r.has("idempotent-replayed"));

  auto j = Json::parse(r.body);
  CHECK(j.keys() == std::vector<std::string>{"integration", "token"});
  const std::string token = j["token"].str();
  const bool wellFormed = pitlog::commands::isWellFormedToken(token);
  CHECK(wellFormed);
  auto i = j["integration"];
  checkIntegrationShape(i);
  CHECK(r.header("location") == integrationsPath("acme", i["id"].str()));
  CHECK(i["accountId"].str() == "acme");
  CHECK(i["name"].str() == "Zapier \u00e9");
  CHECK(i["description"].str() == "syncs\ncontacts");
  CHECK(i["scopes"].strings() == std::vector<std::string>{"contacts.readonly", "contacts.write"});
  CHECK(i["status"].str() == "active");
  CHECK(i["version"].num() == 1);
  CHECK(i["createdBy"].str() == "alice");
  CHECK(i["createdAt"].str() == i["updatedAt"].str());
  REQUIRE(i["tokens"].size() == 1);
  auto t = i["tokens"][0];
  const bool sameId = t["tokenId"].str() == tokenIdOf(token);
  const bool sameHint = t["hint"].str() == hintOf(token);
  CHECK(sameId);
  CHECK(sameHint);
  CHECK(t["state"].str() == "current");
  CHECK(t["issuedAt"].str() == i["createdAt"].str());
  CHECK(t["expiresAt"].isNull());
  CHECK(i["rotation"].isNull());

  // Shown once: no later answer carries it.
  auto again = s.get(integrationsPath("acme", i["id"].str()));
  REQUIRE(again.status == 200);
  const bool leaked = again.body.find(token) != std::string::npos;
  CHECK_FALSE(leaked);
  CHECK_FALSE(Json::parse(again.body)["token"].exists());

  // A description is optional and defaults to "".
  auto bare = s.create("acme", "Bare");
  CHECK(Json::parse(bare.response.body)["integration"]["description"].str() == "");
}

TEST_CASE("get / list / edit / delete and the events of an integration") {
  TestServer s;
  auto a = s.create("acme", "First", {"contacts.readonly"});
  auto b = s.create("acme", "Second", {"contacts.write"});
  const std::string createdAt = Json::parse(a.response.body)["integration"]["createdAt"].str();

  SECTION("get") {
    auto r = s.get(integrationsPath("acme", a.id));
    REQUIRE(r.status == 200);
    CHECK(r.header("etag") == "\"1\"");
    auto j = Json::parse(r.body);
    CHECK(j.keys() == std::vector<std::string>{"integration"});
    checkIntegrationShape(j["integration"]);
    CHECK(j["integration"]["name"].str() == "First");
  }

  SECTION("list: oldest first; includeDeleted; staleAfterDays") {
    auto r = s.get(integrationsPath("acme"));
    REQUIRE(r.status == 200);
    auto list = Json::parse(r.body)["integrations"];
    REQUIRE(list.size() == 2);
    CHECK(list[0]["id"].str() == a.id);
    CHECK(list[1]["id"].str() == b.id);
    checkIntegrationShape(list[0]);

    REQUIRE(s.send("DELETE", integrationsPath("acme", a.id)).status == 204);
    auto live = Json::parse(s.get(integrationsPath("acme")).body)["integrations"];
    REQUIRE(live.size() == 1);
    CHECK(live[0]["id"].str() == b.id);
    auto all = Json::parse(s.get(integrationsPath("acme") + "?includeDeleted=true").body);
    REQUIRE(all["integrations"].size() == 2);
    CHECK(all["integrations"][0]["status"].str() == "deleted");
    CHECK(all["integrations"][0]["tokens"].size() == 0);
    CHECK(Json::parse(s.get(integrationsPath("acme") + "?includeDeleted=false").body)
              ["integrations"].size() == 1);

    // Issued more than 0 days ago: every live one; more than 1 day ago: none yet.
    CHECK(Json::parse(s.get(integrationsPath("acme") + "?staleAfterDays=0").body)["integrations"]
              .size() == 1);
    CHECK(Json::parse(s.get(integrationsPath("acme") + "?staleAfterDays=1").body)["integrations"]
              .size() == 0);
    CHECK(Json::parse(s.get(integrationsPath("other")).body)["integrations"].size() == 0);
  }

  SECTION("edit: 200, version + 1, token unchanged, no token in the answer") {
    auto r = s.send("PATCH", integrationsPath("acme", a.id),
                    R"({"name":"Renamed","scopes":["contacts.write","calendars.readonly"]})");
    INFO(redacted(r.body));
    REQUIRE(r.status == 200);
    CHECK(r.header("etag") == "\"2\"");
    auto j = Json::parse(r.body);
    CHECK(j.keys() == std::vector<std::string>{"integration"});
    auto i = j["integration"];
    CHECK(i["name"].str() == "Renamed");
    CHECK(i["description"].str() == "");
    CHECK(i["scopes"].strings() == std::vector<std::string>{"calendars.readonly", "contacts.write"});
    CHECK(i["version"].num() == 2);
    REQUIRE(i["tokens"].size() == 1);
    const bool sameToken = i["tokens"][0]["tokenId"].str() == tokenIdOf(a.token);
    CHECK(sameToken);
    auto d = s.send("PATCH", integrationsPath("acme", a.id), R"({"description":"only this"})");
    REQUIRE(d.status == 200);
    CHECK(Json::parse(d.body)["integration"]["name"].str() == "Renamed");
    CHECK(Json::parse(d.body)["integration"]["description"].str() == "only this");
    CHECK(s.introspect(a.token)["scope"].str() == "calendars.readonly contacts.write");

    SECTION("asOf: the view as it was then") {
      auto then = s.get(integrationsPath("acme", a.id) + "?asOf=" + createdAt);
      REQUIRE(then.status == 200);
      CHECK_FALSE(then.has("etag"));
      auto old = Json::parse(then.body)["integration"];
      CHECK(old["name"].str() == "First");
      CHECK(old["version"].num() == 1);
      CHECK(s.get(integrationsPath("acme", a.id) + "?asOf=2000-01-01T00:00:00Z").status == 404);
    }
  }

  SECTION("delete: 204 without body or Content-Length; gone from every route but events") {
    auto r = s.send("DELETE", integrationsPath("acme", a.id));
    CHECK(r.status == 204);
    CHECK(r.body.empty());
    CHECK_FALSE(r.hasContentLength);
    CHECK_FALSE(r.has("content-type"));
    CHECK(r.header("etag") == "\"2\"");
    CHECK(s.get(integrationsPath("acme", a.id)).status == 404);
    CHECK(s.send("PATCH", integrationsPath("acme", a.id), R"({"name":"x"})").status == 404);
    CHECK(s.send("POST", integrationsPath("acme", a.id, "/rotate"), R"({"expire":"now"})").status ==
          404);
    CHECK(s.send("DELETE", integrationsPath("acme", a.id)).status == 404);
    CHECK(s.get(integrationsPath("acme", a.id) + "?asOf=2999-01-01T00:00:00Z").status == 404);
    // Before its deletion it existed.
    CHECK(s.get(integrationsPath("acme", a.id) + "?asOf=" + createdAt).status == 200);
    CHECK_FALSE(s.active(a.token));

    auto events = s.get(integrationsPath("acme", a.id, "/events"));
    REQUIRE(events.status == 200);
    auto list = Json::parse(events.body)["events"];
    REQUIRE(list.size() == 2);
    CHECK(list[0]["type"].str() == "Created");
    CHECK(list[1]["type"].str() == "Deleted");
  }

  SECTION("events: API.md's event shape, a hash chain, no token") {
    REQUIRE(s.send("POST", integrationsPath("acme", a.id, "/rotate"), R"({"expire":"later"})", kAdmin,
                   {{"X-Request-Id", "rotate-42"}})
                .status == 200);
    auto r = s.get(integrationsPath("acme", a.id, "/events"));
    REQUIRE(r.status == 200);
    const bool leaked = r.body.find(a.token) != std::string::npos;
    CHECK_FALSE(leaked);
    auto events = Json::parse(r.body)["events"];
    REQUIRE(events.size() == 2);
    for (size_t k = 0; k < events.size(); ++k) {
      auto e = events[k];
      CHECK(e.keys() == std::vector<std::string>{"seq", "streamId", "streamVersion", "eventId", "at",
                                                 "actor", "requestId", "type", "data", "prevHash",
                                                 "hash"});
      CHECK(e["seq"].isNumber());
      CHECK(e["streamId"].str() == a.id);
      CHECK(e["streamVersion"].num() == static_cast<double>(k + 1));
      CHECK(std::regex_match(e["eventId"].str(), kHex32));
      CHECK(isTime(e["at"]));
      CHECK(e["actor"]["userId"].str() == "alice");
      CHECK(e["actor"]["role"].str() == "admin");
      CHECK(e["actor"]["accountId"].str() == "acme");
      CHECK(std::regex_match(e["prevHash"].str(), kHex64));
      CHECK(std::regex_match(e["hash"].str(), kHex64));
      CHECK(e["data"].isObject());
    }
    CHECK(events[0]["seq"].num() == 1);
    CHECK(events[0]["prevHash"].str() == std::string(64, '0'));
    CHECK(events[1]["type"].str() == "RotationStarted");
    CHECK(events[1]["requestId"].str() == "rotate-42");
    // b's Created sits between them in the log.
    CHECK(events[1]["seq"].num() == 3);
    CHECK(events[0]["data"]["name"].str() == "First");
    const bool namesToken = events[0]["data"]["tokenId"].str() == tokenIdOf(a.token);
    CHECK(namesToken);
  }
}

TEST_CASE("rotate / cancel and expire-now answer with the integration") {
  TestServer s;
  auto a = s.create("acme");
  auto later = s.send("POST", integrationsPath("acme", a.id, "/rotate"), R"({"expire":"later"})");
  INFO(redacted(later.body));
  REQUIRE(later.status == 200);
  CHECK(later.header("etag") == "\"2\"");
  CHECK(later.header("cache-control") == "no-store");
  auto j = Json::parse(later.body);
  CHECK(j.keys() == std::vector<std::string>{"integration", "token"});
  const std::string t2 = j["token"].str();
  auto i = j["integration"];
  checkIntegrationShape(i);
  REQUIRE(i["tokens"].size() == 2);
  CHECK(i["tokens"][0]["state"].str() == "current");
  CHECK(i["tokens"][0]["expiresAt"].isNull());
  const bool currentIsNew = i["tokens"][0]["tokenId"].str() == tokenIdOf(t2);
  CHECK(currentIsNew);
  CHECK(i["tokens"][1]["state"].str() == "previous");
  const bool previousIsOld = i["tokens"][1]["tokenId"].str() == tokenIdOf(a.token);
  CHECK(previousIsOld);
  CHECK(isTime(i["tokens"][1]["expiresAt"]));
  REQUIRE(i["rotation"].isObject());
  CHECK(i["rotation"].keys() == std::vector<std::string>{"startedAt", "previousExpiresAt"});
  CHECK(i["rotation"]["previousExpiresAt"].str() == i["tokens"][1]["expiresAt"].str());

  auto cancel = s.send("POST", integrationsPath("acme", a.id, "/rotation/cancel"));
  INFO(redacted(cancel.body));
  REQUIRE(cancel.status == 200);
  CHECK(cancel.header("etag") == "\"3\"");
  auto c = Json::parse(cancel.body);
  CHECK(c.keys() == std::vector<std::string>{"integration"});
  CHECK(c["integration"]["tokens"].size() == 1);
  CHECK(c["integration"]["rotation"].isNull());

  REQUIRE(s.send("POST", integrationsPath("acme", a.id, "/rotate"), R"({"expire":"later"})").status ==
          200);
  // A body of {} is accepted where none is expected.
  auto expire = s.send("POST", integrationsPath("acme", a.id, "/rotation/expire-now"), "{}");
  REQUIRE(expire.status == 200);
  CHECK(expire.header("etag") == "\"5\"");
  auto e = Json::parse(expire.body)["integration"];
  CHECK(e["tokens"].size() == 1);
  CHECK(e["rotation"].isNull());

  auto now = s.send("POST", integrationsPath("acme", a.id, "/rotate"), R"({"expire":"now"})");
  REQUIRE(now.status == 200);
  auto n = Json::parse(now.body);
  CHECK(n["token"].isString());
  CHECK(n["integration"]["tokens"].size() == 1);
  CHECK(n["integration"]["rotation"].isNull());
}

TEST_CASE("audit: pages of the account's events / next / since and until") {
  TestServer s;
  auto a = s.create("acme", "One");
  s.create("acme", "Two");
  s.create("globex", "Elsewhere");
  REQUIRE(s.send("PUT", "/v1/accounts/acme/users/bob/permission", R"({"allowed":true})").status ==
          200);

  auto all = s.get("/v1/accounts/acme/audit");
  REQUIRE(all.status == 200);
  auto j = Json::parse(all.body);
  CHECK(j.keys() == std::vector<std::string>{"events", "next"});
  REQUIRE(j["events"].size() == 3);
  CHECK(j["next"].isNull());
  CHECK(j["events"][0]["type"].str() == "Created");
  CHECK(j["events"][2]["type"].str() == "PermissionChanged");
  CHECK(j["events"][2]["data"]["userId"].str() == "bob");

  auto page1 = Json::parse(s.get("/v1/accounts/acme/audit?limit=2").body);
  REQUIRE(page1["events"].size() == 2);
  REQUIRE(page1["next"].isNumber());
  CHECK(page1["next"].num() == page1["events"][1]["seq"].num());
  auto page2 = Json::parse(
      s.get("/v1/accounts/acme/audit?limit=2&after=" +
            std::to_string(static_cast<uint64_t>(page1["next"].num())))
          .body);
  REQUIRE(page2["events"].size() == 1);
  CHECK(page2["next"].isNull());
  CHECK(page2["events"][0]["type"].str() == "PermissionChanged");

  const std::string first = j["events"][0]["at"].str();
  const std::string last = j["events"][2]["at"].str();
  CHECK(Json::parse(s.get("/v1/accounts/acme/audit?until=" + first).body)["events"].size() >= 1);
  CHECK(Json::parse(s.get("/v1/accounts/acme/audit?since=" + last).body)["events"].size() >= 1);
  CHECK(Json::parse(s.get("/v1/accounts/acme/audit?since=2999-01-01T00:00:00Z").body)["events"]
            .size() == 0);
  CHECK(Json::parse(s.get("/v1/accounts/nobody/audit").body)["events"].size() == 0);
  (void)a;
}

TEST_CASE("permission: default / grant / withdrawal") {
  TestServer s;
  const std::string path = "/v1/accounts/acme/users/bob/permission";
  auto none = s.get(path);
  REQUIRE(none.status == 200);
  auto d = Json::parse(none.body);
  CHECK(d.keys() == std::vector<std::string>{"userId", "allowed", "source"});
  CHECK(d["userId"].str() == "bob");
  CHECK(d["allowed"].isNull());
  CHECK(d["source"].str() == "default");

  auto grant = s.send("PUT", path, R"({"allowed":true})");
  REQUIRE(grant.status == 200);
  CHECK(grant.header("etag") == "\"1\"");
  auto g = Json::parse(grant.body);
  CHECK(g.keys() == std::vector<std::string>{"userId", "allowed"});
  CHECK(g["allowed"].boolean());
  auto granted = Json::parse(s.get(path).body);
  CHECK(granted["allowed"].boolean());
  CHECK(granted["source"].str() == "grant");

  auto withdraw = s.send("PUT", path, R"({"allowed":false})", kAdmin, {{"If-Match", "\"1\""}});
  REQUIRE(withdraw.status == 200);
  CHECK(withdraw.header("etag") == "\"2\"");
  auto withdrawn = Json::parse(s.get(path).body);
  CHECK_FALSE(withdrawn["allowed"].boolean());
  CHECK(withdrawn["source"].str() == "withdrawal");
}

TEST_CASE("introspection: active / inactive / required scope / form body") {
  TestServer s;
  auto a = s.create("acme", "Reader", {"contacts.readonly", "calendars.readonly"});

  auto active = s.introspect(a.token);
  CHECK(active.keys() == std::vector<std::string>{"active", "scope", "token_type", "account_id",
                                                  "integration_id", "iat"});
  CHECK(active["active"].boolean());
  CHECK(active["scope"].str() == "calendars.readonly contacts.readonly");
  CHECK(active["token_type"].str() == "pit");
  CHECK(active["account_id"].str() == "acme");
  CHECK(active["integration_id"].str() == a.id);
  CHECK(active["iat"].num() > 1.6e9);

  auto allowed = s.introspect(a.token, "contacts.readonly");
  CHECK(allowed["allowed"].boolean());
  auto denied = s.introspect(a.token, "contacts.write");
  CHECK(denied["active"].boolean());
  CHECK_FALSE(denied["allowed"].boolean());

  // RFC 7662 form body; parameters it does not know are ignored.
  auto form = httpRequest(s.port(), "POST", "/v1/introspect",
                          s.headers(std::nullopt, {{"Content-Type",
                                                    "application/x-www-form-urlencoded"}}),
                          "token=" + a.token + "&token_type_hint=access_token&client_id=gw" +
                              "&required_scope=contacts.write");
  INFO(redacted(form.body));
  REQUIRE(form.status == 200);
  auto f = Json::parse(form.body);
  CHECK(f["active"].boolean());
  CHECK_FALSE(f["allowed"].boolean());

  // Inactive is exactly {"active":false}, whatever was asked.
  std::string mistyped = a.token;
  mistyped.back() = mistyped.back() == 'a' ? 'b' : 'a';
  for (const std::string& t : {std::string("pit_nope"), std::string(), mistyped,
                               std::string("pit_") + std::string(49, '0')}) {
    auto r = s.send("POST", "/v1/introspect",
                    "{\"token\":\"" + t + "\",\"requiredScope\":\"contacts.readonly\"}",
                    std::nullopt);
    REQUIRE(r.status == 200);
    CHECK(r.body == R"({"active":false})");
  }
  // While a rotation window runs, the previous token has a deadline: exp.
  REQUIRE(s.send("POST", integrationsPath("acme", a.id, "/rotate"), R"({"expire":"later"})").status ==
          200);
  auto previous = s.introspect(a.token);
  if (previous["active"].boolean()) {  // the 2 s window may already have passed on a slow machine
    CHECK(previous["exp"].num() >= previous["iat"].num());
  }
}
