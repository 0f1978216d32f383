// Every error code of API.md against the real pitd, the order in which faults answer, and a
// table of malformed requests, each of which must change nothing.
#include <catch2/catch.hpp>

#include <algorithm>

#include "support/test_server.h"

using namespace pitlog::testing;

namespace {

const Actor kPlainUser{"bob", "user"};

void checkError(const HttpResponse& r, int status, const std::string& code,
                const std::optional<std::string>& field = std::nullopt) {
  INFO(redacted(r.body));
  REQUIRE(r.status == status);
  CHECK(r.header("content-type") == "application/json");
  auto j = Json::parse(r.body);
  CHECK(j.keys() == std::vector<std::string>{"error"});
  CHECK(j["error"]["code"].str() == code);
  CHECK_FALSE(j["error"]["message"].str().empty());
  // A field of "" means that no single input is to blame: the member is absent.
  if (field && field->empty()) {
    CHECK_FALSE(j["error"]["field"].exists());
  } else if (field) {
    CHECK(j["error"]["field"].str() == *field);
  }
}

struct Malformed {
  std::string name;
  std::string method;
  std::string target;
  Headers headers;  // complete: the table decides every header
  std::string body;
  int status;
  std::string code;
  std::optional<std::string> field;
};

}  // namespace

TEST_CASE("401: no key / another scheme / a wrong key") {
  TestServer s;
  auto missing = httpRequest(s.port(), "GET", "/v1/scopes");
  checkError(missing, 401, "unauthenticated");
  CHECK(missing.header("www-authenticate") == "Bearer");

  auto basic = httpRequest(s.port(), "GET", "/v1/scopes", {{"Authorization", "Basic YTpi"}});
  checkError(basic, 401, "unauthenticated");
  CHECK(basic.header("www-authenticate") == "Bearer");

  auto wrong = httpRequest(s.port(), "GET", "/v1/scopes", {{"Authorization", "Bearer nope"}});
  checkError(wrong, 401, "unauthenticated");
  CHECK(wrong.header("www-authenticate") == "Bearer error=\"invalid_token\"");

  auto empty = httpRequest(s.port(), "GET", "/v1/scopes", {{"Authorization", "Bearer "}});
  checkError(empty, 401, "unauthenticated");

  // The scheme name is case-insensitive.
  for (const char* scheme : {"bearer", "BEARER", "BeArEr"}) {
    auto ok = httpRequest(s.port(), "GET", "/v1/scopes",
                          {{"Authorization", std::string(scheme) + " " + s.key()}});
    CHECK(ok.status == 200);
  }
  // Every /v1 route, known or not, asks for the key first.
  checkError(httpRequest(s.port(), "GET", "/v1/no/such/route"), 401, "unauthenticated");
  checkError(httpRequest(s.port(), "DELETE", "/v1/scopes"), 401, "unauthenticated");
  // A plaintext token is not a service key.
  auto a = s.create("acme");
  auto token = httpRequest(s.port(), "GET", "/v1/scopes", {{"Authorization", "Bearer " + a.token}});
  CHECK(token.status == 401);
}

TEST_CASE("403 / 404 / 405 / 409 / 412 and the order in which faults answer") {
  TestServer s;
  auto a = s.create("acme");
  const std::string path = integrationsPath("acme", a.id);

  SECTION("403: a plain user without a grant; permission routes need an admin") {
    checkError(s.send("POST", integrationsPath("acme"), R"({"name":"x","scopes":["contacts.readonly"]})",
                      kPlainUser),
               403, "permission_denied");
    checkError(s.get(integrationsPath("acme"), kPlainUser), 403, "permission_denied");
    checkError(s.get(path, kPlainUser), 403, "permission_denied");
    checkError(s.get(path + "/events", kPlainUser), 403, "permission_denied");
    checkError(s.get("/v1/accounts/acme/audit", kPlainUser), 403, "permission_denied");
    checkError(s.get("/v1/accounts/acme/users/bob/permission", kPlainUser), 403,
               "permission_denied");
    checkError(s.send("PUT", "/v1/accounts/acme/users/bob/permission", R"({"allowed":true})",
                      kPlainUser),
               403, "permission_denied");
  }

  SECTION("404: unknown ids, other accounts, unknown routes") {
    checkError(s.get(integrationsPath("acme", "int_000000000000000000000000")), 404, "not_found");
    checkError(s.get(integrationsPath("globex", a.id)), 404, "not_found");
    checkError(s.get(integrationsPath("globex", a.id, "/events")), 404, "not_found");
    checkError(s.send("DELETE", integrationsPath("globex", a.id)), 404, "not_found");
    // An unknown path is 404 to a caller with the key; without one it is 401 (deny by default:
    // an unauthenticated caller learns nothing about which paths exist).
    checkError(s.get("/nope", std::nullopt), 404, "not_found");
    checkError(httpRequest(s.port(), "GET", "/nope"), 401, "unauthenticated");
    checkError(s.get("/v1/accounts/acme/integrations/x/y/z"), 404, "not_found");
  }

  SECTION("405 carries Allow") {
    auto r = s.send("DELETE", "/v1/scopes", {}, std::nullopt);
    checkError(r, 405, "method_not_allowed");
    CHECK(r.header("allow") == "GET");
    auto p = s.send("PUT", integrationsPath("acme"), R"({})");
    checkError(p, 405, "method_not_allowed");
    CHECK(p.header("allow") == "GET, POST");
    auto h = httpRequest(s.port(), "POST", "/healthz", {}, "");
    checkError(h, 405, "method_not_allowed");
    CHECK(h.header("allow") == "GET");
  }

  SECTION("409: rotation state, idempotency key reuse") {
    checkError(s.send("POST", path + "/rotation/cancel"), 409, "conflict");
    checkError(s.send("POST", path + "/rotation/expire-now"), 409, "conflict");
    REQUIRE(s.send("POST", path + "/rotate", R"({"expire":"later"})").status == 200);
    checkError(s.send("POST", path + "/rotate", R"({"expire":"later"})"), 409, "conflict");
    Headers key{{"Idempotency-Key", "k-1"}};
    REQUIRE(s.send("PATCH", path, R"({"name":"a"})", kAdmin, key).status == 200);
    checkError(s.send("PATCH", path, R"({"name":"b"})", kAdmin, key), 409, "conflict");
    checkError(s.send("POST", path + "/rotation/cancel", {}, kAdmin, key), 409, "conflict");
  }

  SECTION("412: If-Match with strong comparison, * and lists") {
    checkError(s.send("PATCH", path, R"({"name":"a"})", kAdmin, {{"If-Match", "\"2\""}}), 412,
               "version_mismatch");
    checkError(s.send("PATCH", path, R"({"name":"a"})", kAdmin, {{"If-Match", "W/\"1\""}}), 412,
               "version_mismatch");
    checkError(s.send("DELETE", path, {}, kAdmin, {{"If-Match", "\"7\", \"8\""}}), 412,
               "version_mismatch");
    auto list = s.send("PATCH", path, R"({"name":"a"})", kAdmin, {{"If-Match", "\"9\", \"1\""}});
    REQUIRE(list.status == 200);
    CHECK(list.header("etag") == "\"2\"");
    REQUIRE(s.send("PATCH", path, R"({"name":"b"})", kAdmin, {{"If-Match", "*"}}).status == 200);
    REQUIRE(s.send("POST", path + "/rotate", R"({"expire":"now"})", kAdmin, {{"If-Match", "\"3\""}})
                .status == 200);
  }

  SECTION("precedence: 401 > form (400/405/413/415) > 403 > 404 > 412 > 409") {
    // 401 before anything else.
    checkError(httpRequest(s.port(), "POST", "/v1/accounts/bad$id/integrations",
                           {{"Content-Type", "text/plain"}}, "x"),
               401, "unauthenticated");
    // 400 (the request's form) before 403 and 404.
    checkError(s.send("POST", integrationsPath("acme"), R"({"name":""})", kPlainUser), 400,
               "invalid_argument");
    checkError(s.send("PATCH", integrationsPath("acme", "missing"), R"({"name":5})", kPlainUser),
               400, "invalid_argument", "name");
    checkError(s.get(integrationsPath("acme", "missing"), Actor{"bob", "guest"}), 400,
               "invalid_argument", "X-Actor-Role");
    // 405 before 403.
    checkError(s.send("DELETE", path + "/rotate", {}, kPlainUser), 405, "method_not_allowed");
    // 413 and 415 before 403.
    checkError(s.send("POST", integrationsPath("acme"), std::string(70 * 1024, ' '), kPlainUser), 413,
               "payload_too_large");
    checkError(httpRequest(s.port(), "POST", integrationsPath("acme"),
                           s.headers(kPlainUser, {{"Content-Type", "text/plain"}}), "{}"),
               415, "unsupported_media_type");
    // 403 before 404.
    checkError(s.send("DELETE", integrationsPath("acme", "missing"), {}, kPlainUser), 403,
               "permission_denied");
    // 404 before 412.
    checkError(s.send("DELETE", integrationsPath("acme", "missing"), {}, kAdmin,
                      {{"If-Match", "\"1\""}}),
               404, "not_found");
    // 412 before 409.
    REQUIRE(s.send("POST", path + "/rotate", R"({"expire":"later"})").status == 200);
    checkError(s.send("POST", path + "/rotate", R"({"expire":"later"})", kAdmin,
                      {{"If-Match", "\"1\""}}),
               412, "version_mismatch");
  }
}

TEST_CASE("malformed requests are answered 4xx and append nothing") {
  TestServer s;
  auto a = s.create("acme");
  REQUIRE(s.send("POST", integrationsPath("acme", a.id, "/rotate"), R"({"expire":"later"})").status ==
          200);
  const std::string id = a.id;
  const std::string list = integrationsPath("acme");
  const std::string one = integrationsPath("acme", id);
  const std::string perm = "/v1/accounts/acme/users/bob/permission";
  const Headers json = s.headers(kAdmin, {{"Content-Type", "application/json"}});
  // The service key, the actor and a JSON Content-Type, unless `extra` names another.
  auto with = [&](Headers extra, const std::optional<Actor>& actor = kAdmin) {
    bool ownType = std::any_of(extra.begin(), extra.end(),
                               [](const auto& kv) { return kv.first == "Content-Type"; });
    Headers h = s.headers(actor, ownType ? Headers{} : Headers{{"Content-Type", "application/json"}});
    h.insert(h.end(), extra.begin(), extra.end());
    return h;
  };
  auto without = [&](const std::string& name) {
    Headers h;
    for (auto& kv : json) {
      if (kv.first != name) h.push_back(kv);
    }
    return h;
  };
  const std::string good = R"({"name":"n","scopes":["contacts.readonly"]})";
  const std::string many(101 * 20, ' ');
  std::string manyScopes = "[";
  for (int i = 0; i < 101; ++i) manyScopes += std::string(i ? "," : "") + "\"contacts.readonly\"";
  manyScopes += "]";
  const std::string bad400 = "invalid_argument";

  const std::vector<Malformed> cases = {
      {"not JSON", "POST", list, json, "{", 400, bad400, ""},
      {"a JSON array", "POST", list, json, "[]", 400, bad400, ""},
      {"a JSON string", "POST", list, json, "\"x\"", 400, bad400, ""},
      {"trailing garbage", "POST", list, json, good + "x", 400, bad400, ""},
      {"empty body", "POST", list, json, "", 400, bad400, std::nullopt},
      {"no name", "POST", list, json, R"({"scopes":["contacts.readonly"]})", 400, bad400, "name"},
      {"no scopes", "POST", list, json, R"({"name":"n"})", 400, bad400, "scopes"},
      {"empty name", "POST", list, json, R"({"name":"","scopes":["contacts.readonly"]})", 400, bad400,
       "name"},
      {"blank name", "POST", list, json, R"({"name":"   ","scopes":["contacts.readonly"]})", 400,
       bad400, "name"},
      {"101-char name", "POST", list, json,
       "{\"name\":\"" + std::string(101, 'n') + "\",\"scopes\":[\"contacts.readonly\"]}", 400, bad400,
       "name"},
      {"control char in name", "POST", list, json,
       R"({"name":"a\u0007b","scopes":["contacts.readonly"]})", 400, bad400, "name"},
      {"1001-char description", "POST", list, json,
       "{\"name\":\"n\",\"description\":\"" + std::string(1001, 'd') +
           "\",\"scopes\":[\"contacts.readonly\"]}",
       400, bad400, "description"},
      {"no scope", "POST", list, json, R"({"name":"n","scopes":[]})", 400, bad400, "scopes"},
      {"unknown scope", "POST", list, json, R"({"name":"n","scopes":["nope.write"]})", 400, bad400,
       "scopes"},
      {"101 scopes", "POST", list, json, "{\"name\":\"n\",\"scopes\":" + manyScopes + "}", 400,
       bad400, "scopes"},
      {"scopes not a list", "POST", list, json, R"({"name":"n","scopes":"contacts.readonly"})", 400,
       bad400, "scopes"},
      {"scope not a string", "POST", list, json, R"({"name":"n","scopes":[7]})", 400, bad400,
       "scopes"},
      {"name a number", "POST", list, json, R"({"name":5,"scopes":["contacts.readonly"]})", 400,
       bad400, "name"},
      {"name null", "POST", list, json, R"({"name":null,"scopes":["contacts.readonly"]})", 400,
       bad400, "name"},
      {"unknown field", "POST", list, json,
       R"({"name":"n","scopes":["contacts.readonly"],"token":"x"})", 400, bad400, "token"},
      {"duplicate field", "POST", list, json,
       R"({"name":"n","name":"m","scopes":["contacts.readonly"]})", 400, bad400, "name"},
      {"invalid UTF-8", "POST", list, json, "{\"name\":\"\xc3\x28\",\"scopes\":[\"contacts.readonly\"]}",
       400, bad400, std::nullopt},
      {"lone surrogate", "POST", list, json, R"({"name":"\ud800","scopes":["contacts.readonly"]})",
       400, bad400, std::nullopt},
      {"NUL escape", "POST", list, json, R"({"name":"a\u0000","scopes":["contacts.readonly"]})", 400,
       bad400, std::nullopt},
      {"text/plain", "POST", list, with({{"Content-Type", "text/plain"}}), good, 415,
       "unsupported_media_type", std::nullopt},
      {"latin-1 JSON", "POST", list, with({{"Content-Type", "application/json; charset=iso-8859-1"}}),
       good, 415, "unsupported_media_type", std::nullopt},
      {"no Content-Type", "POST", list, without("Content-Type"), good, 415, "unsupported_media_type",
       std::nullopt},
      {"form body to create", "POST", list,
       with({{"Content-Type", "application/x-www-form-urlencoded"}}), "name=n", 415,
       "unsupported_media_type", std::nullopt},
      {"body over 64 KiB", "POST", list, json,
       "{\"name\":\"n\",\"description\":\"" + std::string(65 * 1024, 'd') + "\"}", 413,
       "payload_too_large", std::nullopt},
      {"no X-Actor-User", "POST", list, without("X-Actor-User"), good, 400, bad400, "X-Actor-User"},
      {"bad X-Actor-User", "POST", list, with({}, Actor{"bob smith", "admin"}), good, 400, bad400,
       "X-Actor-User"},
      {"no X-Actor-Role", "POST", list, without("X-Actor-Role"), good, 400, bad400, "X-Actor-Role"},
      {"X-Actor-Role root", "POST", list, with({}, Actor{"bob", "root"}), good, 400, bad400,
       "X-Actor-Role"},
      {"X-Actor-Role Admin", "POST", list, with({}, Actor{"bob", "Admin"}), good, 400, bad400,
       "X-Actor-Role"},
      {"account id too long", "POST", integrationsPath(std::string(65, 'a')), json, good, 400, bad400,
       "accountId"},
      {"account id with $", "POST", integrationsPath("ac%24me"), json, good, 400, bad400,
       "accountId"},
      {"integration id with /", "PATCH", integrationsPath("acme", "a%2Fb"), json, R"({"name":"n"})",
       400, bad400, "integrationId"},
      {"X-Request-Id too long", "POST", list, with({{"X-Request-Id", std::string(129, 'r')}}), good,
       400, bad400, "X-Request-Id"},
      {"X-Request-Id not ASCII", "POST", list, with({{"X-Request-Id", "caf\xc3\xa9"}}), good, 400,
       bad400, "X-Request-Id"},
      {"Idempotency-Key too long", "POST", list, with({{"Idempotency-Key", std::string(129, 'k')}}),
       good, 400, bad400, "Idempotency-Key"},
      {"Idempotency-Key not ASCII", "POST", list, with({{"Idempotency-Key", "k\xc3\xa9"}}), good, 400,
       bad400, "Idempotency-Key"},
      {"If-Match unquoted", "PATCH", one, with({{"If-Match", "1"}}), R"({"name":"n"})", 400, bad400,
       "If-Match"},
      {"If-Match unterminated", "PATCH", one, with({{"If-Match", "\"1"}}), R"({"name":"n"})", 400,
       bad400, "If-Match"},
      {"edit nothing", "PATCH", one, json, "{}", 400, bad400, std::nullopt},
      {"edit to no scope", "PATCH", one, json, R"({"scopes":[]})", 400, bad400, "scopes"},
      {"edit an unknown field", "PATCH", one, json, R"({"status":"deleted"})", 400, bad400, "status"},
      {"rotate without expire", "POST", one + "/rotate", json, "{}", 400, bad400, "expire"},
      {"rotate without body", "POST", one + "/rotate", json, "", 400, bad400, std::nullopt},
      {"rotate expire soon", "POST", one + "/rotate", json, R"({"expire":"soon"})", 400, bad400,
       "expire"},
      {"rotate expire true", "POST", one + "/rotate", json, R"({"expire":true})", 400, bad400,
       "expire"},
      {"cancel with a body", "POST", one + "/rotation/cancel", json, R"({"force":true})", 400, bad400,
       "force"},
      {"delete with an array body", "DELETE", one, json, "[1]", 400, bad400, std::nullopt},
      {"permission without allowed", "PUT", perm, json, "{}", 400, bad400, "allowed"},
      {"permission allowed a string", "PUT", perm, json, R"({"allowed":"yes"})", 400, bad400,
       "allowed"},
      {"permission bad user id", "PUT", "/v1/accounts/acme/users/b%20b/permission", json,
       R"({"allowed":true})", 400, bad400, "userId"},
      {"includeDeleted=yes", "GET", list + "?includeDeleted=yes", json, "", 400, bad400,
       "includeDeleted"},
      {"staleAfterDays=-1", "GET", list + "?staleAfterDays=-1", json, "", 400, bad400,
       "staleAfterDays"},
      {"asOf not a time", "GET", one + "?asOf=yesterday", json, "", 400, bad400, "asOf"},
      {"limit=0", "GET", "/v1/accounts/acme/audit?limit=0", json, "", 400, bad400, "limit"},
      {"limit=1001", "GET", "/v1/accounts/acme/audit?limit=1001", json, "", 400, bad400, "limit"},
      {"after=x", "GET", "/v1/accounts/acme/audit?after=x", json, "", 400, bad400, "after"},
      {"since not a time", "GET", "/v1/accounts/acme/audit?since=2026-13-01T00:00:00Z", json, "", 400,
       bad400, "since"},
      {"unknown query parameter", "GET", list + "?includedeleted=true", json, "", 400, bad400,
       "includedeleted"},
      {"repeated query parameter", "GET", "/v1/accounts/acme/audit?limit=1&limit=2", json, "", 400,
       bad400, "limit"},
      {"introspect without token", "POST", "/v1/introspect", json, "{}", 400, bad400, "token"},
      {"introspect token a number", "POST", "/v1/introspect", json, R"({"token":5})", 400, bad400,
       "token"},
      {"introspect unknown JSON field", "POST", "/v1/introspect", json,
       R"({"token":"x","client_id":"y"})", 400, bad400, "client_id"},
      {"introspect form without token", "POST", "/v1/introspect",
       with({{"Content-Type", "application/x-www-form-urlencoded"}}), "client_id=gw", 400, bad400,
       "token"},
      {"wrong method", "PUT", one + "/rotate", json, R"({"expire":"now"})", 405,
       "method_not_allowed", std::nullopt},
      {"no key", "POST", list, Headers{{"Content-Type", "application/json"}}, good, 401,
       "unauthenticated", std::nullopt},
      {"plain user", "POST", list, with({}, kPlainUser), good, 403, "permission_denied",
       std::nullopt},
      {"another account's integration", "POST", integrationsPath("globex", id, "/rotate"), json,
       R"({"expire":"now"})", 404, "not_found", std::nullopt},
      {"stale If-Match", "PATCH", one, with({{"If-Match", "\"1\""}}), R"({"name":"n"})", 412,
       "version_mismatch", std::nullopt},
      {"rotate later while pending", "POST", one + "/rotate", json, R"({"expire":"later"})", 409,
       "conflict", std::nullopt},
  };
  REQUIRE(cases.size() >= 40);
  (void)many;

  const uint64_t seqBefore = s.lastSeq();
  const size_t auditBefore = s.auditCount("acme");
  for (const auto& c : cases) {
    INFO(c.name);
    auto r = httpRequest(s.port(), c.method, c.target, c.headers, c.body);
    checkError(r, c.status, c.code, c.field);
    CHECK(s.lastSeq() == seqBefore);
  }
  CHECK(s.auditCount("acme") == auditBefore);
  CHECK(s.auditCount("globex") == 0);
  // The integration is as it was.
  auto view = Json::parse(s.get(one).body)["integration"];
  CHECK(view["version"].num() == 2);
  CHECK(view["name"].str() == "Zapier");
  CHECK(s.active(a.token));
}

TEST_CASE("raw protocol abuse: no header injection - a chunked body over the limit") {
  TestServer s;
  // A CR inside a header value is a protocol error before pitd sees it.
  auto r = httpRaw(s.port(), "GET /v1/scopes HTTP/1.1\r\nHost: x\r\nX-Request-Id: a\rSet-Cookie: b\r\n"
                             "Authorization: Bearer " + s.key() + "\r\nConnection: close\r\n\r\n");
  // kj either refuses the request or splits the line; either way nothing reaches the response.
  CHECK_FALSE(r.has("set-cookie"));
  CHECK(r.header("x-request-id").find('\r') == std::string::npos);
  // What kj cannot parse is answered in pitd's JSON error shape too.
  checkError(httpRaw(s.port(), "FROB /v1/scopes HTTP/1.1\r\nHost: x\r\n\r\n"), 400,
             "invalid_argument");
  checkError(httpRaw(s.port(), "GET /v1/scopes HTTP/1.1\r\nHost: x\r\nNo colon here\r\n\r\n"),
             400, "invalid_argument");
  // A chunked body over 64 KiB (no Content-Length to refuse it early) is cut off at the limit.
  std::string body = "{\"name\":\"" + std::string(70 * 1024, 'n') + "\"}";
  char size[32];
  std::snprintf(size, sizeof size, "%zx", body.size());
  std::string request = "POST /v1/accounts/acme/integrations HTTP/1.1\r\nHost: x\r\n"
                        "Authorization: Bearer " + s.key() +
                        "\r\nX-Actor-User: alice\r\nX-Actor-Role: admin\r\n"
                        "Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                        "Connection: close\r\n\r\n" +
                        std::string(size) + "\r\n" + body + "\r\n0\r\n\r\n";
  checkError(httpRaw(s.port(), request), 413, "payload_too_large");
  CHECK(s.lastSeq() == 0);
}
