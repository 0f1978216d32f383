// API.md "Token hygiene" against the real pitd: POST /v1/revoke and /v1/revoke/batch answer the
// same whatever the token (and only a valid one appends exactly one Expired(revoked)), a revoked
// token is inactive at once and a rotate afterwards issues a working one; each token's
// `lastUsedAt` comes from active introspections, survives a restart, and `unusedForDays` filters
// the list.
#include <catch2/catch.hpp>

#include <regex>

#include "commands/token.h"
#include "events/digest.h"
#include "support/test_server.h"

using namespace pitlog::testing;

namespace {

const std::regex kTime(R"(^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$)");

HttpResponse revoke(TestServer& s, const std::string& body) {
  return s.send("POST", "/v1/revoke", body, std::nullopt);
}
std::string tokenJson(const std::string& token) { return R"({"token":")" + token + R"("})"; }

// The answer's header names, without those that differ per request by design.
std::vector<std::string> headerNames(const HttpResponse& r) {
  std::vector<std::string> out;
  for (const auto& [name, value] : r.headers) {
    if (name != "date") out.push_back(name);
  }
  return out;
}


Json tokensOf(TestServer& s, const std::string& account, const std::string& id) {
  HttpResponse r = s.get(integrationsPath(account, id));
  REQUIRE(r.status == 200);
  return Json::parse(r.body)["integration"]["tokens"];
}

}  // namespace

TEST_CASE("revoke: current, previous, expired, unknown, malformed and another account's token all "
          "answer 200 {} alike - only the valid ones append exactly one Expired and die at once") {
  TestServer s;
  const Created a = s.create("acct-1");
  HttpResponse rotated = s.send("POST", integrationsPath("acct-1", a.id, "/rotate"),
                                R"({"expire":"later"})");
  REQUIRE(rotated.status == 200);
  const std::string current = Json::parse(rotated.body)["token"].str();
  const std::string previous = a.token;
  const Created other = s.create("acct-2");
  const Created gone = s.create("acct-1");
  HttpResponse now = s.send("POST", integrationsPath("acct-1", gone.id, "/rotate"),
                            R"({"expire":"now"})");
  REQUIRE(now.status == 200);
  const std::string expired = gone.token;
  const std::string unknown = pitlog::commands::generateToken().plaintext;

  struct Case {
    const char* name;
    std::string token;
    bool valid;
  };
  const std::vector<Case> cases = {
      {"unknown", unknown, false},        {"malformed", "pit_nope", false},
      {"not a token", "hello", false},    {"expired", expired, false},
      {"previous", previous, true},       {"current", current, true},
      {"another account's", other.token, true}, {"revoked already", current, false},
  };
  std::optional<std::vector<std::string>> firstHeaders;
  for (const auto& c : cases) {
    INFO(c.name);
    const uint64_t before = s.lastSeq();
    HttpResponse r = revoke(s, tokenJson(c.token));
    CHECK(r.status == 200);
    CHECK(r.body == "{}");
    CHECK(r.header("content-type") == "application/json");
    CHECK_FALSE(r.has("x-pitlog-position"));
    if (!firstHeaders) firstHeaders = headerNames(r);
    CHECK(headerNames(r) == *firstHeaders);
    CHECK(s.lastSeq() == before + (c.valid ? 1 : 0));
    if (!c.token.empty() && c.token.rfind("pit_", 0) == 0) CHECK_FALSE(s.active(c.token));
  }

  // The event: reason revoked, its source, the revocation actor, in the owner's audit.
  HttpResponse sourced = revoke(s, R"({"token":")" + s.create("acct-1").token +
                                       R"(","source":"https://example.com/paste/1"})");
  REQUIRE(sourced.status == 200);
  HttpResponse events = s.get(integrationsPath("acct-2", other.id, "/events"), Actor{"alice", "admin"});
  REQUIRE(events.status == 200);
  const Json list = Json::parse(events.body)["events"];
  const Json last = list[list.size() - 1];
  CHECK(last["type"].str() == "Expired");
  CHECK(last["data"]["reason"].str() == "revoked");
  CHECK(last["actor"]["userId"].str() == "revocation");
  CHECK(last["actor"]["role"].str() == "system");
  CHECK_FALSE(last["data"]["source"].exists());
  HttpResponse audit = s.get("/v1/accounts/acct-1/audit?limit=1000");
  const Json auditEvents = Json::parse(audit.body)["events"];
  const Json newest = auditEvents[auditEvents.size() - 1];
  CHECK(newest["data"]["reason"].str() == "revoked");
  CHECK(newest["data"]["source"].str() == "https://example.com/paste/1");

  // The integration stays active with no valid token.
  HttpResponse view = s.get(integrationsPath("acct-1", a.id));
  REQUIRE(view.status == 200);
  CHECK(Json::parse(view.body)["integration"]["status"].str() == "active");
  CHECK(Json::parse(view.body)["integration"]["tokens"].size() == 0);
  CHECK(Json::parse(view.body)["integration"]["rotation"].isNull());
}

TEST_CASE("revoke: a rotate afterwards issues a working current token (later acts as now)") {
  TestServer s;
  const Created a = s.create("acct-1");
  REQUIRE(revoke(s, tokenJson(a.token)).status == 200);
  REQUIRE_FALSE(s.active(a.token));
  HttpResponse r = s.send("POST", integrationsPath("acct-1", a.id, "/rotate"), R"({"expire":"later"})");
  INFO(redacted(r.body));
  REQUIRE(r.status == 200);
  const Json body = Json::parse(r.body);
  CHECK(s.active(body["token"].str()));
  CHECK(body["integration"]["tokens"].size() == 1);
  CHECK(body["integration"]["tokens"][0]["state"].str() == "current");
  CHECK(body["integration"]["rotation"].isNull());
}

TEST_CASE("revoke: the form body (other parameters ignored) with the key as a client secret, in "
          "Basic or in the form, and its 400s") {
  TestServer s;
  const Created a = s.create("acct-1");
  const Created b = s.create("acct-1");
  HttpResponse basic = httpRequest(
      s.port(), "POST", "/v1/revoke",
      {{"Authorization", "Basic " + basicAuthEncoding("scanner:" + s.key())},
       {"Content-Type", "application/x-www-form-urlencoded"}},
      "token=" + a.token + "&token_type_hint=access_token&source=ignored");
  CHECK(basic.status == 200);
  CHECK(basic.body == "{}");
  CHECK_FALSE(s.active(a.token));
  HttpResponse form = httpRequest(s.port(), "POST", "/v1/revoke",
                                  {{"Content-Type", "application/x-www-form-urlencoded"}},
                                  "client_id=scanner&client_secret=" + s.key() + "&token=" + b.token);
  CHECK(form.status == 200);
  CHECK_FALSE(s.active(b.token));

  const uint64_t before = s.lastSeq();
  struct Bad {
    std::string body;
    const char* field;
  };
  for (const Bad& bad : std::vector<Bad>{{R"({})", "token"},
                                         {R"({"token":1})", "token"},
                                         {R"({"token":"x","source":")" + std::string(501, 's') + "\"}",
                                          "source"},
                                         {R"({"token":"x","source":"a\u0001b"})", "source"},
                                         {R"({"token":"x","extra":1})", "extra"}}) {
    HttpResponse r = revoke(s, bad.body);
    INFO(bad.body.substr(0, 60));
    CHECK(r.status == 400);
    CHECK(Json::parse(r.body)["error"]["field"].str() == bad.field);
  }
  HttpResponse noToken = httpRequest(s.port(), "POST", "/v1/revoke",
                                     {{"Authorization", "Bearer " + s.key()},
                                      {"Content-Type", "application/x-www-form-urlencoded"}},
                                     "token_type_hint=access_token");
  CHECK(noToken.status == 400);
  CHECK(s.lastSeq() == before);
}

TEST_CASE("revoke/batch: 1000 tokens answer {\"received\":1000} and expire the valid ones once - "
          "1001 is 400") {
  TestServer s;
  std::vector<std::string> valid;
  for (int i = 0; i < 3; ++i) valid.push_back(s.create(i == 1 ? "acct-2" : "acct-1").token);
  std::string body = R"({"source":"scanner report 7","tokens":[)";
  for (int i = 0; i < 1000; ++i) {
    const std::string t = i < 3 ? valid[static_cast<size_t>(i)]
                                : pitlog::commands::generateToken().plaintext;
    body += (i ? ",\"" : "\"") + t + "\"";
  }
  body += "]}";
  const uint64_t before = s.lastSeq();
  HttpResponse r = s.send("POST", "/v1/revoke/batch", body, std::nullopt);
  CHECK(r.status == 200);
  CHECK(r.body == R"({"received":1000})");
  CHECK(s.lastSeq() == before + 3);
  for (const auto& t : valid) CHECK_FALSE(s.active(t));

  std::string tooMany = R"({"tokens":[)";
  for (int i = 0; i < 1001; ++i) tooMany += std::string(i ? "," : "") + "\"x\"";
  tooMany += "]}";
  HttpResponse big = s.send("POST", "/v1/revoke/batch", tooMany, std::nullopt);
  CHECK(big.status == 400);
  CHECK(Json::parse(big.body)["error"]["field"].str() == "tokens");
  HttpResponse none = s.send("POST", "/v1/revoke/batch", R"({"source":"x"})", std::nullopt);
  CHECK(none.status == 400);
  CHECK(s.lastSeq() == before + 3);
}

TEST_CASE("last use: lastUsedAt is null until an active introspection, then its time, kept across "
          "a restart - unusedForDays filters and is validated") {
  TestServer s;
  const Created a = s.create("acct-1");
  const Created b = s.create("acct-1");
  CHECK(tokensOf(s, "acct-1", a.id)[0]["lastUsedAt"].isNull());
  REQUIRE(s.active(a.token));
  const std::string usedAt = tokensOf(s, "acct-1", a.id)[0]["lastUsedAt"].str();
  CHECK(std::regex_match(usedAt, kTime));
  CHECK(tokensOf(s, "acct-1", b.id)[0]["lastUsedAt"].isNull());

  // A clean stop writes it; the next start loads it.
  s.restart();
  CHECK(tokensOf(s, "acct-1", a.id)[0]["lastUsedAt"].str() == usedAt);

  // Both were used (or issued) within the last day: neither is unused for 1 day.
  HttpResponse list = s.get(integrationsPath("acct-1") + "?unusedForDays=1");
  REQUIRE(list.status == 200);
  CHECK(Json::parse(list.body)["integrations"].size() == 0);
  // A revoked integration has no token used lately: it is listed.
  REQUIRE(revoke(s, tokenJson(b.token)).status == 200);
  list = s.get(integrationsPath("acct-1") + "?unusedForDays=1");
  REQUIRE(Json::parse(list.body)["integrations"].size() == 1);
  CHECK(Json::parse(list.body)["integrations"][0]["id"].str() == b.id);
  for (const char* bad : {"36501", "-1", "x", ""}) {
    HttpResponse r = s.get(integrationsPath("acct-1") + "?unusedForDays=" + bad);
    INFO(bad);
    CHECK(r.status == 400);
    CHECK(Json::parse(r.body)["error"]["field"].str() == "unusedForDays");
  }
}
