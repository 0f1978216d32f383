// HTTP and Cap'n Proto RPC side by side on one real pitd (API.md: the same operations "with the
// same authentication, rules, limits, errors and values"). One table of operations and inputs,
// each sent over both protocols: the same code, the same field (named as each protocol names
// it: rpcFieldName), and for reads the same values. This table is what keeps the two front-ends
// from drifting: a rule added to one and not the other fails a row here.
#include <catch2/catch.hpp>

#include <functional>

#include "rpc_harness.h"
#include "server/rpc/wire.h"
#include "support/http_client.h"
#include "support/json.h"
#include "support/pitd_process.h"
#include "support/temp_dir.h"

#include <regex>

using namespace pitlog;
using namespace pitlog::rpc::testing;
using pitlog::testing::Headers;
using pitlog::testing::HttpResponse;
using pitlog::testing::Json;
using Expire = pitlog::rpc::schema::Expire;

namespace {

// A real pitd with both ports, an HTTP client and an RPC session on it.
class BothProtocols {
 public:
  BothProtocols()
      : pitd_(dir_.sub("pitd.log"), {"--data", dir_.sub("data"), "--http", "127.0.0.1:0", "--rpc",
                                     "127.0.0.1:0", "--rotation-window", "7d"}) {
    const std::string keyLine = pitlog::testing::readFile(dir_.sub("data/service.key"));
    key_ = keyLine.substr(0, keyLine.find('\n'));
    static const std::regex kListening("listening rpc [^ \\n]*:([0-9]+)");
    std::smatch m;
    const std::string log = pitlog::testing::readFile(dir_.sub("pitd.log"));
    REQUIRE(std::regex_search(log, m, kListening));
    rpc_ = std::make_unique<Harness>(std::stoi(m[1]), key_);
  }

  Harness& rpc() { return *rpc_; }

  HttpResponse http(const std::string& method, const std::string& target,
                    const std::string& body = {}, Headers extra = {},
                    const std::string& user = "alice", const std::string& role = "admin") {
    Headers h{{"Authorization", "Bearer " + key_}, {"X-Actor-User", user}, {"X-Actor-Role", role}};
    if (!body.empty()) h.emplace_back("Content-Type", "application/json");
    for (auto& kv : extra) h.push_back(kv);
    return pitlog::testing::httpRequest(pitd_.port(), method, target, h, body);
  }

 private:
  pitlog::testing::TempDir dir_{"pitd-parity"};
  pitlog::testing::PitdProcess pitd_;
  std::string key_;
  std::unique_ptr<Harness> rpc_;
};

// An HTTP answer as the RPC outcome it must equal: code and field (renamed as RPC names it).
Outcome outcomeOf(const HttpResponse& r) {
  Outcome o;
  if (r.status < 300) return o;
  auto e = Json::parse(r.body)["error"];
  o.code = e["code"].str();
  o.message = e["message"].str();
  o.field = e["field"].exists() ? rpc::rpcFieldName(e["field"].str()) : "";
  return o;
}

struct Row {
  std::string name;
  std::function<HttpResponse(BothProtocols&)> http;
  std::function<Outcome(BothProtocols&)> rpc;
  std::string code;   // expected of both: "ok" or an error code
  std::string field;  // as RPC names it
};

const std::string kA = "/v1/accounts/acme";
const std::vector<std::string> kScopes = {"contacts.readonly"};

std::string integrationPath(const std::string& id, const std::string& suffix = {}) {
  return kA + "/integrations/" + id + suffix;
}

std::string ifMatchList(uint32_t from, uint32_t to) {
  std::string tags;
  for (uint32_t v = from; v <= to; ++v) tags += (v > from ? ", \"" : "\"") + std::to_string(v) + "\"";
  return tags;
}

Options versions(uint32_t from, uint32_t to) {
  Options o;
  o.ifMatchKind = Options::IfMatch::versions;
  for (uint32_t v = from; v <= to; ++v) o.ifMatch.push_back(v);
  return o;
}

// The values of an integration that both protocols show.
std::vector<std::string> valuesOf(const Json& v) {
  std::vector<std::string> out{v["id"].str(),        v["accountId"].str(), v["name"].str(),
                               v["description"].str(), v["status"].str(),
                               std::to_string(static_cast<uint32_t>(v["version"].num())),
                               v["createdAt"].str(), v["createdBy"].str(), v["updatedAt"].str()};
  for (const auto& s : v["scopes"].strings()) out.push_back("scope " + s);
  for (size_t i = 0; i < v["tokens"].size(); ++i) {
    auto t = v["tokens"][i];
    out.push_back("token " + t["tokenId"].str() + " " + t["hint"].str() + " " + t["state"].str() +
                  " " + t["issuedAt"].str() + " " +
                  (t["expiresAt"].isNull() ? "-" : t["expiresAt"].str()) + " used " +
                  (t["lastUsedAt"].isNull() ? "-" : t["lastUsedAt"].str()));
  }
  auto r = v["rotation"];
  out.push_back(r.isNull() ? "no rotation"
                           : "rotation " + r["startedAt"].str() + " " + r["previousExpiresAt"].str());
  return out;
}

std::vector<std::string> valuesOf(const Integration& v) {
  std::vector<std::string> out{v.id,        v.accountId, v.name,      v.description,
                               v.status,    std::to_string(v.version), v.createdAt, v.createdBy,
                               v.updatedAt};
  for (const auto& s : v.scopes) out.push_back("scope " + s);
  for (const auto& t : v.tokens) {
    out.push_back("token " + t.tokenId + " " + t.hint + " " + t.state + " " + t.issuedAt + " " +
                  t.expiresAt.value_or("-") + " used " + t.lastUsedAt.value_or("-"));
  }
  out.push_back(v.rotationStartedAt ? "rotation " + *v.rotationStartedAt + " " +
                                          *v.rotationPreviousExpiresAt
                                    : "no rotation");
  return out;
}

// The values of an event that both protocols show, `data` included.
std::vector<std::string> valuesOf(const Json& e, bool) {
  auto d = e["data"];
  auto text = [&](const char* name) { return d[name].exists() ? d[name].str() : std::string(); };
  std::vector<std::string> out{std::to_string(static_cast<uint64_t>(e["seq"].num())),
                               e["streamId"].str(),
                               std::to_string(static_cast<uint32_t>(e["streamVersion"].num())),
                               e["eventId"].str(), e["at"].str(), e["actor"]["userId"].str(),
                               e["actor"]["role"].str(), e["requestId"].str(), e["type"].str(),
                               e["prevHash"].str(), e["hash"].str(), text("name"),
                               text("description"), text("tokenHint"), text("reason"),
                               text("previousExpiresAt"), text("userId")};
  for (const char* id : {"tokenId", "previousTokenId", "cancelledTokenId", "restoredTokenId"}) {
    if (d[id].exists()) out.push_back(d[id].str());
  }
  if (d["scopes"].exists()) {
    for (const auto& s : d["scopes"].strings()) out.push_back("scope " + s);
  }
  return out;
}

std::vector<std::string> valuesOf(const Event& e) {
  std::vector<std::string> out{std::to_string(e.seq), e.streamId, std::to_string(e.streamVersion),
                               e.eventId, e.at, e.actorUserId, e.actorRole, e.requestId, e.type,
                               e.prevHash, e.hash, e.name, e.description, e.tokenHint, e.reason,
                               e.previousExpiresAt, e.userId};
  for (const auto& id : e.tokenIds) out.push_back(id);
  for (const auto& s : e.scopes) out.push_back("scope " + s);
  return out;
}

}  // namespace

TEST_CASE("parity: one table of operations, the same code, field and values over HTTP and RPC",
          "[parity]") {
  BothProtocols p;
  auto& rpc = p.rpc();
  const auto alice = admin();
  const auto bob = user();

  // An integration with a rotation pending and an edit, shared by the reads below.
  auto created = p.http("POST", kA + "/integrations",
                        R"({"name":"CRM","description":"line\nbreak","scopes":["contacts.readonly"]})");
  REQUIRE(created.status == 201);
  const std::string id = Json::parse(created.body)["integration"]["id"].str();
  // The first token used once: its lastUsedAt is a time in the reads below, the second's null.
  REQUIRE(p.http("POST", "/v1/introspect",
                 R"({"token":")" + Json::parse(created.body)["token"].str() + R"("})")
              .status == 200);
  REQUIRE(rpc.rotate(alice, id, Expire::LATER).ok());
  REQUIRE(p.http("PATCH", integrationPath(id), R"({"scopes":["contacts.write","contacts.readonly"]})")
              .status == 200);

  const std::string create = kA + "/integrations";
  const std::vector<Row> rows = {
      // --- the rules of validate(), one place below both --------------------------------------
      {"empty name", [&](auto& p) { return p.http("POST", create, R"({"name":"  ","scopes":["contacts.readonly"]})"); },
       [&](auto&) { return rpc.create(alice, "  ", kScopes); }, "invalid_argument", "name"},
      {"name of 101 characters",
       [&](auto& p) { return p.http("POST", create, "{\"name\":\"" + std::string(101, 'n') + "\",\"scopes\":[\"contacts.readonly\"]}"); },
       [&](auto&) { return rpc.create(alice, std::string(101, 'n'), kScopes); }, "invalid_argument", "name"},
      {"name with U+0000", [&](auto& p) { return p.http("POST", create, R"({"name":"a\u0000b","scopes":["contacts.readonly"]})"); },
       [&](auto&) { return rpc.create(alice, std::string("a\0b", 3), kScopes); }, "invalid_argument", "name"},
      {"name with U+001B", [&](auto& p) { return p.http("POST", create, R"({"name":"a\u001bb","scopes":["contacts.readonly"]})"); },
       [&](auto&) { return rpc.create(alice, "a\x1b" "b", kScopes); }, "invalid_argument", "name"},
      {"description with U+0007",
       [&](auto& p) { return p.http("POST", create, R"({"name":"n","description":"\u0007","scopes":["contacts.readonly"]})"); },
       [&](auto&) { return rpc.create(alice, "n", kScopes, "\x07"); }, "invalid_argument", "description"},
      {"description with U+0000",
       [&](auto& p) { return p.http("POST", create, R"({"name":"n","description":"\u0000","scopes":["contacts.readonly"]})"); },
       [&](auto&) { return rpc.create(alice, "n", kScopes, std::string(1, '\0')); }, "invalid_argument", "description"},
      {"no scopes", [&](auto& p) { return p.http("POST", create, R"({"name":"n","scopes":[]})"); },
       [&](auto&) { return rpc.create(alice, "n", {}); }, "invalid_argument", "scopes"},
      {"a scope with U+0000",
       [&](auto& p) { return p.http("POST", create, R"({"name":"n","scopes":["contacts.readonly\u0000"]})"); },
       [&](auto&) { return rpc.create(alice, "n", {std::string("contacts.readonly\0", 18)}); },
       "invalid_argument", "scopes"},
      {"an edit that changes nothing", [&](auto& p) { return p.http("PATCH", integrationPath(id), "{}"); },
       [&](auto&) { return rpc.edit(alice, id, std::nullopt); }, "invalid_argument", ""},
      {"an empty Idempotency-Key",
       [&](auto& p) { return p.http("POST", create, R"({"name":"n","scopes":["contacts.readonly"]})", {{"Idempotency-Key", ""}}); },
       [&](auto&) { return rpc.create(alice, "n", kScopes, "", Options::key("")); },
       "invalid_argument", "idempotencyKey"},
      {"an Idempotency-Key of 129 characters",
       [&](auto& p) { return p.http("DELETE", integrationPath(id), {}, {{"Idempotency-Key", std::string(129, 'k')}}); },
       [&](auto&) { return rpc.remove(alice, id, Options::key(std::string(129, 'k'))); },
       "invalid_argument", "idempotencyKey"},
      {"If-Match listing 101 versions",
       [&](auto& p) { return p.http("PATCH", integrationPath(id), R"({"name":"n"})", {{"If-Match", ifMatchList(10, 110)}}); },
       [&](auto&) { return rpc.edit(alice, id, "n", {}, {}, versions(10, 110)); }, "invalid_argument", "ifMatch"},
      {"If-Match listing 100 versions, none current",
       [&](auto& p) { return p.http("PATCH", integrationPath(id), R"({"name":"n"})", {{"If-Match", ifMatchList(10, 109)}}); },
       [&](auto&) { return rpc.edit(alice, id, "n", {}, {}, versions(10, 109)); }, "version_mismatch", ""},
      {"a malformed integration id", [&](auto& p) { return p.http("GET", integrationPath("bad%20id")); },
       [&](auto&) { return rpc.get(alice, "bad id"); }, "invalid_argument", "integrationId"},
      {"a malformed actor", [&](auto& p) { return p.http("GET", create, {}, {}, "al ice"); },
       [&](auto&) { return rpc.list(Actor{"acme", "al ice", pitlog::rpc::schema::Actor::Role::ADMIN}); },
       "invalid_argument", "actor.userId"},
      // --- query ranges ----------------------------------------------------------------------
      {"staleAfterDays 36501", [&](auto& p) { return p.http("GET", create + "?staleAfterDays=36501"); },
       [&](auto&) { return rpc.list(alice, false, 36501); }, "invalid_argument", "staleAfter"},
      {"staleAfterDays 36500", [&](auto& p) { return p.http("GET", create + "?staleAfterDays=36500"); },
       [&](auto&) { return rpc.list(alice, false, 36500); }, "ok", ""},
      {"audit since after until",
       [&](auto& p) { return p.http("GET", kA + "/audit?since=2026-12-01T00:00:00.000Z&until=2026-11-01T00:00:00.000Z"); },
       [&](auto&) { return rpc.audit(alice, 0, 100, "2026-12-01T00:00:00.000Z", "2026-11-01T00:00:00.000Z"); },
       "invalid_argument", "since"},
      {"audit after 2^63", [&](auto& p) { return p.http("GET", kA + "/audit?after=9223372036854775808"); },
       [&](auto&) { return rpc.audit(alice, uint64_t{1} << 63); }, "invalid_argument", "after"},
      {"audit after 2^63-1", [&](auto& p) { return p.http("GET", kA + "/audit?after=9223372036854775807"); },
       [&](auto&) { return rpc.audit(alice, (uint64_t{1} << 63) - 1); }, "ok", ""},
      {"audit limit 1001", [&](auto& p) { return p.http("GET", kA + "/audit?limit=1001"); },
       [&](auto&) { return rpc.audit(alice, 0, 1001); }, "invalid_argument", "limit"},
      {"asOf not a time", [&](auto& p) { return p.http("GET", integrationPath(id) + "?asOf=yesterday"); },
       [&](auto&) { return rpc.get(alice, id, "yesterday"); }, "invalid_argument", "asOf"},
      {"revoke 1001 tokens",
       [&](auto& p) {
         std::string tokens;
         for (int i = 0; i < 1001; ++i) tokens += std::string(i ? "," : "") + "\"pit_x\"";
         return p.http("POST", "/v1/revoke/batch", "{\"tokens\":[" + tokens + "]}");
       },
       [&](auto&) { return rpc.revoke(std::vector<std::string>(1001, "pit_x")); },
       "invalid_argument", "tokens"},
      {"revoke with a source of 501 characters",
       [&](auto& p) { return p.http("POST", "/v1/revoke", "{\"token\":\"pit_x\",\"source\":\"" + std::string(501, 's') + "\"}"); },
       [&](auto&) { return rpc.revoke({"pit_x"}, std::string(501, 's')); }, "invalid_argument", "source"},
      {"revoke with a source holding U+0007",
       [&](auto& p) { return p.http("POST", "/v1/revoke", R"({"token":"pit_x","source":"a\u0007b"})"); },
       [&](auto&) { return rpc.revoke({"pit_x"}, std::string("a\x07" "b")); }, "invalid_argument", "source"},
      {"revoke a malformed token", [&](auto& p) { return p.http("POST", "/v1/revoke", R"({"token":"pit_x"})"); },
       [&](auto&) { return rpc.revoke({"pit_x"}); }, "ok", ""},
      // --- authorization, existence, version, state --------------------------------------
      {"a user who may not manage lists", [&](auto& p) { return p.http("GET", create, {}, {}, "bob", "user"); },
       [&](auto&) { return rpc.list(bob); }, "permission_denied", ""},
      {"a user reads a permission", [&](auto& p) { return p.http("GET", kA + "/users/carol/permission", {}, {}, "bob", "user"); },
       [&](auto&) { return rpc.getPermission(bob, "carol"); }, "permission_denied", ""},
      {"rotate a missing integration",
       [&](auto& p) { return p.http("POST", integrationPath("int_missing", "/rotate"), R"({"expire":"now"})"); },
       [&](auto&) { return rpc.rotate(alice, "int_missing", Expire::NOW); }, "not_found", ""},
      {"rotate later while one is pending",
       [&](auto& p) { return p.http("POST", integrationPath(id, "/rotate"), R"({"expire":"later"})"); },
       [&](auto&) { return rpc.rotate(alice, id, Expire::LATER); }, "conflict", ""},
  };

  const uint64_t auditBefore = rpc.audit(alice, 0, 1000).events.size();
  for (const auto& row : rows) {
    INFO(row.name);
    const Outcome overHttp = outcomeOf(row.http(p));
    const Outcome overRpc = row.rpc(p);
    INFO("HTTP: " << overHttp.code << " [" << overHttp.field << "] " << overHttp.message);
    INFO("RPC: " << overRpc.code << " [" << overRpc.field << "] " << overRpc.message);
    CHECK(overHttp.code == row.code);
    CHECK(overRpc.code == row.code);
    CHECK(overHttp.field == row.field);
    CHECK(overRpc.field == row.field);
  }
  CHECK(rpc.audit(alice, 0, 1000).events.size() == auditBefore);

  SECTION("reads show the same values") {
    auto overHttp = Json::parse(p.http("GET", integrationPath(id)).body)["integration"];
    auto overRpc = rpc.get(alice, id);
    REQUIRE(overRpc.ok());
    CHECK(valuesOf(overHttp) == valuesOf(overRpc.integration));

    auto listHttp = Json::parse(p.http("GET", create + "?staleAfterDays=0&includeDeleted=true").body);
    auto listRpc = rpc.list(alice, true, 0);
    REQUIRE(listHttp["integrations"].size() == listRpc.integrations.size());
    for (size_t i = 0; i < listRpc.integrations.size(); ++i) {
      CHECK(valuesOf(listHttp["integrations"][i]) == valuesOf(listRpc.integrations[i]));
    }

    // Event data, tokenHint included (API.md: `data` is the same over RPC as in JSON).
    auto eventsHttp = Json::parse(p.http("GET", integrationPath(id, "/events")).body)["events"];
    auto eventsRpc = rpc.events(alice, id);
    REQUIRE(eventsRpc.ok());
    REQUIRE(eventsHttp.size() == eventsRpc.events.size());
    for (size_t i = 0; i < eventsRpc.events.size(); ++i) {
      INFO(eventsRpc.events[i].type);
      CHECK(valuesOf(eventsHttp[i], true) == valuesOf(eventsRpc.events[i]));
    }

    auto auditHttp = Json::parse(p.http("GET", kA + "/audit?limit=2").body);
    auto auditRpc = rpc.audit(alice, 0, 2);
    REQUIRE(auditHttp["events"].size() == auditRpc.events.size());
    for (size_t i = 0; i < auditRpc.events.size(); ++i) {
      CHECK(valuesOf(auditHttp["events"][i], true) == valuesOf(auditRpc.events[i]));
    }
    REQUIRE(auditRpc.next);
    CHECK(static_cast<uint64_t>(auditHttp["next"].num()) == *auditRpc.next);
  }

  SECTION("an Idempotency-Key is one request whichever protocol carries it") {
    const std::string body = R"({"name":"Twice","scopes":["contacts.write","contacts.readonly"]})";
    auto first = p.http("POST", create, body, {{"Idempotency-Key", "XP1"}});
    REQUIRE(first.status == 201);
    const std::string firstId = Json::parse(first.body)["integration"]["id"].str();
    // The same create over RPC (scopes in another order: the same arguments once normalised).
    auto again = rpc.create(alice, "Twice", {"contacts.readonly", "contacts.write"}, "",
                            Options::key("XP1"));
    REQUIRE(again.ok());
    CHECK(again.replayed);
    CHECK_FALSE(again.hasToken);
    CHECK(again.integration.id == firstId);
    // Another create under that key is a conflict over either protocol.
    CHECK(rpc.create(alice, "Other", kScopes, "", Options::key("XP1")).code == "conflict");
    CHECK(outcomeOf(p.http("POST", create, R"({"name":"Other","scopes":["contacts.readonly"]})",
                           {{"Idempotency-Key", "XP1"}}))
              .code == "conflict");
    // ... checked right after authorization: before existence and version.
    auto reused = outcomeOf(p.http("PATCH", integrationPath("int_missing"), R"({"name":"x"})",
                                   {{"Idempotency-Key", "XP1"}, {"If-Match", "\"99\""}}));
    CHECK(reused.code == "conflict");
    CHECK(reused.field == "idempotencyKey");
    Options missing = versions(99, 99);
    missing.idempotencyKey = "XP1";
    auto reusedRpc = rpc.edit(alice, "int_missing", "x", {}, {}, missing);
    CHECK(reusedRpc.code == "conflict");
    CHECK(reusedRpc.field == "idempotencyKey");

    // The reverse: first over RPC, the retry over HTTP.
    auto rotated = rpc.rotate(alice, firstId, Expire::NOW, Options::key("XP2"));
    REQUIRE(rotated.ok());
    REQUIRE(rotated.hasToken);
    auto retried = p.http("POST", integrationPath(firstId, "/rotate"), R"({"expire":"now"})",
                          {{"Idempotency-Key", "XP2"}});
    CHECK(retried.status == 200);
    CHECK(retried.header("idempotent-replayed") == "true");
    CHECK(Json::parse(retried.body)["token"].isNull());
    CHECK(Json::parse(retried.body)["integration"]["version"].num() == rotated.integration.version);
  }
}
